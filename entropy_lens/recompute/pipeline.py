"""The ``recompute`` job: score rollouts under a checkpoint and write tokens, samples, hidden, separation.

Outputs in ``out_dir`` (atomic writes):

* ``tokens.parquet`` — every position of every scored sequence (``schema.TOKENS_SCHEMA``;
  ``entropy``/``logprob`` null off-policy), streamed batch by batch;
* ``samples.parquet`` — one row per sample: step, split, token counts, mean policy entropy and
  log-prob, correctness label;
* ``hidden.npz`` — ``sample_id`` [n], ``layers`` [k], ``pooled`` [n, k, H] float32;
* ``separation.json`` — ``separation.separation_scores`` per pooled layer, overall and per step.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import polars as pl

from entropy_lens.errors import NoRollouts
from entropy_lens.outputs import check_out_dir, write_atomically, write_json, write_parquet
from entropy_lens.progress import track
from entropy_lens.recompute.batching import encode
from entropy_lens.recompute.tokens import TokenWriter
from entropy_lens.rollout_store import SORT_KEYS
from entropy_lens.run import Run
from entropy_lens.separation import correctness_labels, separation_scores

#: What ``recompute`` writes; an output folder holding only these may be written again.
OUR_FILES = frozenset({"tokens.parquet", "samples.parquet", "hidden.npz", "separation.json"})


def select_rollouts(
    run: Run, *, split: str = "all", steps: list[int] | None = None, max_samples: int | None = None
) -> pl.DataFrame:
    """The rollouts of ``run`` to score: one split (``train``/``val``/``all``), some steps, the first N.

    Raises:
        NoRollouts: nothing is left after the selection.
    """
    keys = run.rollouts_lazy.select("split", "step", "sample_id")
    if split != "all":
        keys = keys.filter(pl.col("split") == split)
    if steps:
        keys = keys.filter(pl.col("step").is_in(steps))
    keys = keys.sort(SORT_KEYS, nulls_last=True, maintain_order=True)
    if max_samples is not None:
        keys = keys.head(max_samples)
    chosen = run.rollouts_of(keys.collect())
    if chosen.is_empty():
        selection = ", ".join(f"{k}={v}" for k, v in (("split", split), ("steps", steps)) if v and v != "all")
        raise NoRollouts(run.path, selection)
    return chosen


def recompute(
    model_path: str | Path,
    rollouts: pl.DataFrame,
    out_dir: str | Path,
    *,
    token_budget: int = 16384,
    chunk_size: int = 4096,
    max_length: int = 8192,
    layers: tuple[int, ...] = (-1,),
    device: str = "auto",
    dtype: str = "auto",
    label_rule: str = "auto",
    trust_checkpoint: bool = False,
) -> dict:
    """Score ``rollouts`` (``schema.ROLLOUTS_SCHEMA``) under the checkpoint at ``model_path``.

    Returns:
        A summary: sample and token counts, throughput, mean policy entropy, separation scores.
    """
    from entropy_lens.models import load_policy
    from entropy_lens.recompute.scoring import score

    out = check_out_dir(Path(out_dir), OUR_FILES)
    model, tokenizer = load_policy(model_path, dtype=dtype, device=device, trust_checkpoint=trust_checkpoint)
    started = time.perf_counter()
    encoded = encode(
        tokenizer,
        rollouts["sample_id"].to_list(),
        rollouts["prompt"].fill_null("").to_list(),
        rollouts["response"].fill_null("").to_list(),
        max_length=max_length,
    )
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    pooled: dict[str, np.ndarray] = {}
    per_sample: list[dict] = []

    def stream_tokens(tmp: Path) -> None:
        with TokenWriter(tmp) as writer, track("Scoring outputs", total=len(encoded)) as advance:
            for scored in score(
                model, encoded, token_budget=token_budget, chunk_size=chunk_size, layers=layers, pad_id=pad_id
            ):
                writer.write(scored)
                pooled[scored.sample_id] = scored.pooled
                per_sample.append(_sample_row(scored))
                advance()

    write_atomically(out / "tokens.parquet", stream_tokens)
    seconds = time.perf_counter() - started
    samples = _samples_table(rollouts, per_sample, label_rule)
    write_parquet(out / "samples.parquet", samples)
    ids = samples["sample_id"].to_list()
    stacked = np.stack([pooled[i] for i in ids]) if ids else np.zeros((0, len(layers), 0), np.float32)
    write_atomically(out / "hidden.npz", lambda tmp: _save_hidden(tmp, ids, layers, stacked))
    separation = _separation(samples, stacked, layers)
    write_json(out / "separation.json", separation)
    n_tokens = int(samples["n_tokens"].sum()) if samples.height else 0
    return {
        "n_samples": samples.height,
        "n_tokens": n_tokens,
        "n_policy_tokens": int(samples["n_policy"].sum()) if samples.height else 0,
        "seconds": seconds,
        "tokens_per_s": n_tokens / seconds if seconds > 0 else None,
        "mean_policy_entropy": samples["mean_entropy"].mean(),
        "separation": separation,
    }


def _save_hidden(path: Path, ids: list[str], layers: tuple[int, ...], pooled: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, sample_id=np.array(ids, dtype=str), layers=np.array(layers), pooled=pooled)


def _sample_row(scored) -> dict:
    policy = slice(scored.policy_start, len(scored.input_ids))
    n_policy = len(scored.input_ids) - scored.policy_start
    return {
        "sample_id": scored.sample_id,
        "n_tokens": len(scored.input_ids),
        "n_policy": n_policy,
        "mean_entropy": float(np.mean(scored.entropy[policy], dtype=np.float64)) if n_policy else None,
        "mean_logprob": float(np.mean(scored.logprob[policy], dtype=np.float64)) if n_policy else None,
    }


def _samples_table(rollouts: pl.DataFrame, rows: list[dict], label_rule: str) -> pl.DataFrame:
    labelled = rollouts.select("sample_id", "step", "split").with_columns(
        correctness_labels(rollouts, rule=label_rule)
    )
    scored = pl.DataFrame(
        rows,
        schema={
            "sample_id": pl.Utf8,
            "n_tokens": pl.Int64,
            "n_policy": pl.Int64,
            "mean_entropy": pl.Float64,
            "mean_logprob": pl.Float64,
        },
    )
    return labelled.join(scored, on="sample_id", how="inner", maintain_order="left")


def _separation(samples: pl.DataFrame, pooled: np.ndarray, layers: tuple[int, ...]) -> dict:
    """Scores per layer over all samples with a label, and per step for the last layer."""
    known = samples["correct"].is_not_null().to_numpy()
    labels = samples["correct"].fill_null(False).to_numpy()
    result = {
        "rule": "see samples.parquet `correct`",
        "layers": {str(layer): separation_scores(pooled[known, k], labels[known]) for k, layer in enumerate(layers)},
        "per_step": [],
    }
    for step in sorted(samples["step"].unique().to_list()):
        rows = (samples["step"] == step).to_numpy() & known
        scores = separation_scores(pooled[rows, -1], labels[rows])
        result["per_step"].append({"step": step} | scores)
    return result
