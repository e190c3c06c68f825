"""Reports of real analyses: a verl TensorBoard run (shared/external) and a planted run, both
segmented by the real ``entropy_lens.phases``, and hostile rollouts scanned by the real detectors."""

from __future__ import annotations

import re

import polars as pl
import pytest
from report_sample import metrics_table

from entropy_lens.detectors.base import PATTERNS
from entropy_lens.report import render_html
from entropy_lens.report.series import series
from entropy_lens.schema import METRICS_SCHEMA, ROLLOUTS_SCHEMA, canonical_metric_names, conform
from entropy_lens.synthetic import planted_eruption

VERL_RUN = "verl_tensorboard_async_reward/recipe/async_reward_agent/assets/tensorboard/gsm8k_qwen2_7b_base"


def verl_metrics(folder) -> pl.DataFrame:
    """A verl TensorBoard event file → canonical metrics table (tbparse reads the events)."""
    reader = pytest.importorskip("tbparse").SummaryReader(str(folder), pivot=False)
    scalars = pl.from_pandas(reader.scalars)
    names = canonical_metric_names(scalars["tag"].unique().to_list())
    table = scalars.select(
        pl.col("step").cast(pl.Int64),
        pl.col("tag").replace_strict(names).alias("name"),
        pl.col("value").cast(pl.Float64),
        pl.col("tag").alias("raw_name"),
        pl.lit(str(folder)).alias("source"),
    )
    return conform(table, METRICS_SCHEMA)


def diagnosis_of(metrics: pl.DataFrame, path: str) -> dict:
    """A diagnosis with real phases and co-signal alignment (no rollouts: no scan)."""
    from entropy_lens.phases import align_cosignals, find_phases

    steps, values = series(metrics, "entropy")
    result = find_phases(steps, values)
    return {
        "run": {
            "path": path,
            "source_format": "tensorboard",
            "step_min": int(steps.min()),
            "step_max": int(steps.max()),
            "n_steps": len(steps),
        },
        "phases": result.to_dict(),
        "cosignals": align_cosignals(metrics, result),
        "scan": None,
        "notes": ["Degeneracy scan skipped: the run has no rollout or validation dumps."],
    }


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside tbparse, with pandas 3
def test_verl_tensorboard_run(external):
    folder = external / VERL_RUN
    metrics = verl_metrics(folder)
    steps, values = series(metrics, "entropy")
    # golden values from shared/external/MANIFEST.json (actor/entropy: 105 points, 0.3287 → 0.0858)
    assert len(steps) == 105 and round(values[0], 4) == 0.3287 and round(values[-1], 4) == 0.0858
    diagnosis = diagnosis_of(metrics, str(folder))
    page = render_html(diagnosis, metrics, [])
    timeline = page[page.index('id="timeline"') : page.index('id="degeneracy"')]
    # verl logs critic/score/mean, response_length/{mean,clip_ratio}, actor/{grad_norm,ppo_kl}
    # and val-core/openai/gsm8k/reward/mean@1: five co-signal panels, validation reward as dots
    for title in ("reward · validation as dots", "response length", "truncation rate", "grad norm", "KL"):
        assert f">{title}</text>" in timeline
    assert f"badge pattern-{diagnosis['phases']['pattern']}" in page
    assert "Degeneracy scan skipped" in page
    assert not re.search(r"https?://", page)


def test_planted_run_segmented_by_the_phase_finder():
    curves, _ = planted_eruption(400, seed=5, n_cycles=3)
    metrics = metrics_table(curves, seed=5)
    diagnosis = diagnosis_of(metrics, "/runs/planted")
    cycles = diagnosis["phases"]["cycles"]
    assert cycles  # how many is the phase finder's business (tests/phases); the report shows each
    page = render_html(diagnosis, metrics, [])
    for i, cycle in enumerate(cycles, start=1):
        assert f'<td>C{i}</td><td class="num">{cycle["onset_step"]}</td>' in page
        assert f">C{i}</text>" in page  # the peak is labelled in the figure
    assert page.count('class="first-of-cycle"') == len(cycles)  # alignment grouped by cycle


def hostile_rollouts() -> pl.DataFrame:
    """40 steps × 8 outputs: from step 21 three loop on one sentence, from 26 one writes the
    environment's observation (with a script tag) itself."""
    loop = "I will look for the apple in the kitchen now. " * 6
    fake = "Action: open fridge 1\nObservation: You open the fridge 1. <script>alert(1)</script>"
    rows = []
    for step in range(1, 41):
        for i in range(8):
            response = f"Action: go to cabinet {i + 1}"
            response = loop if step > 20 and i < 3 else fake if step > 25 and i == 4 else response
            rows.append(
                {
                    "step": step,
                    "sample_id": f"s{step}-{i}",
                    "group_id": f"g{step}",
                    "turn": 0,
                    "prompt": "You are in the middle of a room. Your task is to: find an apple.",
                    "response": response,
                    "split": "train",
                    "source": "dump.jsonl",
                }
            )
    return conform(pl.DataFrame(rows), ROLLOUTS_SCHEMA)


def test_real_scan_of_hostile_rollouts():
    from entropy_lens.detectors import scan

    rollouts = hostile_rollouts()
    result = scan(rollouts)
    flagged = result.findings.filter(pl.col("flagged")).group_by("detector", maintain_order=True).head(2)
    examples = flagged.join(rollouts.select("sample_id", "response"), on="sample_id").to_dicts()
    page = render_html({"scan": result.to_dict()}, pl.DataFrame(), examples)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark>I will look for the apple in the kitchen now.</mark>" in page
    assert re.search(r"<mark>Observation:", page)
    degeneracy = page[page.index('id="degeneracy"') : page.index('id="cycles"')]
    assert ">sentence_dup · onset at step 21</text>" in degeneracy
    assert ">fabricated_observation · onset at step 26</text>" in degeneracy
    assert ">char_run" not in degeneracy
    assert result.to_dict()["flagged"]["sentence_dup"] == 60  # 3 of 8 outputs at steps 21–40
    assert re.search(r"sentence_dup</span>\s*60 outputs, from step 21", page)


RAGEN_RUN = "490c0d4/logs/QWEN_3B-4GPU-ppo-basic-medium-LoRA-32-32-all-batch_size_small"


def report_of(folder, run: str | None = None) -> tuple[dict, str]:
    """The real pipeline on a real folder: read → diagnose → render (what ``analyze`` writes)."""
    from entropy_lens.diagnosis import diagnose
    from entropy_lens.readers import read_run

    diagnosis = diagnose(read_run(folder, run=run))
    payload = diagnosis.to_dict()
    return payload, render_html(payload, diagnosis.run.metrics, diagnosis.examples())


def test_ragen_report_is_titled_by_the_chosen_run(external):
    """25 RAGEN runs share one folder: each report is named after its ``--run``, not the folder."""
    payload, page = report_of(external / "ragen_xixwisexix", RAGEN_RUN)
    assert payload["run"]["name"] == RAGEN_RUN
    assert f"<title>entropy-lens · {RAGEN_RUN.rsplit('/', 1)[1]}</title>" in page
    assert f"<h1>{RAGEN_RUN}</h1>" in page
    assert "<title>entropy-lens · ragen_xixwisexix</title>" not in page


def test_single_step_dump_reports_what_it_holds(external):
    """verl rollout dump of one step (128 outputs): bars, not an empty time axis; the headline
    and the summary box name exactly the patterns the findings flag."""
    payload, page = report_of(external / "verl_rollout_dump_zyqiu6")
    flagged = {name: n for name, n in payload["scan"]["flagged"].items() if n and name in PATTERNS}
    # one output repeats a sentence three times; six repeat a LaTeX 5-gram 12–19 times (SEAL's local_loop)
    assert flagged == {"sentence_dup": 1, "local_loop": 6}
    assert payload["headline"] == [
        "Degenerate patterns flagged: sentence_dup in 1 of 128 outputs, local_loop in 6 of 128 outputs."
    ]
    figure = page[page.index('id="degeneracy"') : page.index('id="cycles"')]
    assert "0.8% (1 of 128)" in figure and "training step" not in figure
    assert "No detector flagged" not in page and "No degenerate pattern flagged" not in page
    assert re.search(r"sentence_dup</span>\s*1 output\b", page)
    persistence = {p["detector"]: p for p in payload["persistence"]}
    assert persistence["sentence_dup"]["verdict"] == "no eruption to judge against"
