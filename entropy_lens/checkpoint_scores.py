"""``analyze --model``: score a sample of the run's outputs under one checkpoint.

Picks the outputs to score (validation outputs when the run dumped any, else training ones; at most
``max_samples``, spread evenly over the dumped steps), runs ``recompute`` into ``out_dir``, and
condenses what it wrote into the ``separation`` section of ``diagnosis.json``: per step, the
recomputed mean policy entropy and how well the checkpoint's hidden states separate correct from
incorrect outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from entropy_lens.errors import NoRollouts
from entropy_lens.rollout_store import SORT_KEYS
from entropy_lens.run import Run

SCORE_KEYS = ("n", "n_correct", "n_incorrect", "probe_auroc", "diff_means_auroc", "fisher_ratio", "cosine_gap")


def sample_outputs(run: Run, max_samples: int) -> pl.DataFrame:
    """Up to ``max_samples`` outputs, the validation split preferred, the same share of every step."""
    keys = run.rollouts_lazy.select(SORT_KEYS).sort(SORT_KEYS, nulls_last=True, maintain_order=True).collect()
    if keys.is_empty():
        raise NoRollouts(run.path)
    split = "val" if (keys["split"] == "val").any() else "train"
    chosen = keys.filter(pl.col("split") == split).with_row_index("_row")
    # round-robin over steps: every step's first output, then every step's second, …
    rank = pl.int_range(pl.len()).over("step").alias("_rank")
    picked = chosen.with_columns(rank).sort("_rank", "step").head(max_samples)
    return run.rollouts_of(picked.sort("_row").drop("_row", "_rank"))


def score_checkpoint(
    run: Run,
    model: str | Path,
    out_dir: str | Path,
    *,
    max_samples: int = 512,
    device: str = "auto",
    trust_checkpoint: bool = False,
) -> dict:
    """Recompute a sample of ``run``'s outputs under ``model``; the diagnosis's ``separation`` section."""
    from entropy_lens.recompute.score_rollouts import recompute

    chosen = sample_outputs(run, max_samples)
    summary = recompute(model, chosen, out_dir, device=device, trust_checkpoint=trust_checkpoint)
    out = Path(out_dir)
    separation = json.loads((out / "separation.json").read_text(encoding="utf-8"))
    entropy = (
        pl.read_parquet(out / "samples.parquet")
        .group_by("step")
        .agg(pl.col("mean_entropy").mean().alias("recomputed_entropy"))
    )
    by_step = dict(zip(entropy["step"].to_list(), entropy["recomputed_entropy"].to_list()))
    return {
        "checkpoint": str(model),
        "split": chosen["split"][0],
        "n_samples": summary["n_samples"],
        "n_tokens": summary["n_tokens"],
        "tokens_per_s": summary["tokens_per_s"],
        "mean_policy_entropy": summary["mean_policy_entropy"],
        "overall": {k: separation["layers"]["-1"].get(k) for k in SCORE_KEYS},
        "per_step": [
            {"step": row["step"], "recomputed_entropy": by_step.get(row["step"])}
            | {k: row.get(k) for k in SCORE_KEYS}
            for row in separation["per_step"]
        ],
    }
