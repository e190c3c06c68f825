"""The vectorised repetition measures against their pure-Python float64 references."""

from __future__ import annotations

import detector_reference as ref
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entropy_lens.detectors import get_detector
from entropy_lens.detectors.ngrams import gram_table, seq_rep
from entropy_lens.detectors.companions import compression_ratio
from entropy_lens.detectors.sentences import sentence_lists, sentence_stats
from entropy_lens.detectors.view import _lowercase
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

#: Pieces that exercise every rule: sentence ends, Python-only whitespace (\x1c, NBSP, U+2028),
#: think tags in any case, letters whose lowercase changes length (İ) or context (Σ), combining
#: marks (not \w in Python, \w in Rust), digits and underscores.
PIECES = st.sampled_from(
    [
        " ",
        "  ",
        "\n",
        "\t",
        "\x1c",
        "\xa0",
        "\u2028",
        ".",
        "!",
        "?",
        "..",
        ",",
        "<think>",
        "</think>",
        "<THINK>",
        "</Think>",
        "a",
        "B",
        "z9_",
        "İ",
        "Σ",
        "ς",
        "ß",
        "\u0301",
        "é",
        "Ⅷ",
        "٣",
        "日本",
        "😀",
        "The same long sentence again.",
        "Another fairly long sentence here!",
        "word word word word",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=40).map("".join)
#: Pure-ASCII texts (the tokens path): the pieces above that are ASCII, ASCII-only whitespace
#: (``\x0b``, ``\x1c``–``\x1f``), punctuation runs, repeated sentences that differ only in spacing.
ASCII_PIECES = st.sampled_from(
    [p for p in PIECES.elements if p.isascii()]
    + ["\x0b", "\x1f", " .", "?!", "...", "a.b", "The same long sentence\n again."]
)
ASCII_TEXTS = st.lists(st.one_of(ASCII_PIECES, st.text(st.characters(max_codepoint=127), max_size=4)), max_size=40).map(
    "".join
)


def _frame(texts: list[str]) -> pl.DataFrame:
    return conform(
        pl.DataFrame({"response": texts, "sample_id": [f"s{i}" for i in range(len(texts))]}), ROLLOUTS_SCHEMA
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXTS, min_size=1, max_size=20))
def test_sentence_stats_match_reference(texts):
    stats = sentence_stats(_lowercase(pl.Series(texts, dtype=pl.Utf8)))
    expected = [ref.sentence_dup_rate(t) for t in texts]
    assert stats["sentence_dup_rate"].to_list() == [rate for rate, _ in expected]
    assert stats["max_sentence_repeat"].to_list() == [top for _, top in expected]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(ASCII_TEXTS, TEXTS), min_size=1, max_size=20))
def test_sentence_stats_of_ascii_texts_match_reference(texts):
    stats = sentence_stats(_lowercase(pl.Series(texts, dtype=pl.Utf8)))
    expected = [ref.sentence_dup_rate(t) for t in texts]
    assert stats["sentence_dup_rate"].to_list() == [rate for rate, _ in expected]
    assert stats["max_sentence_repeat"].to_list() == [top for _, top in expected]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ASCII_TEXTS, min_size=1, max_size=10), st.lists(st.one_of(ASCII_TEXTS, TEXTS), min_size=1, max_size=10))
def test_sentence_lists_match_reference(plain, mixed):
    # all-ASCII batches use the ASCII classes, others the Unicode ones
    for texts in (plain, mixed):
        kept = sentence_lists(_lowercase(pl.Series(texts, dtype=pl.Utf8)))
        assert kept.to_list() == [ref.kept_sentences(t) for t in texts]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(ASCII_TEXTS, TEXTS), min_size=1, max_size=20))
def test_seq_rep_matches_reference(texts):
    values = seq_rep(_lowercase(pl.Series(texts, dtype=pl.Utf8)))
    assert values.to_list() == pytest.approx([ref.seq_rep(t) for t in texts], abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=20))
def test_compression_ratio_matches_reference(texts):
    assert compression_ratio(texts) == [ref.compression_ratio(t) for t in texts]


def test_sentence_dup_rate_by_hand():
    # kept: "the same long sentence again." ×2 and "a different sentence that is long!" → 2 of 3 repeated;
    # "short." (6 chars) is dropped; only the <think> part counts, the action is ignored.
    text = (
        "<think> The same long sentence again.  The same\nlong sentence again. A different sentence that is long! "
        "Short.</think><action>The same long sentence again. The same long sentence again.</action>"
    )
    stats = sentence_stats(_lowercase(pl.Series([text])))
    assert stats["sentence_dup_rate"].item() == pytest.approx(2 / 3)
    assert stats["max_sentence_repeat"].item() == 2
    assert ref.sentence_dup_rate(text) == (pytest.approx(2 / 3), 2)


def test_empty_think_falls_back_to_whole_output():
    # the whole output is split, tags included: "<think> </think> this sentence is said thrice." differs
    # from the two bare copies → 2 of 3 kept sentences repeat
    text = (
        "<think>   </think> This sentence is said thrice. This sentence is said thrice. This sentence is said thrice."
    )
    assert sentence_stats(_lowercase(pl.Series([text])))["sentence_dup_rate"].item() == pytest.approx(2 / 3)
    assert ref.sentence_dup_rate(text)[0] == pytest.approx(2 / 3)


def test_seq_rep_by_hand():
    # tokens: a b a b a b → 4-grams (a b a b), (b a b a), (a b a b) → 1 − 2/3
    assert seq_rep(pl.Series(["a b a b a b"])).item() == pytest.approx(1 / 3)
    assert seq_rep(pl.Series(["a b c"])).item() == 0.0


def test_gram_table_rejects_unsupported_n():
    with pytest.raises(ValueError, match="n-grams"):
        gram_table(pl.Series(["x"]), n=9)


def test_numeric_companions_flag_at_their_thresholds():
    loop = "<think>" + "I will click the button now. " * 10 + "</think>"
    varied = (
        "<think>The shirt on this page costs $15.99, which is under my budget. It is cotton and comes in navy, "
        "grey or black. Reviews mention that sizes run small, so a large is safer. Shipping takes five days. "
        "I should open the product page before buying anything.</think>"
    )
    frame = _frame([loop, varied, "!" * 150])
    dup = get_detector("sentence_dup_rate").detect(frame)  # a value only: its flag is sentence_dup
    assert not dup["flagged"].any() and dup["score"][0] == 1.0
    assert get_detector("sentence_dup").detect(frame)["flagged"].to_list() == [True, False, False]
    rep = get_detector("seq_rep_4").detect(frame)
    assert rep["flagged"].to_list() == [True, False, True]
    assert rep["score"][2] == pytest.approx(1 - 1 / 147)  # 150 "!" tokens: 147 4-grams, one of them unique
    ratio = get_detector("compression_ratio").detect(frame)
    assert ratio["flagged"].to_list() == [True, False, False]  # the 150-char run is under 200 characters
    assert ratio["score"][2] > 2.4
