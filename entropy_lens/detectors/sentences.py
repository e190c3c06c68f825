"""SEAL's sentence duplication (``repetition.py``, github.com/WindyLee0822/SEAL), vectorised.

On the first ``<think>…</think>`` part (stripped; the whole output when absent or empty), split on
``(?<=[.!?])\\s+``, lowercase, collapse whitespace, keep sentences of ≥ ``min_chars`` characters;
``sentence_dup_rate`` = occurrences of sentences that appear ≥ 2 times / kept sentences (0 when
none is kept); ``max_sentence_repeat`` = the most occurrences of one sentence (1 when none).

Two paths, one result. Pure-ASCII texts go through their tokens (``tokens.tokenize``) in numpy: a
sentence is a run of tokens ended by a ``.``/``!``/``?`` token that whitespace follows; its
collapsed text is fixed by its tokens and the gaps between them, so it is compared by a 64-bit id
of that sequence (a polynomial hash ``Σ v_k·R^k mod 2^64`` of ``v = token id ^ gap·salt``, read
off prefix sums), and its length is the tokens' bytes plus one per gap. Other texts go through
polars string expressions with Python's ``\\s`` (``text_classes``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entropy_lens.detectors.text_classes import patterns
from entropy_lens.detectors.tokens import SALTS, U64, Tokens, mix, token_ids, tokenize

#: SEAL's shortest kept sentence, in characters after normalising (``repetition.py``).
MIN_SENTENCE_CHARS = 20

#: Ids of the tokens that end a sentence.
_ENDS = token_ids(np.frombuffer(b".!?" + bytes(8), dtype=np.uint8), np.arange(3), np.ones(3, dtype=np.int64))


def sentence_stats(
    lower: pl.Series,
    min_chars: int = MIN_SENTENCE_CHARS,
    tokens: Tokens | None = None,
    ranges: tuple[np.ndarray, np.ndarray] | None = None,
) -> pl.DataFrame:
    """``sentence_dup_rate`` (Float64) and ``max_sentence_repeat`` (Int64) of every lowercased text
    (``tokens``: ``tokenize(lower)``, ``ranges``: the ASCII texts' ``base_range``, when already computed)."""
    tokens = tokens if tokens is not None else tokenize(lower)
    rate, top = np.zeros(len(lower)), np.ones(len(lower), dtype=np.int64)
    rows = np.flatnonzero(tokens.ascii)
    if rows.size:
        counts = _ascii_counts(lower, tokens, rows, min_chars, ranges)
        at = counts["row"].to_numpy()
        rate[at], top[at] = counts["rate"].to_numpy(), counts["top"].to_numpy()
    rows = np.flatnonzero(~tokens.ascii)
    if rows.size:
        counts = _counts(sentence_lists(lower.gather(rows), min_chars).list.eval(pl.element().hash(7)))
        rate[rows], top[rows] = counts["rate"].to_numpy(), counts["top"].to_numpy()
    return pl.DataFrame({"sentence_dup_rate": rate, "max_sentence_repeat": top})


def sentence_lists(lower: pl.Series, min_chars: int = MIN_SENTENCE_CHARS) -> pl.Series:
    """The kept, normalised sentences of every lowercased text, in order (polars, any text)."""
    p = patterns(ascii_only=bool((lower.str.len_bytes() == lower.str.len_chars()).all()))
    base, _ = base_texts(lower)
    return (
        base.str.replace_all(p["collapse"], " ")
        .str.strip_chars(" ")
        .str.replace_all(r"([.!?]) ", "${1}\n")  # no "\n" is left after collapsing
        .str.split("\n")
        .list.eval(pl.element().filter(pl.element().str.len_chars() >= min_chars))
    )


def base_texts(lower: pl.Series) -> tuple[pl.Series, pl.Series]:
    """SEAL's base part of every lowercased text (its first ``<think>…</think>``, stripped, else
    the whole text) and whether the think part was used (polars, any text)."""
    p = patterns(ascii_only=bool((lower.str.len_bytes() == lower.str.len_chars()).all()))
    think = _think(lower).str.strip_chars(p["space_chars"])
    used = (think.str.len_bytes() > 0).fill_null(False)
    return pl.select(pl.when(used).then(think).otherwise(lower)).to_series(), used


def _think(lower: pl.Series) -> pl.Series:
    """What ``re.search(r"<think>(.*?)</think>", s, re.S)`` captures (null when no match), with
    literal splits instead of a capturing regex (several times faster in polars)."""
    after = lower.str.splitn("<think>", 2).struct.field("field_1")
    inner = after.str.splitn("</think>", 2)
    closed = inner.struct.field("field_1").is_not_null()
    return pl.select(pl.when(closed).then(inner.struct.field("field_0"))).to_series()


def _counts(hashed: pl.Series) -> pl.DataFrame:
    """``rate`` and ``top`` from each text's list of sentence ids."""
    repeated = hashed.list.eval(pl.element().is_duplicated().sum()).list.first()
    n = hashed.list.len()
    return pl.DataFrame(
        {
            "rate": pl.select(pl.when(n > 0).then(repeated / n).otherwise(0.0)).to_series().cast(pl.Float64),
            "top": hashed.list.eval(pl.element().unique_counts().max()).list.first().fill_null(1).cast(pl.Int64),
        }
    )


def _ascii_counts(
    lower: pl.Series, tokens: Tokens, rows: np.ndarray, min_chars: int, ranges: tuple | None
) -> pl.DataFrame:
    """``row``, ``rate``, ``top`` of the pure-ASCII texts ``rows`` that keep a sentence, from their
    tokens (``ranges``: their ``base_range`` when computed)."""
    mine = slice(None) if rows.size == tokens.n_texts else tokens.start >= 0
    row, start, length, ids = tokens.row[mine], tokens.start[mine], tokens.length[mine], tokens.id[mine]
    n = len(row)
    lo, hi = ranges or base_range(lower if rows.size == tokens.n_texts else lower.gather(rows), rows, row, start)[:2]
    opens = np.zeros(n + 1, dtype=bool)  # a sentence (or a stretch outside the base parts) starts here
    opens[0] = opens[lo] = opens[hi] = True
    gap = np.zeros(n, dtype=bool)  # whitespace before the token
    gap[1:] = start[1:] > start[:-1] + length[:-1]
    opens[1:n] |= np.isin(ids[:-1], _ENDS) & gap[1:]
    opens = opens[:n]
    gap &= ~opens
    heads = np.flatnonzero(opens)
    powers, inverses = _powers(n)
    value = np.multiply(gap, U64(SALTS[0]), dtype=np.uint64)
    value ^= ids
    value *= powers[:n]
    sums = _between(np.cumsum(value), heads)  # Σ v_i·R^i over each stretch
    sums *= inverses[heads]  # … · R^-head: the same id wherever the stretch starts
    text = np.searchsorted(rows, row[heads].astype(rows.dtype))  # index in ``rows`` of each stretch's text
    inside = (heads >= lo[text]) & (heads < hi[text])
    kept = inside & (_between(np.cumsum(length + gap), heads) >= min_chars)
    return _repeats(text[kept], sums[kept], rows)


#: The hash base ``R`` (odd, so invertible mod 2^64) and its inverse.
_BASE = SALTS[2]
_INVERSE = pow(_BASE, -1, 2**64)
_POWERS: list[np.ndarray] = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]


def _powers(n: int) -> list[np.ndarray]:
    """``[R^i, R^-i]`` for ``i < n`` (at least), ``[n]`` uint64 each (wrapping products, cached)."""
    powers = list(_POWERS)
    if len(powers[0]) < n:
        size = max(n, 2 * len(powers[0]))
        powers = [np.cumprod(np.r_[U64(1), np.full(size - 1, U64(base))]) for base in (_BASE, _INVERSE)]
        _POWERS[:] = powers
    return powers


def _between(total: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Sums over the stretches that start at ``heads`` (the last runs to the end), from the
    prefix sums ``total`` (wrapping for uint64)."""
    ends = total[np.r_[heads[1:], len(total)][: len(heads)] - 1]
    ends[1:] -= total[heads[1:] - 1]
    return ends


def _repeats(text: np.ndarray, sentence: np.ndarray, rows: np.ndarray) -> pl.DataFrame:
    """``row``, ``rate``, ``top`` from the kept sentences' ids and the index (in ``rows``) of their
    text (non-decreasing: sentences in text order)."""
    key = sentence ^ mix(text.astype(np.uint64))  # one id per (text, sentence)
    count = _occurrences(key)  # of each kept sentence in its text
    kept = np.bincount(text, minlength=len(rows))
    top = np.zeros(len(rows), dtype=np.int64)
    if len(text):
        firsts = np.flatnonzero(np.concatenate([[True], text[1:] != text[:-1]]))
        top[text[firsts]] = np.maximum.reduceat(count, firsts)
    has = kept > 0
    repeated = np.bincount(text, weights=count >= 2, minlength=len(rows))
    return pl.DataFrame({"row": rows[has], "rate": repeated[has] / kept[has], "top": top[has]})


def _occurrences(key: np.ndarray) -> np.ndarray:
    """How often each value of ``key`` occurs in it, ``[n]`` int64 (a sort; no inverse is needed
    for the values that occur once, nearly all)."""
    ordered = np.sort(key)
    firsts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[firsts, len(ordered)])
    repeated = sizes >= 2
    values, counts = ordered[firsts[repeated]], sizes[repeated]
    count = np.ones(len(key), dtype=np.int64)
    if values.size:
        at = np.minimum(np.searchsorted(values, key), values.size - 1)
        hit = values[at] == key
        count[hit] = counts[at[hit]]
    return count


def base_range(
    texts: pl.Series, rows: np.ndarray, row: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token index range ``[lo, hi)`` of each text's base part (SEAL's ``think if think else
    text``): the tokens inside its first closed ``<think>…</think>`` when there are any, else all
    of its tokens; and whether the think part was used (``[n]`` bool). ``texts`` are pure ASCII,
    ``rows`` their indices, ``row``/``start`` their tokens' (``Tokens``)."""
    opened = texts.str.find("<think>", literal=True).fill_null(-1).to_numpy()
    closed = texts.str.find("</think>", literal=True).fill_null(-1).to_numpy(writable=True)
    early = np.flatnonzero((opened >= 0) & (closed >= 0) & (closed < opened + 7))
    for i in early:  # a "</think>" before the first "<think>": look again after it
        closed[i] = texts[int(i)].find("</think>", int(opened[i]) + 7)
    key = row.astype(np.int64) << 32 | start
    lo = np.searchsorted(key, rows.astype(np.int64) << 32 | (opened + 7))
    hi = np.searchsorted(key, rows.astype(np.int64) << 32 | closed)
    think = (opened >= 0) & (closed >= 0) & (hi > lo)
    every = np.searchsorted(row, rows.astype(row.dtype)), np.searchsorted(row, rows.astype(row.dtype), side="right")
    return np.where(think, lo, every[0]), np.where(think, hi, every[1]), think


def with_sentences(
    view: pl.DataFrame, min_chars: int = MIN_SENTENCE_CHARS, tokens: Tokens | None = None
) -> pl.DataFrame:
    """``view`` plus ``_sentence_dup_rate`` and ``_max_sentence_repeat`` for ``min_chars`` (recorded
    in ``_sentence_min_chars``; kept when already computed for the same setting)."""
    if "_sentence_min_chars" in view.columns and view["_sentence_min_chars"].eq(min_chars).all():
        return view
    return with_sentence_stats(view, sentence_stats(view["_lower"], min_chars, tokens), min_chars)


def with_sentence_stats(view: pl.DataFrame, stats: pl.DataFrame, min_chars: int) -> pl.DataFrame:
    """``view`` plus its ``sentence_stats`` for ``min_chars``, as ``with_sentences`` adds them."""
    return view.with_columns(stats.select(pl.all().name.prefix("_")), _sentence_min_chars=pl.lit(min_chars))
