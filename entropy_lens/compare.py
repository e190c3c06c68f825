"""``compare``: two runs side by side (e.g. a SEAL fine-tune and the same fine-tune at weight 0).

Each run is read and diagnosed exactly as ``analyze`` does (``diagnose``); optionally its latest
checkpoint with weights scores a sample of its own outputs (``score_checkpoint``: hidden-state
separation). The comparison keeps, per run, the entropy series' summary and pattern, the share of
scanned outputs each degeneracy detector flagged, and the separation scores; ``sentences`` states
each difference in one line, built from those numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from entropy_lens.checkpoint_scores import score_checkpoint
from entropy_lens.detectors.base import PATTERNS
from entropy_lens.diagnosis import Diagnosis, diagnose
from entropy_lens.errors import EntropyLensError
from entropy_lens.outputs import check_out_dir, mark, write_json, write_text
from entropy_lens.progress import track
from entropy_lens.readers import read_run
from entropy_lens.report.compare import render_compare_html

#: What ``write_comparison`` writes; an output folder holding only these may be written again.
OUR_FILES = frozenset({"report.html", "comparison.json", "separation"})

#: Bump when the layout of ``comparison.json`` changes incompatibly.
COMPARISON_VERSION = 1

#: The two sides, in order: RUN_A, RUN_B.
SIDES = ("a", "b")

#: Separation scores compared (``checkpoint_scores.SCORE_KEYS``), with how a sentence names them.
SEPARATION_NAMES = {"probe_auroc": "held-out probe AUROC", "diff_means_auroc": "difference-of-means AUROC"}


@dataclass
class Comparison:
    """Two diagnosed runs and what ``compare`` measured on each."""

    diagnoses: tuple[Diagnosis, Diagnosis]
    notes: list[str] = field(default_factory=list)

    def sides(self) -> list[dict]:
        """Per run: name, path, steps, entropy summary, degenerate rates, separation."""
        return [side(d) for d in self.diagnoses]

    def to_dict(self) -> dict:
        """The object written to ``comparison.json``."""
        sides = self.sides()
        return {"version": COMPARISON_VERSION, "runs": sides, "sentences": sentences(sides), "notes": self.notes}


def entropy_summary(diagnosis: Diagnosis) -> dict | None:
    """``first, last, mean, max, n_points`` of the entropy series, pattern and cycle count; None if unlogged."""
    try:
        values = diagnosis.run.series("entropy")["value"].drop_nans().drop_nulls()
    except EntropyLensError:
        return None
    if values.is_empty():
        return None
    phases = diagnosis.phases
    return {
        "first": values[0], "last": values[-1], "mean": values.mean(), "max": values.max(), "n_points": len(values),
        "pattern": phases.pattern if phases else None,
        "n_cycles": len(phases.cycles) if phases else None,
    }


def degenerate_rates(diagnosis: Diagnosis) -> dict | None:
    """Detector → share of the scanned outputs it flagged (each output counted once); None if not scanned."""
    scan = diagnosis.scan
    if scan is None:
        return None
    n_outputs = int(scan.per_step["n"].sum()) if scan.per_step.height else 0
    flagged = (
        scan.findings.filter(pl.col("flagged") & pl.col("detector").is_in(list(PATTERNS)))
        .group_by("detector")
        .agg(pl.struct("split", "step", "sample_id").n_unique().alias("outputs"))
    )
    counts = dict(zip(flagged["detector"].to_list(), flagged["outputs"].to_list()))
    names = [d for d in scan.detectors if d in PATTERNS]
    return {"n_outputs": n_outputs, "rates": {d: counts.get(d, 0) / n_outputs if n_outputs else None for d in names}}


def side(diagnosis: Diagnosis) -> dict:
    run = diagnosis.run
    steps = run.metrics["step"].drop_nulls()
    separation = diagnosis.separation
    return {
        "name": run.name or Path(run.path).resolve().name,
        "path": str(run.path),
        "format": run.source_format,
        "steps": [int(steps.min()), int(steps.max())] if len(steps) else None,
        "entropy": entropy_summary(diagnosis),
        "degenerate": degenerate_rates(diagnosis),
        "separation": None if separation is None else {
            "checkpoint": separation["checkpoint"],
            **{key: separation["overall"].get(key) for key in ("n", "n_correct", "n_incorrect")},
            **{key: separation["overall"].get(key) for key in SEPARATION_NAMES},
        },
    }


def _cycles(n: int) -> str:
    return f"{n} eruption cycle{'s' if n != 1 else ''}"


def _entropy_sentences(a: dict, b: dict, names: tuple[str, str]) -> list[str]:
    if a is None or b is None:
        missing = " and ".join(n for n, s in zip(names, (a, b), strict=True) if s is None)
        return [f"Entropy: not logged by {missing}."]
    lines = [
        f"Entropy ends at {a['last']:.3f} nats in {names[0]} and {b['last']:.3f} in {names[1]} "
        f"(means {a['mean']:.3f} and {b['mean']:.3f}; maxima {a['max']:.3f} and {b['max']:.3f})."
    ]
    if a["pattern"] and b["pattern"]:
        lines.append(
            f"Entropy pattern: {a['pattern']} ({_cycles(a['n_cycles'])}) in {names[0]}, "
            f"{b['pattern']} ({_cycles(b['n_cycles'])}) in {names[1]}."
        )
    return lines


def _degenerate_sentences(a: dict, b: dict, names: tuple[str, str]) -> list[str]:
    if a is None or b is None:
        missing = " and ".join(n for n, s in zip(names, (a, b), strict=True) if s is None)
        return [f"Degenerate outputs: {missing} dumped no rollouts to scan."]
    detectors = [d for d in a["rates"] if d in b["rates"] and (a["rates"][d] or b["rates"][d])]
    if not detectors:
        return [
            f"Degenerate outputs: no detector flagged any of {a['n_outputs']} outputs of {names[0]} "
            f"or {b['n_outputs']} of {names[1]}."
        ]
    return [
        f"{d}: {100 * a['rates'][d]:.1f}% of {names[0]}'s {a['n_outputs']} outputs flagged, "
        f"{100 * b['rates'][d]:.1f}% of {names[1]}'s {b['n_outputs']}."
        for d in detectors
    ]


def _score(scored: dict | None, key: str) -> str:
    """A separation score as a sentence shows it: the value, why it is undefined, or "not scored"."""
    if scored is None:
        return "not scored"
    if scored.get(key) is None:
        return f"undefined ({scored['n_correct']} correct, {scored['n_incorrect']} incorrect outputs)"
    return f"{scored[key]:.3f}"


def _separation_sentences(a: dict, b: dict, names: tuple[str, str]) -> list[str]:
    if a is None and b is None:
        return ["Separation: not scored (pass --separation to score each run's latest checkpoint)."]
    lines = []
    for key, label in SEPARATION_NAMES.items():
        shown = [_score(s, key) for s in (a, b)]
        lines.append(f"Separation ({label}, latest checkpoint): {shown[0]} in {names[0]}, {shown[1]} in {names[1]}.")
    if a is not None and b is not None:
        lines.append(
            "Each checkpoint scored its own run's outputs, so a gap may come from the outputs as well as from"
            " the model (`entropy-lens recompute` scores both checkpoints on the same outputs)."
        )
    return lines


def sentences(sides: list[dict]) -> list[str]:
    """Every comparison stated in words, from the numbers in ``sides`` alone."""
    a, b = sides
    names = (a["name"], b["name"]) if a["name"] != b["name"] else ("run A", "run B")
    return (
        _entropy_sentences(a["entropy"], b["entropy"], names)
        + _degenerate_sentences(a["degenerate"], b["degenerate"], names)
        + _separation_sentences(a["separation"], b["separation"], names)
    )


def latest_checkpoint(diagnosis: Diagnosis) -> str | None:
    """Path of the run's latest checkpoint with weights, or None."""
    weighted = diagnosis.run.checkpoints.filter(pl.col("has_weights")).sort("step")
    return weighted["path"][-1] if weighted.height else None


def compare(
    run_a: str | Path,
    run_b: str | Path,
    *,
    separation_dir: str | Path | None = None,
    max_samples: int = 256,
    device: str = "auto",
) -> Comparison:
    """Diagnose both runs; with ``separation_dir``, score each run's latest checkpoint on its outputs.

    Args:
        run_a, run_b: run directories (any format ``analyze`` reads).
        separation_dir: where ``recompute`` writes (``<dir>/a``, ``<dir>/b``); None skips scoring.
        max_samples: outputs scored per run.
        device: for scoring.
    """
    runs = [read_run(run_a), read_run(run_b)]  # both read before the long work: input errors come first
    diagnoses, notes = [], []
    with track("Comparing runs", total=2) as advance:
        for name, run in zip(SIDES, runs, strict=True):
            diagnosis = diagnose(run)
            checkpoint = latest_checkpoint(diagnosis) if separation_dir is not None else None
            if checkpoint is not None:
                diagnosis.separation = score_checkpoint(
                    diagnosis.run, checkpoint, Path(separation_dir) / name, max_samples=max_samples, device=device
                )
            elif separation_dir is not None:
                notes.append(f"{run.path}: no checkpoint with weights, so its separation was not scored.")
            diagnoses.append(diagnosis)
            advance()
    return Comparison(diagnoses=tuple(diagnoses), notes=notes)


def write_comparison(comparison: Comparison, out_dir: str | Path) -> dict[str, Path]:
    """Write ``comparison.json`` and ``report.html`` into ``out_dir``; name → path."""
    out = mark(check_out_dir(Path(out_dir), OUR_FILES))  # run discovery skips the folder
    payload = comparison.to_dict()
    diagnoses = [d.to_dict() for d in comparison.diagnoses]
    html = render_compare_html(payload, diagnoses, [d.run.metrics for d in comparison.diagnoses])
    return {
        "comparison.json": write_json(out / "comparison.json", payload),
        "report.html": write_text(out / "report.html", html),
    }
