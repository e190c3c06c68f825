"""Groups, advantages and SEAL labels for logged rollouts (one row per policy output).

**Groups.** The dump's ``uid`` where it has one (the readers put it in ``group_id``), else the
readers' stand-in: identical prompts of one step share a group (``group_id`` = hash of split,
step, prompt). ``group_source`` says which.

**Advantages** (the policy loss). GRPO: ``(r − mean) / (std + 1e-6)`` over the group (population
std). Where trajectory ids are real (several outputs share one ``traj_id``: one per turn), the
GiGPO step term is added, ``A = A_episode + A_step`` with ω = 1: ``A_step = r − mean`` over the
group's outputs from an identical state (same prompt, GiGPO's anchor observation; ``mean_norm``,
GiGPO's default). Rewards are the dump's per-output scores (verl-agent repeats the episode reward
on every step).

**Singletons.** A group of one output has advantage 0, which the SEAL rule 1[A ≥ 0] calls
"correct": on a dump that lost its group ids, most outputs would be labelled correct. Singletons
instead get (documented fallback) the step's batch as baseline for the policy loss, ``(r − mean of
the step) / (std + 1e-6)``, and their SEAL label from ``success`` where the dump has it, else
``reward > median reward of the step`` (strict, so a step of equal rewards labels nobody correct).
``summary["warning"]`` says how many groups are singletons whenever any are.
"""

from __future__ import annotations

import polars as pl
import torch

from entropy_lens.readers.records import group_hash
from entropy_lens.seal.loss import group_advantages


def advantages_and_labels(rollouts: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Per-output advantage, SEAL label and where the label came from.

    Args:
        rollouts: ``schema.ROLLOUTS_SCHEMA`` rows (``step``, ``sample_id``, ``traj_id``,
            ``group_id``, ``prompt``, ``reward``, ``success``, ``split``).

    Returns:
        ``(table, summary)``: ``table`` has ``sample_id``, ``advantage`` (float), ``label`` (bool,
        null where neither reward nor success is known), ``group_size`` and ``label_source``
        (``advantage``, ``success`` or ``reward>step-median``); ``summary`` counts groups,
        singletons, labels by source, the share labelled correct, the share the plain advantage
        rule would have labelled correct, and ``warning`` (None when no group is a singleton).
    """
    rows = rollouts.with_row_index("_row").with_columns(
        pl.col("reward").cast(pl.Float64), pl.len().over("group_id").alias("group_size")
    )
    gigpo = bool(rows.height) and rows["traj_id"].n_unique() < rows.height
    grouped = _grpo(rows, "group_id", normalize_std=True)
    if gigpo:
        grouped = grouped + _grpo(rows, ["group_id", "prompt"], normalize_std=False)
    batch = _grpo(rows, ["split", "step"], normalize_std=True)
    single = rows["group_size"] == 1
    fallback_label = pl.when(pl.col("success").is_not_null()).then(pl.col("success")).otherwise(
        pl.col("reward") > pl.col("reward").median().over("split", "step")
    )
    table = rows.with_columns(
        advantage=pl.Series(torch.where(torch.as_tensor(single.to_numpy()), batch, grouped).numpy()),
        _naive=pl.Series(grouped.numpy()) >= 0,
    ).with_columns(
        label=pl.when(pl.col("group_size") > 1).then(pl.col("advantage") >= 0).otherwise(fallback_label),
        label_source=pl.when(pl.col("group_size") > 1)
        .then(pl.lit("advantage"))
        .when(pl.col("success").is_not_null())
        .then(pl.lit("success"))
        .otherwise(pl.lit("reward>step-median")),
    )
    table = table.with_columns(pl.when(pl.col("reward").is_null()).then(0.0).otherwise("advantage").alias("advantage"))
    return table.select("sample_id", "advantage", "label", "group_size", "label_source"), _summary(rows, table, gigpo)


def group_source(rollouts: pl.DataFrame) -> str:
    """``uid`` when the dump named the groups, ``prompt`` when the readers grouped identical prompts."""
    derived = [
        gid == group_hash(split, step, prompt or "")
        for gid, split, step, prompt in rollouts.select("group_id", "split", "step", "prompt").iter_rows()
    ]
    return "prompt" if all(derived) else "uid"


def _grpo(rows: pl.DataFrame, keys, *, normalize_std: bool) -> torch.Tensor:
    """``group_advantages`` with groups given by ``keys`` (null rewards count as 0, then get advantage 0)."""
    ids = rows.select(pl.struct(keys).rank("dense")).to_series().to_numpy()
    rewards = torch.tensor(rows["reward"].fill_null(0.0).to_numpy())
    return group_advantages(rewards, torch.as_tensor(ids.astype("int64")), normalize_std=normalize_std).double()


def _summary(rows: pl.DataFrame, table: pl.DataFrame, gigpo: bool) -> dict:
    groups = rows.group_by("group_id").agg(pl.len().alias("n"))
    singletons = int((groups["n"] == 1).sum())
    known = table.filter(pl.col("label").is_not_null())
    sources = dict(table.group_by("label_source").len().iter_rows())
    summary = {
        "n_outputs": rows.height,
        "n_groups": groups.height,
        "n_singleton_groups": singletons,
        "group_source": group_source(rows) if rows.height else None,
        "advantage": "grpo+gigpo-step" if gigpo else "grpo",
        "label_sources": {k: int(v) for k, v in sorted(sources.items())},
        "correct_share": float(known["label"].mean()) if known.height else None,
        "advantage_rule_correct_share": float(table["_naive"].mean()) if table.height else None,
        "warning": None,
    }
    if singletons:
        share = summary["correct_share"]
        summary["warning"] = (
            f"{singletons} of {groups.height} groups are singletons (one output each): their advantage would be 0 and "
            f"the SEAL rule would call them all correct ({summary['advantage_rule_correct_share']:.0%} of outputs). "
            f"Their labels come from success, else reward above the step's median, and their policy-loss "
            f"baseline is the step's mean reward; {share:.0%} of outputs are labelled correct."
        )
    return summary
