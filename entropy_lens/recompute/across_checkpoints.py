"""Score the same outputs under several checkpoints of a run, tokenising them once.

``out_dir/checkpoint_<step>/`` gets ``score_rollouts``' four files per checkpoint and
``out_dir/checkpoints.json`` the summaries. Checkpoints of one run share a tokenizer: the
outputs are tokenised under the first and the token ids reused for every checkpoint whose
tokenizer has the same fingerprint (vocabulary, merges, special tokens, chat template); a
checkpoint with a different tokenizer is tokenised again. Scoring N checkpoints therefore costs
N model loads and N forward passes over the same tokens, and one tokenisation
(``bench/checkpoints_speed.py``).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import polars as pl

from entropy_lens.errors import CheckpointNotFound, InvalidInput
from entropy_lens.outputs import check_out_dir, write_json
from entropy_lens.progress import track
from entropy_lens.recompute.score_rollouts import encode_rollouts, score_encoded
from entropy_lens.recompute.shards import World, fail, joined, rank_device, world_from_env
from entropy_lens.run import Run


def folder_name(step: int | None) -> str:
    """The output subfolder of the checkpoint of ``step`` (``checkpoint`` when its step is unknown)."""
    return "checkpoint" if step is None else f"checkpoint_{step}"


def run_checkpoints(run: Run, spec: str) -> list[tuple[int, Path]]:
    """``(step, path)`` of the checkpoints ``spec`` names: ``all`` (every one with weights) or ``STEP,STEP,…``.

    Raises:
        CheckpointNotFound: the run has no checkpoint with weights (for ``all``).
        InvalidInput: ``spec`` is malformed or names a step the run has no loadable checkpoint of.
    """
    table = run.checkpoints.filter(pl.col("has_weights")).sort("step")
    available = dict(zip(table["step"].to_list(), table["path"].to_list()))
    if spec.strip() == "all":
        if not available:
            raise CheckpointNotFound(run.path, "holds no checkpoint with weights (`entropy-lens inspect` lists them)")
        return [(step, Path(path)) for step, path in available.items()]
    try:
        steps = [int(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        raise InvalidInput(
            "--checkpoints", f"takes `all` or steps separated by commas, e.g. 100,200 (got {spec!r})"
        ) from None
    missing = [step for step in steps if step not in available]
    if missing or not steps:
        have = ", ".join(map(str, available)) or "none"
        raise InvalidInput(run.path, f"no checkpoint with weights at step(s) {missing or spec!r}; steps with weights: {have}")
    return [(step, Path(available[step])) for step in sorted(set(steps))]


def tokenizer_fingerprint(tokenizer) -> str:
    """A hash of everything that decides how text is tokenised and templated."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    body = backend.to_str() if backend is not None else repr(sorted(tokenizer.get_vocab().items()))
    extra = f"{tokenizer.chat_template}|{tokenizer.all_special_tokens}|{tokenizer.bos_token}"
    return hashlib.sha256((body + extra).encode()).hexdigest()


def recompute_checkpoints(
    checkpoints: list[tuple[int | None, Path]],
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
    """Score ``rollouts`` under every ``(step, path)`` checkpoint; ``scoring`` is ``score_encoded``'s options.

    Under ``torchrun`` every rank loads each checkpoint and scores its shard; rank 0 merges and writes
    ``checkpoints.json``.

    Returns:
        ``{"checkpoints": [summary per checkpoint, with step, path, seconds_loading,
        seconds_tokenising, seconds_total, tokenised (bool)], "tokenisations": count}``.
    """
    ours = frozenset({"checkpoints.json"} | {folder_name(step) for step, _ in checkpoints})
    out = check_out_dir(Path(out_dir), ours)
    world = world_from_env()
    device = rank_device(world, device, device_map)
    cache: dict[str, tuple] = {}
    summaries = []
    loading = {"device": device, "device_map": device_map, "dtype": dtype, "trust_checkpoint": trust_checkpoint}
    with joined(world, device), track("Scoring checkpoints", total=len(checkpoints)) as advance:
        for step, path in checkpoints:
            summaries.append(_score_one(step, path, rollouts, out, cache, max_length, loading, scoring, world))
            advance()
    result = {"checkpoints": summaries, "tokenisations": len(cache)}
    if world.is_main:
        write_json(out / "checkpoints.json", result)
    return result


def _score_one(step, path, rollouts, out: Path, cache: dict, max_length: int, loading: dict, scoring: dict,
               world: World) -> dict:
    """Load one checkpoint, tokenise unless its tokenizer's ids are cached, score into its folder."""
    from entropy_lens.models import load_policy

    folder = out / folder_name(step)
    started = time.perf_counter()
    try:
        model, tokenizer = load_policy(path, **loading)
        loaded = time.perf_counter()
        key = tokenizer_fingerprint(tokenizer)
        tokenised = key not in cache
        if tokenised:
            cache[key] = encode_rollouts(tokenizer, rollouts, max_length=max_length)
        encoded, restored = cache[key]
        encoded_at = time.perf_counter()
        folder.mkdir(parents=True, exist_ok=True)
    except Exception as exc:  # the other ranks wait in score_encoded's agree() and share()
        fail(world, folder, exc)
    summary = score_encoded(model, tokenizer, encoded, rollouts, folder, world=world, **scoring)
    return (
        {"step": step, "path": str(path), "chat_template_restored": restored, "tokenised": tokenised}
        | summary
        | {"seconds_loading": loaded - started, "seconds_tokenising": encoded_at - loaded,
           "seconds_total": time.perf_counter() - started}
    )
