"""Canonical tables and the one metric-alias map.

Conventions, written once:

* ``step`` is the trainer's logged global step (an int), as the framework wrote it.
* Entropy is in nats (natural log), the unit every framework logs.
* Validation metrics carry a ``val/`` prefix on their canonical name (``val/reward``).
* Unknown metric keys are kept verbatim; known ones get a canonical name, one raw key per
  canonical name and run (the alias listed first wins; the others keep their raw key).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

#: ``metrics``: one row per (step, metric). ``raw_name`` is the key as the framework wrote it.
METRICS_SCHEMA: dict[str, pl.DataType] = {
    "step": pl.Int64,
    "name": pl.Utf8,
    "value": pl.Float64,
    "raw_name": pl.Utf8,
    "source": pl.Utf8,
}

#: ``rollouts``: one row per policy output (a turn, or a whole sequence when the framework
#: concatenates turns). ``admissible_actions`` is null when the prompt lists none; ``extra``
#: holds the remaining keys of the dumped record as a JSON object.
ROLLOUTS_SCHEMA: dict[str, pl.DataType] = {
    "step": pl.Int64,
    "sample_id": pl.Utf8,
    "traj_id": pl.Utf8,
    "group_id": pl.Utf8,
    "turn": pl.Int64,
    "prompt": pl.Utf8,
    "response": pl.Utf8,
    "reward": pl.Float64,
    "success": pl.Boolean,
    "split": pl.Utf8,
    "source": pl.Utf8,
    "admissible_actions": pl.List(pl.Utf8),
    "extra": pl.Utf8,
}

#: ``checkpoints``: one row per saved policy. ``format``: ``hf`` (weights present), ``verl-fsdp-shards``
#: (only ``model_world_size_W_rank_R.pt`` shards beside a config-only ``huggingface/``), …
CHECKPOINTS_SCHEMA: dict[str, pl.DataType] = {
    "step": pl.Int64,
    "path": pl.Utf8,
    "format": pl.Utf8,
    "has_weights": pl.Boolean,
}

#: ``tokens`` (from recomputation): one row per position of every scored sequence.
TOKENS_SCHEMA: dict[str, pl.DataType] = {
    "sample_id": pl.Utf8,
    "position": pl.Int64,
    "token_id": pl.Int64,
    "is_policy": pl.Boolean,
    "entropy": pl.Float64,
    "logprob": pl.Float64,
}

SPLITS = ("train", "val")

#: canonical name → raw keys, strongest first (sources: ../shared/research/anchors.md,
#: "Metric-name map"; verl, verl-agent, RAGEN, TRL, OpenRLHF, SkyRL, AReaL, ROLL).
METRIC_ALIASES: dict[str, tuple[str, ...]] = {
    "entropy": (
        "actor/entropy",
        "actor/entropy_loss",
        "entropy",
        "policy/policy_entropy",
        "ppo_actor/update/entropy/avg",
        "critic/entropy/mean",
        "train/entropy_loss",
        "actor/main_chain/entropy",  # DEEP_GRPO's verl fork (W&B CSV export, ../shared/external)
    ),
    "reward": (
        "critic/score/mean",
        "reward",
        "episode/reward/mean",
        "critic/rewards/mean",
        "rollout/reward_mean",
        "train/reward",
        "reward/avg_raw_reward",
        "ppo_actor/task_reward/avg",
        "rollout/reward",
    ),
    "reward_std": ("reward_std", "rollout/reward_std", "rollout/in_group_std"),
    "response_length": (
        "response_length/mean",
        "completions/mean_length",
        "rollout/response_length_mean",
        "ppo_actor/seq_len/avg",
        "train/response_length",
        "generate/avg_num_tokens",
        "completion_length",
    ),
    "truncation": (
        "response_length/clip_ratio",
        "completions/clipped_ratio",
        "rollout/truncated_rate",
        "ppo_actor/no_eos_ratios/avg",
    ),
    "grad_norm": ("actor/grad_norm", "grad_norm", "actor_grad_norm", "train/actor_grad_norm"),
    "kl": ("actor/ppo_kl", "actor/kl_loss", "kl", "critic/kl", "loss/avg_kl", "train/kl"),
    "num_turns": ("num_turns/mean", "episode/length/mean"),
    "success": ("episode/success_rate",),
}

#: Keys whose middle part varies (environment tag, data source), after the exact aliases.
METRIC_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^train/[^/]+/success$"), "success"),
    (re.compile(r"^train/[^/]+/num_actions$"), "num_turns"),
    (re.compile(r"^val-core/.+/reward/mean@\d+$"), "val/reward"),
    (re.compile(r"^test_score/.+$"), "val/reward"),
    (re.compile(r"^val/test_score/.+$"), "val/reward"),
    (re.compile(r"^val(?:-env)?/(?:[^/]+/)?success(?:_rate)?$"), "val/success"),
)

_VAL_PREFIXES = ("val/", "eval_", "eval/")
#: Prefixes that loggers add to training keys (transformers' TensorBoard/W&B callbacks, OpenRLHF).
_TRAIN_PREFIXES = ("train/",)


def _candidate(raw: str) -> tuple[str, int] | None:
    """Canonical name a raw key could take, with its rank (lower is stronger), or None."""
    for canonical, aliases in METRIC_ALIASES.items():
        if raw in aliases:
            return canonical, aliases.index(raw)
    for rank, (pattern, canonical) in enumerate(METRIC_PATTERNS):
        if pattern.match(raw):
            return canonical, 100 + rank
    for prefix in _VAL_PREFIXES:
        if raw.startswith(prefix):
            inner = _candidate(raw[len(prefix) :])
            if inner is not None and not inner[0].startswith("val/"):
                return f"val/{inner[0]}", 200 + inner[1]
    for prefix in _TRAIN_PREFIXES:
        if raw.startswith(prefix):
            inner = _candidate(raw[len(prefix) :])
            if inner is not None and not inner[0].startswith("val/"):
                return inner[0], 300 + inner[1]
    return None


def canonical_metric_names(raw_keys: Iterable[str]) -> dict[str, str]:
    """Map every raw key of one run to its name in the ``metrics`` table.

    Each canonical name goes to the strongest raw key present; the rest keep their raw key
    (prefixed ``raw:`` in the rare case that the raw key is itself a taken canonical name).

    >>> canonical_metric_names(["actor/entropy_loss", "critic/score/mean", "perf/mfu"])
    {'actor/entropy_loss': 'entropy', 'critic/score/mean': 'reward', 'perf/mfu': 'perf/mfu'}
    """
    keys = sorted(set(raw_keys))
    best: dict[str, tuple[int, str]] = {}
    for raw in keys:
        found = _candidate(raw)
        if found is not None:
            canonical, rank = found
            if canonical not in best or (rank, raw) < best[canonical]:
                best[canonical] = (rank, raw)
    winners = {raw: canonical for canonical, (_, raw) in best.items()}
    names = {}
    for raw in keys:
        name = winners.get(raw, raw)
        if raw not in winners and raw in best:
            name = f"raw:{raw}"
        names[raw] = name
    return names


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty table with the given schema."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast ``frame`` to ``schema``: missing columns become null, extra columns are kept after."""
    columns = [
        (pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name))
        for name, dtype in schema.items()
    ]
    extra = [c for c in frame.columns if c not in schema]
    return frame.select(columns + extra)
