"""The entropy mechanism, per step, from recomputed log-probs and the run's rewards.

* ``logp_advantage_cov``: Cov(log π(a|s), A) over policy tokens — under natural policy gradient
  the entropy change of an update is ≈ −η·Cov(log π, A) (Cui et al., "The Entropy Mechanism of RL
  for Reasoning LMs", arXiv 2505.22617): positive covariance drives entropy down (descent),
  negative covariance up (eruption). A is the GRPO group-relative advantage r − mean(r of the group),
  every token of an output sharing its output's advantage; outputs whose group has one member are
  left out (no advantage).
* ``diff_logps``: mean summed log-prob of correct outputs (reward > 0) minus that of incorrect ones
  (reward ≤ 0): the SEAL fork's ``actor/diff_logps`` (``correct_logps − wrong_logps``).
"""

from __future__ import annotations

import polars as pl


def advantages(samples: pl.DataFrame) -> pl.Series:
    """GRPO advantage ``reward − mean(reward of its group)`` per sample; null for singleton or unknown groups."""
    size = pl.len().over("group_id")
    value = pl.col("reward") - pl.col("reward").mean().over("group_id")
    usable = pl.col("group_id").is_not_null() & (size >= 2) & pl.col("reward").is_not_null()
    return samples.select(pl.when(usable).then(value).alias("advantage"))["advantage"]


def _centred(name: str) -> pl.Expr:
    return pl.col(name) - pl.col(name).mean()


def mechanism_per_step(tokens: pl.DataFrame, samples: pl.DataFrame) -> list[dict]:
    """Per step: ``logp_advantage_cov`` (and its token count) and ``diff_logps``.

    Args:
        tokens: ``sample_id, logprob`` of policy tokens.
        samples: ``sample_id, step, group_id, reward, sum_logprob``.
    """
    with_adv = samples.with_columns(advantages(samples))
    per_token = tokens.join(with_adv.select("sample_id", "step", "advantage"), on="sample_id").drop_nulls(
        ["logprob", "advantage"]
    )
    cov = per_token.group_by("step").agg(
        logp_advantage_cov=(_centred("logprob") * _centred("advantage")).mean(),
        n_cov_tokens=pl.len(),
    )
    correct = pl.col("reward") > 0
    gap = with_adv.filter(pl.col("sum_logprob").is_not_null()).group_by("step").agg(
        correct_logps=pl.col("sum_logprob").filter(correct).mean(),
        wrong_logps=pl.col("sum_logprob").filter(~correct).mean(),
    ).with_columns(diff_logps=pl.col("correct_logps") - pl.col("wrong_logps"))
    return gap.join(cov, on="step", how="full", coalesce=True).sort("step").to_dicts()
