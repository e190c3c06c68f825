"""Score rollouts under one checkpoint and write tokens, samples, hidden states and separation.

Outputs in ``out_dir`` (atomic writes):

* ``tokens.parquet`` — every position of every scored sequence (``schema.TOKENS_SCHEMA``;
  ``entropy``/``logprob`` null off-policy: prompt and environment text), sample by sample in
  ``samples.parquet`` order (streamed into a part, then copied in order: ``parts``);
* ``samples.parquet`` — one row per sample: step, split, group, reward, correctness label, token
  counts, mean policy entropy, mean and summed policy log-prob;
* ``hidden.npz`` — ``sample_id`` [n], ``layers`` [k], ``pooled`` [n, k, H] float32 (policy tokens only);
* ``separation.json`` — ``separation.separation_scores`` per pooled layer; per step for the
  headline layer (``layer``: the last layer when pooled, else the first asked for).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import polars as pl

from entropy_lens.errors import NoRollouts
from entropy_lens.outputs import check_out_dir, write_atomically, write_json, write_parquet
from entropy_lens.recompute.encoding import Encoded, encode
from entropy_lens.recompute.parts import PARTS, merge_tokens, part_folder, read_parts, write_part
from entropy_lens.recompute.shards import (
    World,
    agree,
    balanced_shards,
    fail,
    joined,
    rank_device,
    share,
    world_from_env,
)
from entropy_lens.rollout_store import SORT_KEYS
from entropy_lens.run import Run
from entropy_lens.separation import correctness_labels, separation_scores

#: What ``recompute`` writes; an output folder holding only these may be written again.
OUR_FILES = frozenset({"tokens.parquet", "samples.parquet", "hidden.npz", "separation.json", PARTS})


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


def encode_rollouts(tokenizer, rollouts: pl.DataFrame, *, max_length: int = 8192) -> tuple[list[Encoded], int]:
    """``encoding.encode`` over a rollouts table: the sequences, and how many prompts got their template back."""
    return encode(
        tokenizer,
        rollouts["sample_id"].to_list(),
        rollouts["prompt"].fill_null("").to_list(),
        rollouts["response"].fill_null("").to_list(),
        max_length=max_length,
    )


def recompute(
    model_path: str | Path,
    rollouts: pl.DataFrame,
    out_dir: str | Path,
    *,
    max_length: int = 8192,
    device: str = "auto",
    device_map: str | None = None,
    dtype: str = "auto",
    trust_checkpoint: bool = False,
    **scoring,
) -> dict:
    """Score ``rollouts`` (``schema.ROLLOUTS_SCHEMA``) under the checkpoint at ``model_path``.

    ``scoring`` takes ``score_encoded``'s options (token budget, chunk size, layers, label rule).
    Under ``torchrun`` every rank scores a token-balanced shard and rank 0 merges (``shards``).

    Returns:
        A summary: sample and token counts, throughput, mean policy entropy, separation scores.
    """
    from entropy_lens.models import load_policy

    out = check_out_dir(Path(out_dir), OUR_FILES)
    world = world_from_env()
    device = rank_device(world, device, device_map)
    with joined(world, device):
        try:
            model, tokenizer = load_policy(model_path, dtype=dtype, device=device, device_map=device_map,
                                           trust_checkpoint=trust_checkpoint)
            started = time.perf_counter()
            encoded, restored = encode_rollouts(tokenizer, rollouts, max_length=max_length)
        except Exception as exc:  # the other ranks wait in score_encoded's agree() and share()
            fail(world, out, exc)
        summary = score_encoded(model, tokenizer, encoded, rollouts, out, world=world, **scoring)
    summary["seconds_tokenising"] = time.perf_counter() - started - summary["seconds"]
    return summary | {"chat_template_restored": restored}


def score_encoded(
    model,
    tokenizer,
    encoded: list[Encoded],
    rollouts: pl.DataFrame,
    out: Path,
    *,
    token_budget: int = 16384,
    chunk_size: int = 4096,
    layers: tuple[int, ...] = (-1,),
    label_rule: str = "auto",
    world: World = World(),
) -> dict:
    """Score already-encoded ``rollouts`` under a loaded ``model`` and write the four outputs to ``out``.

    This rank scores its shard (``shards.balanced_shards``) into its part; rank 0 merges the parts
    (``parts``) and every rank returns rank 0's summary. One process is rank 0 of 1.
    """
    from entropy_lens.recompute.scoring import score

    started = time.perf_counter()
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    mine = [encoded[i] for i in balanced_shards([len(e.input_ids) for e in encoded], world.size)[world.rank]]
    error, record = None, None
    try:
        scored = score(model, mine, token_budget=token_budget, chunk_size=chunk_size, layers=layers, pad_id=pad_id)
        record = write_part(part_folder(out, world.rank), scored, len(mine), _sample_row, len(layers))
    except Exception as exc:  # every rank must reach agree(), or the others wait forever
        error = exc
    summary = None
    try:
        records = agree(world, out, error, record)
        if world.is_main:
            summary = _merged(out, records, rollouts, layers, label_rule) | {"seconds": time.perf_counter() - started}
    except Exception as exc:
        error = exc
    finally:
        if world.is_main:
            shutil.rmtree(out / PARTS, ignore_errors=True)
    summary = share(world, out, summary, error)
    return summary | {"tokens_per_s": summary["n_tokens"] / summary["seconds"] if summary["seconds"] > 0 else None}


def _merged(out: Path, records: list[dict], rollouts: pl.DataFrame, layers: tuple[int, ...], label_rule: str) -> dict:
    """Rank 0: the four outputs from every rank's part, rows in ``rollouts`` order; the summary."""
    rows, pooled, sources = read_parts(out, records)
    samples = _samples_table(rollouts, rows, label_rule)
    ids = samples["sample_id"].to_list()
    merge_tokens(out / "tokens.parquet", sources, ids)
    write_parquet(out / "samples.parquet", samples)
    stacked = np.stack([pooled[i] for i in ids]) if ids else np.zeros((0, len(layers), 0), np.float32)
    write_atomically(out / "hidden.npz", lambda tmp: _save_hidden(tmp, ids, layers, stacked))
    separation = layer_separation(samples, stacked, layers)
    write_json(out / "separation.json", separation)
    return {
        "n_samples": samples.height,
        "n_tokens": int(samples["n_tokens"].sum()) if samples.height else 0,
        "n_policy_tokens": int(samples["n_policy"].sum()) if samples.height else 0,
        "mean_policy_entropy": samples["mean_entropy"].mean(),
        "separation": separation,
    }


def _save_hidden(path: Path, ids: list[str], layers: tuple[int, ...], pooled: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, sample_id=np.array(ids, dtype=str), layers=np.array(layers), pooled=pooled)


def _sample_row(scored) -> dict:
    n_policy = int(scored.is_policy.sum())
    entropy, logprob = scored.entropy[scored.is_policy], scored.logprob[scored.is_policy]
    return {
        "sample_id": scored.sample_id,
        "n_tokens": len(scored.input_ids),
        "n_policy": n_policy,
        "mean_entropy": float(np.mean(entropy, dtype=np.float64)) if n_policy else None,
        "mean_logprob": float(np.mean(logprob, dtype=np.float64)) if n_policy else None,
        "sum_logprob": float(np.sum(logprob, dtype=np.float64)) if n_policy else None,
    }


def _samples_table(rollouts: pl.DataFrame, rows: pl.DataFrame, label_rule: str) -> pl.DataFrame:
    labelled = rollouts.select("sample_id", "step", "split", "group_id", "reward").with_columns(
        correctness_labels(rollouts, rule=label_rule)
    )
    return labelled.join(rows, on="sample_id", how="inner", maintain_order="left")


def headline_layer(layers: tuple[int, ...]) -> int:
    """The layer the headline and per-step scores read: the last (``-1``) when pooled, else the first."""
    return -1 if -1 in layers else layers[0]


def layer_separation(samples: pl.DataFrame, pooled: np.ndarray, layers: tuple[int, ...]) -> dict:
    """Scores per layer over all labelled samples, and per step for ``headline_layer`` (the same layer)."""
    known = samples["correct"].is_not_null().to_numpy()
    labels = samples["correct"].fill_null(False).to_numpy()
    layer = headline_layer(layers)
    index = layers.index(layer)
    result = {
        "rule": "see samples.parquet `correct`",
        "layer": layer,
        "layers": {str(key): separation_scores(pooled[known, k], labels[known]) for k, key in enumerate(layers)},
        "per_step": [],
    }
    for step in sorted(samples["step"].unique().to_list()):
        rows = (samples["step"] == step).to_numpy() & known
        result["per_step"].append({"step": step} | separation_scores(pooled[rows, index], labels[rows]))
    return result
