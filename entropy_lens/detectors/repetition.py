"""The numeric companions of the degenerate patterns: a value per output, flagged at a threshold.

* ``sentence_dup_rate`` — SEAL's sentence duplication (``sentences``). Flag ≥ 0.25.
* ``seq_rep_4`` — Welleck et al. 2019: 1 − unique 4-grams / 4-grams over the tokens
  ``\\w+|[^\\w\\s]`` of the lowercased output (SEAL's tokenizer); 0 below 4 tokens (``ngrams``).
* ``compression_ratio`` — Whisper's: UTF-8 bytes / ``zlib.compress`` bytes (zlib's default level);
  flag > 2.4 from 200 characters.
"""

from __future__ import annotations

import zlib

import polars as pl

from entropy_lens.detectors.base import findings, register
from entropy_lens.detectors.ngrams import with_grams
from entropy_lens.detectors.sentences import with_sentences
from entropy_lens.detectors.view import policy_view


def compression_ratio(texts: pl.Series | list[str]) -> list[float]:
    """Whisper's compression ratio of every text (in the calling thread: ``scan`` runs batches in parallel)."""
    if isinstance(texts, pl.Series):  # the UTF-8 bytes straight from polars, not str objects to encode
        return [len(data) / len(zlib.compress(data)) for data in texts.fill_null("").cast(pl.Binary).to_list()]
    return [len(data) / len(zlib.compress(data)) for data in ((text or "").encode("utf-8") for text in texts)]


class _Companion:
    """A numeric companion: ``measure`` gives every output's value and whether it is flagged."""

    name: str

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = policy_view(rollouts)
        value, flagged = self.measure(view)
        return findings(view, flagged, value)

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        raise NotImplementedError


@register
class SentenceDupRate(_Companion):
    """SEAL's ``sentence_dup_rate`` (score), flagged at ``threshold``."""

    name = "sentence_dup_rate"

    def __init__(self, threshold: float = 0.25, min_chars: int = 20):
        self.threshold, self.min_chars = threshold, min_chars

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        rate = with_sentences(view, self.min_chars)["_sentence_dup_rate"]
        return rate, rate >= self.threshold


@register
class SeqRep4(_Companion):
    """``seq_rep_4``, flagged at ``threshold`` once an output has ``min_grams`` 4-grams."""

    name = "seq_rep_4"

    def __init__(self, threshold: float = 0.3, min_grams: int = 20):
        self.threshold, self.min_grams = threshold, min_grams

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        view = with_grams(view)
        value = view["_seq_rep_4"]
        return value, (value >= self.threshold) & (view["_n_grams"] >= self.min_grams)


@register
class CompressionRatio(_Companion):
    """Whisper's compression ratio, flagged above ``threshold`` from ``min_chars`` characters."""

    name = "compression_ratio"

    def __init__(self, threshold: float = 2.4, min_chars: int = 200):
        self.threshold, self.min_chars = threshold, min_chars

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        value = pl.Series(compression_ratio(view["_policy"]), dtype=pl.Float64)
        return value, (value > self.threshold) & (view["_policy"].str.len_chars() >= self.min_chars)
