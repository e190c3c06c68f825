"""SEAL's loop and ramble flags and the repeat ratios behind them (``repetition.py``,
github.com/WindyLee0822/SEAL), over ``loop_measures``' per-output values.

* ``local_loop`` (pattern): ``max_clause_repeat ≥ 3`` and ``clause_repeat_ratio ≥ 0.25``, or
  ``max_5gram_repeat ≥ 12``, or ``unique_token_ratio < 0.18`` with ``think_tokens > 40``.
* ``ramble`` (pattern): ``think_tokens ≥ 180``, or the ``<answer>`` part (normalised) written ≥ 2
  times in the think part, or ≥ 6 discourse markers in the think part (``therefore``, ``so``,
  ``thus``, ``hence``, ``but the``, ``however``, counted as substrings of the lowercased,
  whitespace-collapsed think part, so ``so`` also counts inside ``also``). Agent prompts that ask
  for ``<action>`` have no ``<answer>`` part: that term is 0 there, as in SEAL's script.
* ``repeated_5gram_ratio``, ``repeated_10gram_ratio``, ``clause_repeat_ratio`` (numeric
  companions, no threshold): SEAL reports their per-checkpoint means.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from entropy_lens.detectors.base import findings, register
from entropy_lens.detectors.companions import Companion
from entropy_lens.detectors.loop_measures import with_loops
from entropy_lens.detectors.view import policy_view

DISCOURSE = ("therefore", "so", "thus", "hence", "but the", "however")
_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


class _Ratio(Companion):
    """A loop measure as a numeric companion (never flagged)."""

    column: str

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        view = with_loops(view)
        return view[self.column], pl.repeat(False, view.height, eager=True)


@register
class Repeated5gramRatio(_Ratio):
    """Share of token 5-gram positions whose 5-gram occurs ≥ 2 times."""

    name, column = "repeated_5gram_ratio", "_repeated_5gram_ratio"


@register
class Repeated10gramRatio(_Ratio):
    """Share of token 10-gram positions whose 10-gram occurs ≥ 2 times."""

    name, column = "repeated_10gram_ratio", "_repeated_10gram_ratio"


@register
class ClauseRepeatRatio(_Ratio):
    """Occurrences of clauses (≥ 6 words) seen ≥ 2 times / kept clauses."""

    name, column = "clause_repeat_ratio", "_clause_repeat_ratio"


@register
class LocalLoop:
    """SEAL's ``local_loop_flag``; score = conditions met; evidence = their values."""

    name = "local_loop"

    def __init__(
        self,
        max_clause: int = 3,
        clause_ratio: float = 0.25,
        max_5gram: int = 12,
        unique_ratio: float = 0.18,
        min_think_tokens: int = 40,
    ):
        self.max_clause, self.clause_ratio, self.max_5gram = max_clause, clause_ratio, max_5gram
        self.unique_ratio, self.min_think_tokens = unique_ratio, min_think_tokens

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = with_loops(policy_view(rollouts))
        clause = pl.col("_max_clause_repeat") >= self.max_clause
        clause &= pl.col("_clause_repeat_ratio") >= self.clause_ratio
        gram = pl.col("_max_5gram_repeat") >= self.max_5gram
        unique = (pl.col("_unique_token_ratio") < self.unique_ratio) & (pl.col("_think_tokens") > self.min_think_tokens)
        percent = (pl.col("_clause_repeat_ratio") * 100).round(0).cast(pl.Int64)
        said = [
            pl.when(clause).then(pl.format("a clause ×{} ({}% of clauses repeated)", "_max_clause_repeat", percent)),
            pl.when(gram).then(pl.format("a 5-gram ×{}", "_max_5gram_repeat")),
            pl.when(unique).then(
                pl.format(
                    "{}% distinct tokens over {} think tokens",
                    (pl.col("_unique_token_ratio") * 100).round(1),
                    "_think_tokens",
                )
            ),
        ]
        met = view.select(
            flagged=clause | gram | unique,
            score=pl.sum_horizontal(clause.cast(pl.Float64), gram.cast(pl.Float64), unique.cast(pl.Float64)),
            evidence=pl.concat_str(said, separator="; ", ignore_nulls=True),
        )
        found = findings(view, met["flagged"], met["score"])
        return found.with_columns(evidence=pl.when(met["flagged"]).then(met["evidence"]))


@register
class Ramble:
    """SEAL's ``ramble_flag``; score = think tokens; evidence = the conditions met."""

    name = "ramble"

    def __init__(self, max_think_tokens: int = 180, answer_mentions: int = 2, discourse: int = 6):
        self.max_think_tokens, self.answer_mentions, self.discourse = max_think_tokens, answer_mentions, discourse

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = with_loops(policy_view(rollouts))
        long = pl.col("_think_tokens") >= self.max_think_tokens
        short = view.with_row_index().filter(~long & pl.col("_lower").str.contains("<think>", literal=True))
        mentions, markers = np.zeros(view.height, dtype=np.int64), np.zeros(view.height, dtype=np.int64)
        for i, lower in zip(short["index"].to_list(), short["_lower"].to_list()):  # long ones are flagged anyway
            mentions[i], markers[i] = _think_counts(lower)
        parts = [
            pl.when(long).then(pl.format("{} think tokens", "_think_tokens")),
            pl.when(pl.col("m") >= self.answer_mentions).then(pl.format("the answer written {}× when thinking", "m")),
            pl.when(pl.col("d") >= self.discourse).then(pl.format("{} discourse markers", "d")),
        ]
        said = view.select(long.alias("long"), "_think_tokens").with_columns(m=mentions, d=markers)
        said = said.select(evidence=pl.concat_str(parts, separator="; ", ignore_nulls=True), score="_think_tokens")
        flagged = said["evidence"].is_not_null() & (said["evidence"] != "")
        found = findings(view, flagged, said["score"].cast(pl.Float64))
        return found.with_columns(evidence=pl.when(flagged).then(said["evidence"]))


def _think_counts(lower: str) -> tuple[int, int]:
    """Answer mentions and discourse markers in the think part of one lowercased output."""
    think, answer = _THINK.search(lower), _ANSWER.search(lower)
    think_text = " ".join(think.group(1).split()) if think else ""
    answer_text = " ".join(answer.group(1).split()) if answer else ""
    mentions = think_text.count(answer_text) if answer_text else 0
    return mentions, sum(think_text.count(marker) for marker in DISCOURSE)
