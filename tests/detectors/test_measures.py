"""The chunked token pass (``measures.with_measures``) equals the whole-batch functions it runs
chunk by chunk, and its numpy pieces equal straightforward Python: the longest-run bound of
``char_run``, the occurrence counts of sentence ids, the compression ratio of a polars column."""

from __future__ import annotations

import re
from collections import Counter

import detector_reference as ref
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_fast_paths import ASCII, TEXTS

from entropy_lens.detectors.char_run import run_bound, with_run_bound
from entropy_lens.detectors.loop_measures import LOOP_COLUMNS, with_loops
from entropy_lens.detectors.measures import chunks, with_measures
from entropy_lens.detectors.ngrams import gram_table, with_grams
from entropy_lens.detectors.companions import compression_ratio
from entropy_lens.detectors.sentences import _occurrences, with_sentences
from entropy_lens.detectors.tokens import tokenize
from entropy_lens.detectors.view import policy_view
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

#: Agent-like text with the measures' edge cases: think parts, repeated sentences, runs.
PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "The same sentence again here. ",
        "!!!!",
        "....",
        "<|endoftext|>",
        "x" * 30,
        "\n",
        "i go to the fridge, then i look around the room; ",
        "snake_case words, ",
        "don't stop now. ",
        "<answer>x</answer>",
    ]
)
MIXED = st.lists(st.one_of(TEXTS, ASCII, PIECES), max_size=12).map("".join)


def _view(texts: list[str | None]) -> pl.DataFrame:
    rows = pl.DataFrame({"response": texts, "sample_id": [f"s{i}" for i in range(len(texts))]})
    return policy_view(conform(rows, ROLLOUTS_SCHEMA))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(MIXED, st.none()), max_size=14),
    st.sampled_from([1, 40, 200, 1 << 20]),
)
def test_chunked_pass_equals_the_whole_batch_functions(texts, chunk_bytes):
    view = _view(texts)
    tokens = tokenize(view["_lower"])
    grams = gram_table(tokens)
    whole = with_run_bound(with_loops(with_sentences(with_grams(view, grams), tokens=tokens)), tokens)
    chunked, table = with_measures(view, chunk_bytes=chunk_bytes)
    assert_frame_equal(chunked, whole, check_exact=True)
    assert_frame_equal(table, grams, check_exact=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(MIXED, st.lists(PIECES, max_size=30).map("".join)), max_size=10))
def test_loop_measures_equal_seal_definitions(texts):
    view = with_loops(_view(texts))
    for i, text in enumerate(texts):
        expected = ref.loop_stats(text)
        got = {column: view[f"_{column}"][i] for column in LOOP_COLUMNS}
        assert got == pytest.approx(expected, rel=0, abs=1e-12), text


def test_loop_measures_of_texts_shorter_than_a_gram():
    """Found by hypothesis in CI: two short texts whose only 5-gram windows cross from one to the other."""
    texts = ["</think></think>", "</think></think>"]
    view = with_loops(_view(texts))
    for i, text in enumerate(texts):
        assert {c: view[f"_{c}"][i] for c in LOOP_COLUMNS} == pytest.approx(ref.loop_stats(text), rel=0, abs=1e-12)


def test_chunks_cover_the_texts_in_order_within_the_budget():
    texts = pl.Series(["a" * 5, "b" * 50, None, "", "c" * 5, "d" * 5], dtype=pl.Utf8)
    assert chunks(texts, 12) == [(0, 1), (1, 2), (2, 6)]
    assert chunks(texts, 1000) == [(0, 6)]
    assert chunks(pl.Series([], dtype=pl.Utf8), 12) == [(0, 0)]


def _bound(text: str) -> int:
    """``run_bound`` in Python: the longest token, or the longest chain of one token repeated with
    nothing between (SEAL's tokens of the lowercased text)."""
    best, chain, last = 0, 0, None
    for m in re.finditer(r"\w+|[^\w\s]", text.lower()):
        chain = chain + 1 if last is not None and (m.group(), m.start()) == last else 1
        best, last = max(best, len(m.group()), chain), (m.group(), m.end())
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(ASCII, MIXED), min_size=1, max_size=12))
def test_run_bound_is_the_python_bound(texts):
    found = run_bound(tokenize(pl.Series([t.lower() for t in texts], dtype=pl.Utf8))).to_list()
    assert found == [_bound(t) if t.isascii() else None for t in texts]
    for text, bound in zip(texts, found):  # what char_run relies on: no longer run of one character
        runs = [len(m.group()) for m in re.finditer(r"(\S)\1*", text.lower())]
        assert bound is None or bound >= max(runs, default=0)


@given(st.lists(st.integers(0, 6), max_size=60))
def test_occurrences_count_each_value(values):
    key = np.array(values, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    counts = Counter(key.tolist())
    assert _occurrences(key).tolist() == [counts[k] for k in key.tolist()]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(TEXTS, st.none()), min_size=1, max_size=20))
def test_compression_ratio_of_a_column_matches_reference(texts):
    found = compression_ratio(pl.Series(texts, dtype=pl.Utf8))
    assert found == [ref.compression_ratio(t or "") for t in texts]
