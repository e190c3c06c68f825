"""Signals of a whole group of outputs, per step: GRPO-group diversity, template collapse, echo.

* ``group_diversity``: for each GRPO group (``group_id``; else the outputs of one step and split
  that share a prompt) of ≥ 2 outputs, the share of the group's 4-gram vocabulary that is new
  beyond its richest member, ``D = (U − max u) / (Σ u − max u)`` (``u`` unique 4-grams of one
  output, ``U`` of the group): 1 when the outputs share no 4-gram, 0 when all copy one — distinct-n
  (Li et al. 2016) rescaled to the group. Mean over the step's groups.
* ``near_identical_groups``: share of the step's groups with ``D ≤ near_identical`` (template
  collapse, RAGEN-2 arXiv 2604.06268).
* ``turn_echo``: for outputs after the first turn of a trajectory (``traj_id`` + ``turn``), the
  share of their 4-gram occurrences already written in an earlier turn (RAGEN's "echo trap");
  step mean.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entropy_lens.detectors.ngrams import distinct_grams

#: The group-signal columns ``scan`` adds to ``per_step``.
GROUP_SIGNALS = ("n_groups", "group_diversity", "near_identical_groups", "turn_echo")


def group_signals(view: pl.DataFrame, grams: pl.DataFrame, *, near_identical: float = 0.1) -> pl.DataFrame:
    """``step, split`` + ``GROUP_SIGNALS`` for the steps of ``view``.

    Args:
        view: a policy view with ``_unique_grams`` (``ngrams.with_grams``).
        grams: ``ngrams.gram_table`` of the view (``row``, ``gram``).
    """
    group = pl.coalesce(pl.col("group_id"), pl.col("prompt").hash().cast(pl.Utf8))
    keyed = view.select(
        "step",
        "split",
        "turn",
        gid=pl.struct("step", "split", group.alias("g")).hash(),
        tid=pl.when(pl.col("traj_id").is_not_null()).then(pl.struct("step", "split", "traj_id").hash()),
        u=pl.col("_unique_grams"),
    ).with_row_index("row")
    steps = keyed.select("step", "split").unique()
    return (
        steps.join(_diversity(keyed, grams, near_identical), on=["step", "split"], how="left", nulls_equal=True)
        .join(_echo(keyed, grams), on=["step", "split"], how="left", nulls_equal=True)
        .with_columns(pl.col("n_groups").fill_null(0))
        .select("step", "split", *GROUP_SIGNALS)
    )


def _diversity(keyed: pl.DataFrame, grams: pl.DataFrame, near_identical: float) -> pl.DataFrame:
    """Per step: number of groups, mean D, share of near-identical groups."""
    key, first, codes = np.unique(keyed["gid"].to_numpy(), return_index=True, return_inverse=True)
    codes = np.argsort(np.argsort(first))[codes]  # groups numbered in order of appearance (no gather when contiguous)
    members = (
        keyed.with_columns(code=pl.Series(codes))
        .group_by("code")
        .agg(
            pl.col("step").first(), pl.col("split").first(), n=pl.len(), total=pl.col("u").sum(), top=pl.col("u").max()
        )
    )
    union = pl.DataFrame({"code": np.arange(len(key)), "vocab": distinct_grams(grams, codes)})
    scored = (
        members.join(union, on="code", how="left")
        .filter((pl.col("n") >= 2) & (pl.col("total") > pl.col("top")))
        .with_columns(d=(pl.col("vocab") - pl.col("top")) / (pl.col("total") - pl.col("top")))
    )
    return scored.group_by("step", "split").agg(
        n_groups=pl.len(),
        group_diversity=pl.col("d").mean(),
        near_identical_groups=(pl.col("d") <= near_identical).mean(),
    )


def _echo(keyed: pl.DataFrame, grams: pl.DataFrame) -> pl.DataFrame:
    """Per step: mean share of a later turn's 4-grams that an earlier turn of its trajectory wrote."""
    multi = keyed.filter(pl.col("tid").is_not_null() & pl.col("turn").is_not_null()).select("row", "tid", "turn")
    turns = grams.join(multi, on="row") if multi.height else multi.with_columns(gram=pl.lit(None, pl.UInt64))
    first = turns.group_by("tid", "gram").agg(first=pl.col("turn").min())
    opening = multi.group_by("tid").agg(opening=pl.col("turn").min())  # a first turn without 4-grams still opens
    shares = (
        turns.join(opening, on="tid")
        .filter(pl.col("turn") > pl.col("opening"))
        .join(first, on=["tid", "gram"])
        .group_by("row")
        .agg(echo=(pl.col("first") < pl.col("turn")).mean())
    )
    return (
        keyed.select("row", "step", "split")
        .join(shares, on="row")
        .group_by("step", "split")
        .agg(turn_echo=pl.col("echo").mean())
    )
