"""``analyze --model`` / ``--checkpoints``: score a step-balanced sample of outputs under checkpoints.

Picks the outputs to score (validation outputs when the run dumped any, else training ones; at most
``max_samples``, the same share of every dumped step), scores them under every checkpoint asked for
(``recompute.across_checkpoints``: tokenised once) into ``out_dir``, and condenses what was written
into the ``separation`` section of ``diagnosis.json``:

* ``overall`` / ``per_step`` / ``checkpoint``: the last checkpoint's scores (headline layer);
* ``by_checkpoint``: separation per checkpoint, the text-only control beside it (``model_adds`` =
  hidden-state probe AUROC − text probe AUROC), the paper's statistic and a 2-D projection;
* ``early_warning``: does separation fall before each eruption onset;
* ``token_entropy``, ``entropy_vs_logged``, ``mechanism``: per phase / per step, each step read under
  the checkpoint nearest to it (``checkpoint_step``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from entropy_lens.errors import NoRollouts
from entropy_lens.readers.checkpoints import checkpoint_info
from entropy_lens.rollout_store import SORT_KEYS
from entropy_lens.run import Run

SCORE_KEYS = (
    "n", "n_correct", "n_incorrect", "probe_auroc", "diff_means_auroc", "fisher_ratio", "cosine_gap", "seal_ratio",
)


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


def score_checkpoint(run: Run, model: str | Path, out_dir: str | Path, **options) -> dict:
    """``score_checkpoints`` for one checkpoint (``analyze --model``); its step from the folder name if any."""
    info = checkpoint_info(Path(model)) if Path(model).is_dir() else None
    return score_checkpoints(run, [(info.step if info else None, Path(model))], out_dir, **options)


def score_checkpoints(
    run: Run,
    checkpoints: list[tuple[int | None, Path]],
    out_dir: str | Path,
    *,
    max_samples: int = 512,
    device: str = "auto",
    device_map: str | None = None,
    trust_checkpoint: bool = False,
    phases: dict | None = None,
    projection: str = "pca",
) -> dict:
    """Score a sample of ``run``'s outputs under ``checkpoints``; the diagnosis's ``separation`` section.

    ``phases`` is ``PhaseResult.to_dict()`` (for the early-warning question and the per-phase entropy).
    """
    from entropy_lens.recompute.across_checkpoints import folder_name, recompute_checkpoints
    from entropy_lens.recompute.distribution import entropy_by_phase, recomputed_vs_logged
    from entropy_lens.recompute.mechanism import mechanism_per_step
    from entropy_lens.separation.control import text_probe_auroc
    from entropy_lens.separation.early_warning import early_warning
    from entropy_lens.separation.projection import projection_2d

    chosen = sample_outputs(run, max_samples)
    result = recompute_checkpoints(
        checkpoints, chosen, out_dir, device=device, device_map=device_map, trust_checkpoint=trust_checkpoint
    )
    out = Path(out_dir)
    text_auroc = None
    by_checkpoint, token_frames = [], []
    for summary in result["checkpoints"]:
        folder = out / folder_name(summary["step"])
        samples = pl.read_parquet(folder / "samples.parquet")
        if text_auroc is None:
            responses = chosen.join(samples.select("sample_id"), on="sample_id", how="semi")["response"].to_list()
            known = samples["correct"].is_not_null().to_numpy()
            text_auroc = text_probe_auroc(np.asarray(responses, dtype=object)[known], samples["correct"].to_numpy()[known])
        by_checkpoint.append(_checkpoint_row(summary, folder, samples, text_auroc, projection, projection_2d))
        token_frames.append(_policy_tokens(folder, samples, summary["step"]))
    last = result["checkpoints"][-1]
    tokens = _nearest(pl.concat(token_frames))
    phase_list = (phases or {}).get("phases") or []
    onsets = [c["onset_step"] for c in (phases or {}).get("cycles") or []]
    return {
        "checkpoint": last["path"],
        "split": chosen["split"][0],
        "n_samples": last["n_samples"],
        "n_tokens": last["n_tokens"],
        "tokens_per_s": last["tokens_per_s"],
        "mean_policy_entropy": last["mean_policy_entropy"],
        "tokenisations": result["tokenisations"],
        "layer": last["separation"]["layer"],
        "overall": {k: by_checkpoint[-1].get(k) for k in SCORE_KEYS},
        "per_step": _per_step(last, token_frames[-1]),
        "text_control": {"probe_auroc": text_auroc, "features": "TF-IDF word 1-2-grams of the policy text"},
        "by_checkpoint": by_checkpoint,
        "early_warning": early_warning([c for c in by_checkpoint if c["step"] is not None], onsets),
        "token_entropy": entropy_by_phase(tokens.select("step", "entropy"), phase_list),
        "entropy_vs_logged": recomputed_vs_logged(_token_mean(tokens), _logged_entropy(run)),
        "mechanism": mechanism_per_step(tokens.select("sample_id", "logprob"), _nearest_samples(tokens)),
    }


def _checkpoint_row(summary, folder: Path, samples: pl.DataFrame, text_auroc, method, project) -> dict:
    separation = summary["separation"]
    scores = separation["layers"][str(separation["layer"])]
    hidden = np.load(folder / "hidden.npz")
    index = list(hidden["layers"]).index(separation["layer"])
    known = samples["correct"].is_not_null().to_numpy()
    probe = scores.get("probe_auroc")
    return {"step": summary["step"], "checkpoint": summary["path"]} | {k: scores.get(k) for k in SCORE_KEYS} | {
        "text_probe_auroc": text_auroc,
        "model_adds": probe - text_auroc if probe is not None and text_auroc is not None else None,
        "mean_policy_entropy": summary["mean_policy_entropy"],
        "tokens_per_s": summary["tokens_per_s"],
        "projection": project(hidden["pooled"][known, index], samples["correct"].to_numpy()[known], method=method),
    }


def _policy_tokens(folder: Path, samples: pl.DataFrame, checkpoint_step: int | None) -> pl.DataFrame:
    tokens = pl.read_parquet(folder / "tokens.parquet", columns=["sample_id", "is_policy", "entropy", "logprob"])
    keep = samples.select("sample_id", "step", "group_id", "reward", "sum_logprob")
    return (
        tokens.filter(pl.col("is_policy"))
        .drop("is_policy")
        .join(keep, on="sample_id")
        .with_columns(checkpoint_step=pl.lit(checkpoint_step, pl.Int64))
    )


def _nearest(tokens: pl.DataFrame) -> pl.DataFrame:
    """Each step's tokens under the checkpoint nearest to it (the earlier one on a tie)."""
    if tokens["checkpoint_step"].null_count():
        return tokens
    distance = (pl.col("step") - pl.col("checkpoint_step")).abs()
    best = tokens.select("step", "checkpoint_step").unique().sort(distance, "checkpoint_step").unique("step", keep="first")
    return tokens.join(best, on=["step", "checkpoint_step"], how="semi")


def _nearest_samples(tokens: pl.DataFrame) -> pl.DataFrame:
    return tokens.select("sample_id", "step", "group_id", "reward", "sum_logprob").unique("sample_id")


def _token_mean(tokens: pl.DataFrame) -> pl.DataFrame:
    return tokens.group_by("step").agg(
        recomputed_entropy=pl.col("entropy").mean(), checkpoint_step=pl.col("checkpoint_step").first()
    )


def _logged_entropy(run: Run) -> pl.DataFrame:
    if "entropy" in run.metric_names:
        return run.series("entropy").group_by("step").agg(pl.col("value").mean())
    return pl.DataFrame(schema={"step": pl.Int64, "value": pl.Float64})


def _per_step(last: dict, tokens: pl.DataFrame) -> list[dict]:
    """The last checkpoint's per-step separation, with each step's recomputed token-mean entropy under it."""
    means = dict(_token_mean(tokens).select("step", "recomputed_entropy").iter_rows())
    return [
        {"step": row["step"], "recomputed_entropy": means.get(row["step"])} | {k: row.get(k) for k in SCORE_KEYS}
        for row in last["separation"]["per_step"]
    ]
