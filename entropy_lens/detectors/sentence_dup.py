"""``sentence_dup``: the output repeats whole sentences (SEAL's ``sentence_dup_ge_25_flag``).

Flagged when SEAL's ``sentence_dup_rate`` (``sentences.with_sentences``, computed once per view) reaches the
threshold; the evidence is the most repeated sentence and its count, the span its second occurrence.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from entropy_lens.detectors.base import excerpt, register, sparse_findings
from entropy_lens.detectors.sentences import MIN_SENTENCE_CHARS, sentence_lists, with_sentences
from entropy_lens.detectors.view import candidates, policy_view, to_response


@register
class SentenceDup:
    """SEAL's ``sentence_dup_rate`` (sentences of ≥ ``min_chars`` characters) at or above
    ``threshold`` (SEAL's ``sentence_dup_ge_25_flag``), with the repeated sentence as evidence."""

    name = "sentence_dup"

    def __init__(self, threshold: float = 0.25, min_chars: int = MIN_SENTENCE_CHARS):
        self.threshold, self.min_chars = threshold, min_chars

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = with_sentences(policy_view(rollouts), self.min_chars)
        rows, (rates, lower, policy, seg_p, seg_r) = candidates(
            view,
            pl.col("_sentence_dup_rate") >= self.threshold,
            *("_sentence_dup_rate", "_lower", "_policy", "_seg_policy", "_seg_response"),
        )
        sentences = sentence_lists(pl.Series(lower, dtype=pl.Utf8), self.min_chars).to_list()
        hits = {}
        for i, row in enumerate(rows):
            sentence, count = Counter(sentences[i]).most_common(1)[0]
            span = _second_occurrence(sentence, lower[i], len(policy[i]))
            evidence = f"'{excerpt(sentence, 120)}' ×{count} ({rates[i]:.0%} of sentences repeated)"
            hits[row] = (rates[i], evidence, span and to_response(span, seg_p[i], seg_r[i]))
        return sparse_findings(view, hits)


def _second_occurrence(sentence: str, lower: str, length: int) -> tuple[int, int] | None:
    """Span of the sentence's second occurrence in the lowercased text (its first when it occurs
    once; words may be separated by any whitespace run), as ``re.finditer`` would find them."""
    words = sentence.split(" ")
    found, position = [], 0
    while len(found) < 2 and (start := lower.find(words[0], position)) >= 0:
        end = _words_at(lower, start, words)
        found += [(start, end)] if end is not None else []
        position = end if end is not None else start + 1
    if not found:
        return None
    start, end = found[-1]
    return min(start, length), min(end, length)


def _words_at(text: str, start: int, words: list[str]) -> int | None:
    """End of ``words`` matched at ``start``, each after a run of whitespace (``\\s+``), or None."""
    position = start + len(words[0])
    for word in words[1:]:
        gap = position
        while gap < len(text) and text[gap].isspace():
            gap += 1
        if gap == position or not text.startswith(word, gap):
            return None
        position = gap + len(word)
    return position
