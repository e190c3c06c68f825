"""A realistic diagnosis to render: planted entropy cycles with co-signals, a degeneracy scan
whose sentence duplication appears in the first eruption and stays, and hostile model outputs.

Phases and cycles are the planted ground truth (``synthetic.planted_eruption``), written in the
``diagnosis.json`` layout; the scan is drawn from binomial counts around planted rates.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entropy_lens.persistence import persistence
from entropy_lens.schema import METRICS_SCHEMA, conform
from entropy_lens.synthetic import planted_eruption

#: a subset of the detector names (DESIGN §3), two of which fire
DETECTORS = [
    "sentence_dup",
    "char_run",
    "fabricated_observation",
    "invalid_action",
    "hallucination",
    "seq_rep_4",
]
#: canonical name → the verl key it came from (anchors.md, "Metric-name map")
RAW_KEYS = {
    "entropy": "actor/entropy",
    "reward": "critic/score/mean",
    "reward_std": "reward_std",
    "response_length": "response_length/mean",
    "grad_norm": "actor/grad_norm",
    "kl": "actor/ppo_kl",
    "val/reward": "val-core/alfworld/reward/mean@1",
}
RUN = "/runs/alfworld-grpo-qwen2.5-1.5b"
#: a payload that sets the page title if it ever runs; the title text is not in the source
TITLE_PAYLOAD = "<script>document.title='x'.repeat(3)+'PWN'</script>"
ONERROR_PAYLOAD = "<img src=x onerror=\"document.title='y'.repeat(3)+'PWN'\">"


def metrics_table(curves: pl.DataFrame, seed: int = 0) -> pl.DataFrame:
    """Curves (one column per metric) → the canonical long ``metrics`` table, plus KL and val reward."""
    rng = np.random.default_rng(seed)
    n = curves.height
    curves = curves.with_columns(kl=pl.Series(np.abs(rng.normal(0.002, 0.001, n))))
    long = curves.unpivot(index="step", variable_name="name", value_name="value")
    val = curves.filter(pl.col("step") % 20 == 0).select(
        "step", name=pl.lit("val/reward"), value=pl.col("reward") + 0.05
    )
    table = pl.concat([long, val]).with_columns(
        raw_name=pl.col("name").replace_strict(RAW_KEYS, default=pl.col("name")),
        source=pl.lit("train.log"),
    )
    return conform(table, METRICS_SCHEMA)


def phases_dict(truth, noise: float) -> dict:
    """Planted truth (0-based indices) → the ``phases`` object (logged steps = index + 1)."""
    phases = [
        {"label": label, "start_step": a + 1, "end_step": b + 1} for label, a, b in truth.phases if b >= a
    ]
    cycles = [
        {
            "onset_step": c.onset + 1,
            "peak_step": c.peak + 1,
            "end_step": c.end + 1,
            "amplitude": c.amplitude,
            "duration": c.end - c.onset,
            "confidence": 0.97,
        }
        for c in truth.cycles
    ]
    return {
        "metric": "entropy",
        "n_steps": truth.breakpoints[-1],
        "change_points": [p["start_step"] for p in phases[1:]],
        "phases": phases,
        "cycles": cycles,
        "pattern": truth.pattern,
        "noise_sigma": noise,
    }


def per_step_rows(n_steps: int, cycles: list[dict], seed: int = 0) -> list[dict]:
    """Binomial flag rates: sentence_dup from the first eruption on, fabrication in eruptions."""
    rng = np.random.default_rng(seed)
    first = cycles[0]["onset_step"]
    rows = []
    for split, every, n in (("train", 1, 64), ("val", 20, 128)):
        for step in range(every, n_steps + 1, every):
            erupting = any(c["onset_step"] <= step <= c["end_step"] for c in cycles)
            p = {d: 0.0 for d in DETECTORS}
            p["sentence_dup"] = 0.02 + (0.25 if step >= first + 3 else 0.0)
            p["fabricated_observation"] = 0.15 if erupting else 0.01
            p["hallucination"] = p["fabricated_observation"]
            row = {"step": step, "split": split, "n": n}
            row.update({d: rng.binomial(n, rate) / n for d, rate in p.items()})
            rows.append(row)
    return rows


def examples_list(first_onset: int) -> list[dict]:
    """Flagged outputs, several hostile: script tags, an onerror image, a closing textarea."""
    sentence = "I will go to the kitchen and look for the apple on the countertop. "
    looping = "Thought: " + sentence * 60 + TITLE_PAYLOAD
    evidence_at = looping.index(sentence)
    fabricated = (
        "Action: open fridge 1\n" + TITLE_PAYLOAD + "\nObservation: You open the fridge 1. "
        "In it, you see an apple 2.</textarea></pre>" + ONERROR_PAYLOAD
    )
    observed = fabricated.index("Observation:")
    return [
        {
            "sample_id": "s-0413",
            "step": first_onset + 5,
            "split": "train",
            "detector": "sentence_dup",
            "response": looping,
            "evidence": sentence.strip(),
            "span_start": evidence_at,
            "span_end": evidence_at + len(sentence) * 60,
            "score": 0.98,
        },
        {
            "sample_id": "s-0977",
            "step": first_onset + 9,
            "split": "val",
            "detector": "fabricated_observation",
            "response": fabricated,
            "evidence": "Observation: You open the fridge 1.",
            "span_start": observed,
            "span_end": observed + len("Observation: You open the fridge 1."),
            "score": 1.0,
        },
        {
            "sample_id": "s-<b>1</b>",
            "step": first_onset + 12,
            "split": "train",
            "detector": "fabricated_observation",
            "response": "reward: 1.0 done: True " + ONERROR_PAYLOAD,
            "evidence": "reward: 1.0 done: True",
            "span_start": None,
            "span_end": None,
            "score": None,
        },
    ]


def cosignal_rows(cycles: list[dict]) -> list[dict]:
    """Alignment rows as ``phases.align_cosignals`` writes them, plus one in the brief's older
    layout (``metric`` instead of ``signal``, no ``change``)."""
    levels = {
        "reward": (0.61, 0.38, 0.52, -2),
        "reward_std": (0.21, 0.44, 0.30, -6),
        "response_length": (231.0, 402.5, 300.0, 1),
        "grad_norm": (0.41, 1.9, 0.5, 0),
    }
    rows = [
        {
            "cycle": i,
            "onset_step": c["onset_step"],
            "signal": name,
            "before": before,
            "during": during,
            "after": after,
            "change": during - before,
            "moved_step": c["onset_step"] + lead,
            "lead_steps": lead,
        }
        for i, c in enumerate(cycles)
        for name, (before, during, after, lead) in levels.items()
    ]
    return rows + [
        {"cycle": 0, "metric": "kl", "before": 0.002, "during": 0.0021, "after": None, "lead_steps": None}
    ]


def sample_diagnosis(n_steps: int = 300, seed: int = 3) -> tuple[dict, pl.DataFrame, list[dict]]:
    """``(diagnosis, metrics, examples)`` of a cyclical run, everything filled in."""
    curves, truth = planted_eruption(n_steps, seed, n_cycles=2)
    metrics = metrics_table(curves, seed)
    phases = phases_dict(truth, noise=0.03)
    cycles = phases["cycles"]
    per_step = per_step_rows(n_steps, cycles, seed)
    first = cycles[0]["onset_step"]
    judged = persistence(pl.DataFrame(per_step), cycles)  # the real judgement of the planted rates
    sources = [
        ("train.log", "verl_console", "metrics", 2400, 3),
        ("rollout/1.jsonl", "verl_rollout", "rollouts", 64, 0),
    ]
    saved = [(300, "verl-fsdp-shards", False), (150, "hf", True)]
    diagnosis = {
        "version": 1,
        "tool": "entropy-lens 0.1.0",
        "generated_at": "2026-11-26T18:00:00+00:00",
        "run": {
            "path": RUN,
            "source_format": "verl-console",
            "step_min": 1,
            "step_max": n_steps,
            "n_steps": n_steps,
            "metrics": sorted(RAW_KEYS),
            "n_rollouts": 64 * n_steps,
            "rollout_steps": list(range(1, n_steps + 1)),
            "sources": [
                dict(zip(("path", "reader", "kind", "rows", "skipped"), (f"{RUN}/{name}", *rest)))
                for name, *rest in sources
            ],
            "problems": 3,
            "problem_examples": ["train.log:1812: unparsable metric value 'nan%'"],
        },
        "phases": phases,
        "cosignals": cosignal_rows(cycles),
        "scan": {
            "per_step": per_step,
            "onsets": {"sentence_dup": first + 3, "fabricated_observation": first, "char_run": None},
            "detectors": DETECTORS,
            "n_outputs": 64 * n_steps + 128 * (n_steps // 20),
            "flagged": {d: round(sum(row[d] * row["n"] for row in per_step)) for d in DETECTORS},
        },
        "persistence": judged,
        "checkpoints": [
            {"step": step, "path": f"{RUN}/global_step_{step}", "format": form, "has_weights": weights}
            for step, form, weights in saved
        ],
        "notes": [],
        "headline": [
            f"Entropy pattern: cyclical (2 eruption cycles over {n_steps} logged steps).",
            "Eruption peaks: "
            + ", ".join(f"step {c['peak_step']} (+{c['amplitude']:.2f} nats)" for c in cycles)
            + ".",
            "Acquired in an eruption and persisted: "
            + "; ".join(f"{p['detector']} {p['base_rate']:.1%} → {p['final_rate']:.1%}" for p in judged if p["persisted"])
            + ".",
        ],
    }
    return diagnosis, metrics, examples_list(first)
