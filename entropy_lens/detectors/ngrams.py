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


def gram_table(tokens: Tokens | pl.Series, n: int = 4) -> pl.DataFrame:
    """Every token ``n``-gram of every text (``Tokens``, or lowercased texts to tokenise): ``row``
    (index of the text, UInt32) and ``gram`` (UInt64 id), in text order; ``n`` ≤ 6."""
    if not 1 <= n <= len(_MIX):
        raise ValueError(f"n-grams of 1 to {len(_MIX)} tokens are supported, not {n}")
    tokens = tokens if isinstance(tokens, Tokens) else tokenize(tokens)
    row, ids = tokens.row, tokens.id
    size = max(len(ids) - n + 1, 0)
    gram = ids[:size].copy()
    for k in range(1, n):
        gram ^= ids[k : k + size] * U64(_MIX[k])
    inside = row[n - 1 : n - 1 + size] == row[:size]  # all n tokens from the same text
    return pl.DataFrame({"row": row[:size][inside], "gram": gram[inside]}, schema={"row": pl.UInt32, "gram": pl.UInt64})


def gram_counts(grams: pl.DataFrame, n_rows: int) -> pl.DataFrame:
    """Per text: ``n_grams`` (positions) and ``unique_grams``, one row per text (zeros included);
    ``grams`` in text order (``gram_table``)."""
    bounds = np.searchsorted(grams["row"].to_numpy(), np.arange(n_rows + 1))
    return pl.DataFrame({"n_grams": np.diff(bounds), "unique_grams": _distinct(grams["gram"].to_numpy(), bounds)})


def distinct_grams(grams: pl.DataFrame, key: np.ndarray) -> np.ndarray:
    """Distinct n-grams of each set of texts sharing a key: ``key`` ``[n_texts]`` codes ``0..k-1``
    (every code used), ``grams`` in text order (``gram_table``); ``[k]`` int64."""
    bounds = np.searchsorted(grams["row"].to_numpy(), np.arange(len(key) + 1))
    values = grams["gram"].to_numpy()
    if np.any(key[1:] < key[:-1]):  # texts of a key apart: gather each key's texts together
        order = np.argsort(key, kind="stable")
        sizes = np.diff(bounds)[order]
        values = values[np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes - bounds[:-1][order], sizes)]
    per_key = np.bincount(key, weights=np.diff(bounds)).astype(np.int64)
    return _distinct(values, np.r_[0, np.cumsum(per_key)])


def _distinct(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Distinct values in each ``values[bounds[i] : bounds[i + 1]]`` (polars per-list hashing)."""
    lists = pa.LargeListArray.from_arrays(pa.array(bounds, pa.int64()), pa.array(values, pa.uint64()))
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
    counts = gram_counts(gram_table(view["_lower"]) if grams is None else grams, view.height)
    return view.with_columns(counts.select(pl.all().name.prefix("_"))).with_columns(
        _seq_rep_4=_rep(pl.col("_n_grams"), pl.col("_unique_grams"))
    )
