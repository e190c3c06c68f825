"""The numeric companions of the degenerate patterns: one value per output, averaged per step.

``scan``'s ``per_step`` gives each companion's mean under its own name (as SEAL's scripts report
per checkpoint) and, for those with a threshold, the share of outputs over it as ``<name>_flag``.

* ``sentence_dup_rate`` — SEAL's sentence duplication (``sentences``); its flag at 0.25 is the
  ``sentence_dup`` pattern, so it has no ``_flag`` of its own.
* ``seq_rep_4`` — Welleck et al. 2019: 1 − unique 4-grams / 4-grams over the tokens
  ``\\w+|[^\\w\\s]`` of the lowercased output (SEAL's tokenizer); 0 below 4 tokens (``ngrams``).
  Flag ≥ 0.3 from 20 4-grams.
* ``compression_ratio`` — Whisper's: UTF-8 bytes / ``zlib.compress`` bytes (zlib's default level);
  flag > 2.4 from 200 characters.
"""

from __future__ import annotations

import zlib

import polars as pl

from entropy_lens.detectors.base import findings, register
from entropy_lens.detectors.ngrams import with_grams
from entropy_lens.detectors.sentences import MIN_SENTENCE_CHARS, with_sentences
from entropy_lens.detectors.view import policy_view


def compression_ratio(texts: pl.Series | list[str]) -> list[float]:
    """Whisper's compression ratio of every text (in the calling thread: ``scan`` runs batches in parallel)."""
    if isinstance(texts, pl.Series):  # the UTF-8 bytes straight from polars, not str objects to encode
        return [len(data) / len(zlib.compress(data)) for data in texts.fill_null("").cast(pl.Binary).to_list()]
    return [len(data) / len(zlib.compress(data)) for data in ((text or "").encode("utf-8") for text in texts)]


class Companion:
    """A numeric companion: ``measure`` gives every output's value and whether it is flagged
    (never, for a companion without a threshold)."""

    name: str

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = policy_view(rollouts)
        value, flagged = self.measure(view)
        return findings(view, flagged, value)

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        raise NotImplementedError


@register
class SentenceDupRate(Companion):
    """SEAL's ``sentence_dup_rate`` over sentences of ≥ ``min_chars`` characters (never flagged
    here: ``sentence_dup`` is its flag)."""

    name = "sentence_dup_rate"

    def __init__(self, min_chars: int = MIN_SENTENCE_CHARS):
        self.min_chars = min_chars

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        rate = with_sentences(view, self.min_chars)["_sentence_dup_rate"]
        return rate, pl.repeat(False, view.height, eager=True)


@register
class SeqRep4(Companion):
    """``seq_rep_4``, flagged at ``threshold`` once an output has ``min_grams`` 4-grams."""

    name = "seq_rep_4"

    def __init__(self, threshold: float = 0.3, min_grams: int = 20):
        self.threshold, self.min_grams = threshold, min_grams

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        view = with_grams(view)
        value = view["_seq_rep_4"]
        return value, (value >= self.threshold) & (view["_n_grams"] >= self.min_grams)


@register
class CompressionRatio(Companion):
    """Whisper's compression ratio, flagged above ``threshold`` from ``min_chars`` characters."""

    name = "compression_ratio"

    def __init__(self, threshold: float = 2.4, min_chars: int = 200):
        self.threshold, self.min_chars = threshold, min_chars

    def measure(self, view: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        value = pl.Series(compression_ratio(view["_policy"]), dtype=pl.Float64)
        return value, (value > self.threshold) & (view["_policy"].str.len_chars() >= self.min_chars)
