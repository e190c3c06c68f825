"""Token n-grams of policy text and ``seq_rep_4`` (Welleck et al. 2019: 1 − unique / total n-grams).

Tokens and their ids come from ``tokens.tokenize``; an n-gram's id mixes its tokens' ids with
position-dependent odd multipliers (wrapping 64-bit arithmetic).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from entropy_lens.detectors.tokens import SALTS, U64, Tokens, tokenize

_MIX = (1, *SALTS)  #: multiplier of the k-th token of an n-gram
#: The columns of ``gram_table``.
GRAMS_SCHEMA = {"row": pl.UInt32, "gram": pl.UInt64}


def gram_table(tokens: Tokens | pl.Series, n: int = 4) -> pl.DataFrame:
    """Every token ``n``-gram of every text (``Tokens``, or lowercased texts to tokenise): ``row``
    (index of the text, UInt32) and ``gram`` (UInt64 id), in text order; ``n`` ≤ 6."""
    row, gram = gram_ids(tokens if isinstance(tokens, Tokens) else tokenize(tokens), n)
    return pl.DataFrame({"row": row, "gram": gram}, schema=GRAMS_SCHEMA)


def gram_ids(tokens: Tokens, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``gram_table`` as arrays: ``row`` ``[G]`` uint32 and ``gram`` ``[G]`` uint64."""
    if not 1 <= n <= len(_MIX):
        raise ValueError(f"n-grams of 1 to {len(_MIX)} tokens are supported, not {n}")
    row, ids = tokens.row, tokens.id
    size = max(len(ids) - n + 1, 0)
    gram = ids[:size].copy()
    for k in range(1, n):
        gram ^= ids[k : k + size] * U64(_MIX[k])
    inside = row[n - 1 : n - 1 + size] == row[:size]  # all n tokens from the same text
    return row[:size][inside], gram[inside]


def gram_counts(grams: pl.DataFrame, n_rows: int) -> pl.DataFrame:
    """Per text: ``n_grams`` (positions) and ``unique_grams``, one row per text (zeros included);
    ``grams`` in text order (``gram_table``)."""
    bounds = _bounds(grams["row"].to_numpy(), n_rows)
    return pl.DataFrame({"n_grams": np.diff(bounds), "unique_grams": _distinct(grams["gram"].to_numpy(), bounds)})


def distinct_grams(grams: pl.DataFrame, key: np.ndarray) -> np.ndarray:
    """Distinct n-grams of each set of texts sharing a key: ``key`` ``[n_texts]`` codes ``0..k-1``
    (every code used), ``grams`` in text order (``gram_table``); ``[k]`` int64."""
    bounds = _bounds(grams["row"].to_numpy(), len(key))
    values = grams["gram"].to_numpy()
    if np.any(key[1:] < key[:-1]):  # texts of a key apart: gather each key's texts together
        order = np.argsort(key, kind="stable")
        sizes = np.diff(bounds)[order]
        values = values[np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes - bounds[:-1][order], sizes)]
    per_key = np.bincount(key, weights=np.diff(bounds)).astype(np.int64)
    return _distinct(values, np.r_[0, np.cumsum(per_key)])


def _bounds(row: np.ndarray, n_rows: int) -> np.ndarray:
    """Where each text's n-grams start in ``row`` (sorted), and the end: ``[n_rows + 1]`` int64 (the
    queries in ``row``'s own dtype: a mixed one would convert the whole of ``row`` first)."""
    return np.searchsorted(row, np.arange(n_rows + 1, dtype=row.dtype))


def _distinct(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Distinct values in each ``values[bounds[i] : bounds[i + 1]]`` (polars per-list hashing; the
    arrow arrays are built from buffers, as ``pa.array`` would import pandas)."""
    offsets, values = np.ascontiguousarray(bounds, dtype=np.int64), np.ascontiguousarray(values, dtype=np.uint64)
    lists = pa.LargeListArray.from_arrays(
        pa.Array.from_buffers(pa.int64(), len(offsets), [None, pa.py_buffer(offsets)]),
        pa.Array.from_buffers(pa.uint64(), len(values), [None, pa.py_buffer(values)]),
    )
    return pl.Series(lists).list.n_unique().cast(pl.Int64).to_numpy()


def seq_rep(lower: pl.Series, n: int = 4) -> pl.Series:
    """``1 − unique / total`` token n-grams of every text (0 for texts without an n-gram)."""
    counts = gram_counts(gram_table(lower, n), lower.len())
    return counts.select(_rep(pl.col("n_grams"), pl.col("unique_grams")).alias("seq_rep")).to_series()


def _rep(total: pl.Expr, unique: pl.Expr) -> pl.Expr:
    return pl.when(total > 0).then(1.0 - unique / total).otherwise(0.0)


def with_grams(view: pl.DataFrame, grams: pl.DataFrame | None = None) -> pl.DataFrame:
    """``view`` plus ``_n_grams``, ``_unique_grams`` (token 4-grams) and ``_seq_rep_4``, from
    ``grams`` (``gram_table`` of ``view``) when given; kept when already there."""
    if "_seq_rep_4" in view.columns:
        return view
    return with_gram_counts(view, gram_counts(gram_table(view["_lower"]) if grams is None else grams, view.height))


def with_gram_counts(view: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """``view`` plus ``_n_grams``, ``_unique_grams`` and ``_seq_rep_4`` from its ``gram_counts``."""
    return view.with_columns(counts.select(pl.all().name.prefix("_"))).with_columns(
        _seq_rep_4=_rep(pl.col("_n_grams"), pl.col("_unique_grams"))
    )
