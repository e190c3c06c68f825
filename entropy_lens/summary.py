"""What a run directory holds: formats, steps, metric keys, rollouts, checkpoints, and which
analyses are possible — computed before any model is loaded (``entropy-lens inspect``)."""

from __future__ import annotations

import re
from collections import Counter

import polars as pl

from entropy_lens.run import Run


def summarize(run: Run) -> dict:
    """A JSON-able description of ``run`` (the ``run`` section of ``diagnosis.json``)."""
    metrics = run.metrics
    blocks = run.rollout_store.blocks()  # split, step, n: the rollouts without their text
    steps = metrics["step"] if not metrics.is_empty() else blocks["step"]
    n_rollouts = int(blocks["n"].sum())
    return {
        "path": str(run.path),
        "name": run.name,
        "source_format": run.source_format,
        "step_min": _int_or_none(steps.min()),
        "step_max": _int_or_none(steps.max()),
        "n_steps": int(steps.n_unique()),
        "metrics": run.metric_names,
        "metric_keys": _metric_keys(metrics),
        "n_rollouts": n_rollouts,
        "rollouts_per_step": blocks.to_dicts(),
        "rollout_steps": sorted(blocks["step"].unique().to_list()),
        "checkpoints": run.checkpoints.to_dicts(),
        "sources": sorted((vars(s) for s in run.sources), key=lambda s: natural_key(str(s["path"]))),
        "problems": len(run.problems),
        "problem_examples": [str(p) for p in run.problems[:5]],
        "notes": run.notes,
        "possible": _possible(run, n_rollouts),
    }


def natural_key(text: str) -> list:
    """Sort key that orders numbers inside names by value: ``10.jsonl, 20.jsonl, 100.jsonl``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)


def _metric_keys(metrics: pl.DataFrame) -> list[dict]:
    """One entry per raw key: its canonical name, number of steps and first/last step."""
    if metrics.is_empty():
        return []
    keys = (
        metrics.group_by("raw_name", "name")
        .agg(
            pl.len().alias("n_steps"),
            pl.col("step").min().alias("first_step"),
            pl.col("step").max().alias("last_step"),
        )
        .sort("raw_name")
    )
    return keys.to_dicts()


def _possible(run: Run, n_rollouts: int) -> dict[str, str]:
    """Which stages can run on this run, and if not, why (in one line each)."""
    names = set(run.metric_names)
    weights = run.checkpoints.filter(pl.col("has_weights")) if not run.checkpoints.is_empty() else run.checkpoints
    stages = {
        "phases": "yes" if "entropy" in names else "no: no entropy metric (choose another with --metric)",
        "scan": "yes" if n_rollouts else "no: no rollout or validation dumps",
        "recompute": "yes"
        if n_rollouts and weights.height
        else "no: needs rollout dumps and a checkpoint with weights",
    }
    if not weights.height and run.checkpoints.height:
        formats = Counter(run.checkpoints["format"].to_list())
        stages["recompute"] += f" (found {dict(formats)} without loadable weights)"
    return stages
