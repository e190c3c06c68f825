"""Fill a rollouts table's ``admissible_actions`` from its prompts, and name each row's environment."""

from __future__ import annotations

import polars as pl

from entropy_lens.environments.action_lists import parse_admissible
from entropy_lens.environments.recognition import recognise_expr


def annotate(rollouts: pl.DataFrame) -> pl.DataFrame:
    """Fill ``admissible_actions`` from each prompt where it is null (existing lists are kept)."""
    return recognised(rollouts).drop("_env")


def recognised(rollouts: pl.DataFrame, env: str | None = None) -> pl.DataFrame:
    """``annotate``, plus an ``_env`` column: each prompt's environment (``env`` forces one).

    Prompts are parsed once each (GRPO groups share them) and joined back by hash.
    """
    if "prompt" not in rollouts.columns:
        rollouts = rollouts.with_columns(prompt=pl.lit(None, pl.Utf8))
    keyed = rollouts.with_columns(_prompt_key=pl.col("prompt").fill_null("").hash())
    kinds = keyed.unique("_prompt_key").select(
        "_prompt_key", _env=recognise_expr(pl.col("prompt").fill_null(""), env), prompt=pl.col("prompt")
    )
    parsed = kinds.select("_prompt_key", "_env", _listed=parse_admissible(kinds["prompt"].fill_null(""), kinds["_env"]))
    joined = keyed.join(parsed, on="_prompt_key", how="left", maintain_order="left").drop("_prompt_key")
    if "admissible_actions" not in rollouts.columns:
        return joined.rename({"_listed": "admissible_actions"})
    return joined.with_columns(pl.coalesce("admissible_actions", "_listed").alias("admissible_actions")).drop("_listed")
