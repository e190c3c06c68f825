"""Every token measure of a batch in one pass over chunks of its texts.

``tokens.tokenize``, ``ngrams.gram_table``/``gram_counts``, ``sentences.sentence_stats``,
``loop_measures.loop_stats`` and ``char_run.run_bound`` each take any number of texts. Over a
whole batch (8,192 outputs of 2 KB: 17 MB of text, 3 M tokens) every numpy pass reads and writes
arrays far larger than the CPU cache, and every temporary is fresh memory the kernel must zero.
Here they run on chunks of about ``chunk_bytes`` of text, whose arrays stay in cache and whose
memory the allocator reuses; only the per-text results and the 4-gram table are kept. The result
is the same as calling them on the batch.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entropy_lens.detectors.char_run import ascii_only, longest_runs
from entropy_lens.detectors.loop_measures import ascii_base, loop_stats
from entropy_lens.detectors.ngrams import GRAMS_SCHEMA, gram_counts, gram_ids, with_gram_counts
from entropy_lens.detectors.sentences import MIN_SENTENCE_CHARS, sentence_stats, with_sentence_stats
from entropy_lens.detectors.tokens import tokenize

CHUNK_BYTES = 1 << 20  #: text per chunk: a chunk's arrays (~20 bytes per byte of text) fit in L2/L3


def with_measures(
    view: pl.DataFrame, *, min_chars: int = MIN_SENTENCE_CHARS, chunk_bytes: int = CHUNK_BYTES
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``view`` (a ``view.policy_view``) with the columns of ``ngrams.with_grams``,
    ``sentences.with_sentences`` (for ``min_chars``), ``loop_measures.with_loops`` and
    ``char_run.with_run_bound``, and its ``ngrams.gram_table`` (``row``, ``gram``), for
    ``groups.group_signals``."""
    lower = view["_lower"]
    stats, counts, loops, rows, grams, bound, ascii = [], [], [], [], [], [], []
    for start, stop in chunks(lower, chunk_bytes):
        texts = lower.slice(start, stop - start)
        tokens = tokenize(texts)
        row, gram = gram_ids(tokens)
        rows.append(row + np.uint32(start))
        grams.append(gram)
        counts.append(gram_counts(pl.DataFrame({"row": row, "gram": gram}, schema=GRAMS_SCHEMA), len(texts)))
        repeats = (counts[-1]["n_grams"] > counts[-1]["unique_grams"]).to_numpy()
        plain = ascii_base(texts, tokens)  # the base parts, for both
        loops.append(loop_stats(texts, tokens, repeats, plain))
        stats.append(sentence_stats(texts, min_chars, tokens, (plain.lo, plain.hi)))
        bound.append(longest_runs(tokens))
        ascii.append(tokens.ascii)
    table = pl.DataFrame(
        {"row": np.concatenate(rows), "gram": np.concatenate(grams)},
        schema=GRAMS_SCHEMA,
    )
    view = with_gram_counts(view, pl.concat(counts))
    view = with_sentence_stats(view, pl.concat(stats), min_chars)
    view = view.with_columns(pl.concat(loops).select(pl.all().name.prefix("_")))
    return view.with_columns(_run_bound=ascii_only(np.concatenate(bound), np.concatenate(ascii))), table


def chunks(texts: pl.Series, chunk_bytes: int) -> list[tuple[int, int]]:
    """``(start, stop)`` row ranges that cover ``texts`` in order, each of at least one text and
    otherwise of at most ``chunk_bytes`` UTF-8 bytes (one empty range for no texts)."""
    ends = np.cumsum(texts.str.len_bytes().fill_null(0).to_numpy())
    edges, start = [], 0
    while start < len(ends):
        budget = (ends[start - 1] if start else 0) + chunk_bytes
        stop = max(int(np.searchsorted(ends, budget, side="right")), start + 1)
        edges.append((start, stop))
        start = stop
    return edges or [(0, 0)]
