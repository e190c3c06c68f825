"""``char_run``: a run of one character (``!!!!…``) or of one special token (``<|endoftext|>`` × N).

The degenerate tails users report after an entropy blow-up (research/anchors.md, "Detectors users
need"; RAGEN's ``cases/reward_hacking.txt`` ends in 27 × ``<|endoftext|>``). Candidates: ASCII
outputs whose tokens allow a long run (``run_bound``) or that hold a special token, other outputs
always; then a polars test (literal runs of every ASCII character, runs of non-ASCII characters,
consecutive special tokens); Python's backreferences then find the exact longest run.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from entropy_lens.detectors.base import register, sparse_findings
from entropy_lens.detectors.tokens import Tokens, tokenize
from entropy_lens.detectors.view import candidates, policy_view, python_case, python_like, to_response

#: Special tokens as they survive decoding: ChatML/Llama ``<|…|>``, ``</s>``, ``<pad>``, ``[PAD]``, ``<unk>``.
_SPECIAL = r"<\|[^|<>\s]{1,40}\|>|</s>|<pad>|\[PAD\]|<unk>"
_SPECIAL_START = r"<\||</s>|<pad>|\[PAD\]|<unk>"  #: how every special token begins (a literal test)


@register
class CharRun:
    """Flags ``min_chars`` × one non-space character, or ``min_tokens`` × one special token in a row."""

    name = "char_run"

    def __init__(self, min_chars: int = 24, min_tokens: int = 3):
        self.min_chars, self.min_tokens = min_chars, min_tokens
        self._char = re.compile(rf"(\S)\1{{{min_chars - 1},}}")
        self._token = re.compile(rf"({_SPECIAL})(?:\s*\1){{{min_tokens - 1},}}")
        runs = [f"\\x{{{c:x}}}{{{min_chars}}}" for c in range(128) if not chr(c).isspace()]
        runs += [rf"[^\x00-\x7f]{{{min_chars}}}", rf"(?:(?:{_SPECIAL})\s*){{{min_tokens}}}"]
        self._candidate = python_like("|".join(runs))

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = with_run_bound(policy_view(rollouts))
        rows, (policy, seg_p, seg_r) = candidates(
            view,
            (pl.col("_run_bound") >= self.min_chars).fill_null(True) | pl.col("_policy").str.contains(_SPECIAL_START),
            *("_policy", "_seg_policy", "_seg_response"),
            confirm=python_case(pl.col("_policy")).str.contains(self._candidate),
        )
        hits = {}
        for i, row in enumerate(rows):
            runs = [(len(m.group()), m.group(1), m.span()) for m in self._char.finditer(policy[i])]
            runs += [(m.group().count(m.group(1)), m.group(1), m.span()) for m in self._token.finditer(policy[i])]
            if runs:
                length, unit, span = max(runs, key=lambda r: r[0])
                hits[row] = (float(length), f"{unit!r} × {length}", to_response(span, seg_p[i], seg_r[i]))
        return sparse_findings(view, hits)


def with_run_bound(view: pl.DataFrame, tokens: Tokens | None = None) -> pl.DataFrame:
    """``view`` plus ``_run_bound`` (``run_bound`` of its ``_lower``; kept when already there)."""
    if "_run_bound" in view.columns:
        return view
    return view.with_columns(_run_bound=run_bound(tokens if tokens is not None else tokenize(view["_lower"])))


def run_bound(tokens: Tokens) -> pl.Series:
    """Per text, at least its longest run of one non-space character (Int64; null for texts that
    are not pure ASCII): the longest token, or the longest chain of one punctuation token repeated
    with nothing between (a run is inside one word token, or such a chain)."""
    return ascii_only(longest_runs(tokens), tokens.ascii)


def ascii_only(bound: np.ndarray, ascii: np.ndarray) -> pl.Series:
    """``bound`` (``[n_texts]`` int64) as an Int64 series, null where the text is not pure ASCII."""
    return pl.select(pl.when(pl.Series(ascii)).then(pl.Series(bound))).to_series()


def longest_runs(tokens: Tokens) -> np.ndarray:
    """``run_bound`` of every text, ``[n_texts]`` int64 (meaningful for pure-ASCII texts only)."""
    longest = np.zeros(tokens.n_texts, dtype=np.int64)
    row, ids, start = tokens.row, tokens.id, tokens.start
    if len(row):
        firsts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        longest[row[firsts]] = np.maximum.reduceat(tokens.length, firsts)
        same = np.flatnonzero(ids[1:] == ids[:-1])  # equal neighbours (rare): touching, in one text?
        same = same[(start[same + 1] == start[same] + 1) & (row[same + 1] == row[same])]
        if same.size:  # chains of consecutive such pairs: k pairs, k + 1 tokens
            breaks = np.flatnonzero(np.diff(same) != 1)
            first, last = same[np.r_[0, breaks + 1]], same[np.r_[breaks, same.size - 1]]
            np.maximum.at(longest, row[first], last - first + 2)
    return longest
