"""SEAL's loop measures per output (``repetition.py``, github.com/WindyLee0822/SEAL), vectorised.

On the base part (the first ``<think>…</think>``, stripped, else the whole output; lowercased) and
its tokens ``\\w+|[^\\w\\s]`` (``tokens.tokenize``):

* ``think_tokens`` — tokens of the think part (0 without one); ``unique_token_ratio`` — distinct /
  all base tokens (1 without tokens).
* ``max_<n>gram_repeat``, ``repeated_<n>gram_ratio`` for n = 5, 10 — the most occurrences of one
  token n-gram, and the share of n-gram positions whose n-gram occurs ≥ 2 times (1 and 0 below n
  tokens).
* ``max_clause_repeat``, ``clause_repeat_ratio`` — clauses split at whitespace after ``.!?`` or
  after ``,``/``;``; each lowercased, every run of characters outside ``[a-z0-9\\s]`` made a space,
  kept from ``MIN_CLAUSE_WORDS`` words; occurrences of clauses seen ≥ 2 times / kept clauses (0 and
  1 when none is kept).

Pure-ASCII texts go through their tokens in numpy: a clause's words are its ``\\w`` tokens (exact
unless the text holds ``_``, which ``\\w`` keeps and the clause rule cuts), compared by a 64-bit
hash as in ``sentences``. A text without a repeated token 4-gram has no repeated 5- or 10-gram
(``_n_grams == _unique_grams``), so only the others are sorted. Texts that are not pure ASCII, or
hold ``_``, are measured clause by clause in Python.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import polars as pl

from entropy_lens.detectors.ngrams import _distinct, gram_counts, gram_table
from entropy_lens.detectors.sentences import _between, _powers, _repeats, base_range, base_texts
from entropy_lens.detectors.tokens import U64, Tokens, token_ids, tokenize

MIN_CLAUSE_WORDS = 6  #: SEAL's shortest kept clause, in words
#: Ids of single-character tokens that are neither ``\w`` nor whitespace (ASCII punctuation).
_PUNCT_CHARS = bytes(c for c in range(33, 127) if not (chr(c).isalnum() or c == ord("_")))


def _char_ids(chars: bytes) -> np.ndarray:
    """Token ids of single-byte tokens."""
    return token_ids(np.frombuffer(chars + bytes(8), dtype=np.uint8), np.arange(len(chars)), np.ones(len(chars), int))


_PUNCT = _char_ids(_PUNCT_CHARS)
#: Ids of the tokens after which whitespace ends a clause.
_CLAUSE_ENDS = _char_ids(b".!?,;")
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?])\s+|,\s+|;\s+")
_NOT_WORD = re.compile(r"[^a-z0-9\s]+")
#: The columns ``loop_stats`` returns.
LOOP_COLUMNS = (
    "think_tokens",
    "unique_token_ratio",
    "max_5gram_repeat",
    "repeated_5gram_ratio",
    "max_10gram_repeat",
    "repeated_10gram_ratio",
    "max_clause_repeat",
    "clause_repeat_ratio",
)


def loop_stats(lower: pl.Series, tokens: Tokens, repeats_4gram: np.ndarray) -> pl.DataFrame:
    """``LOOP_COLUMNS`` of every lowercased text, from its ``tokenize`` tokens and whether its
    whole text repeats a token 4-gram (``[n]`` bool)."""
    n = len(lower)
    row, ids, think = _base_tokens(lower, tokens)
    counts = np.bincount(row, minlength=n)
    bounds = np.r_[0, np.cumsum(counts)]
    unique = np.where(counts > 0, _distinct(ids, bounds) / np.maximum(counts, 1), 1.0)
    out = {"think_tokens": np.where(think, counts, 0), "unique_token_ratio": unique}
    for size in (5, 10):
        top, ratio = _gram_repeats(row, ids, size, repeats_4gram, n)
        out[f"max_{size}gram_repeat"], out[f"repeated_{size}gram_ratio"] = top, ratio
    out["max_clause_repeat"], out["clause_repeat_ratio"] = _clauses(lower, tokens, n)
    return pl.DataFrame(out).select(LOOP_COLUMNS)


def _base_tokens(lower: pl.Series, tokens: Tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``row``, ``id`` of every base token (in text order) and whether each text used its think part."""
    think = np.zeros(len(lower), dtype=bool)
    parts = []
    ascii_rows = np.flatnonzero(tokens.ascii)
    if ascii_rows.size:
        mine = tokens.start >= 0
        row, start = tokens.row[mine], tokens.start[mine]
        lo, hi, used = base_range(lower.gather(ascii_rows), ascii_rows, row, start)
        think[ascii_rows] = used
        index = np.arange(len(row))
        text = np.searchsorted(ascii_rows, row.astype(ascii_rows.dtype))
        keep = (index >= lo[text]) & (index < hi[text])
        parts.append((row[keep], tokens.id[mine][keep]))
    other = np.flatnonzero(~tokens.ascii)
    if other.size:
        base, used = base_texts(lower.gather(other))
        think[other] = used.to_numpy()
        found = tokenize(base)
        parts.append((other[found.row].astype(np.uint32), found.id))
    if not parts:
        return np.empty(0, np.uint32), np.empty(0, U64), think
    row, ids = (np.concatenate(c) for c in zip(*parts))
    order = np.argsort(row, kind="stable")
    return row[order].astype(np.int64), ids[order], think


def _gram_repeats(
    row: np.ndarray, ids: np.ndarray, size: int, candidates: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``max_<size>gram_repeat`` and ``repeated_<size>gram_ratio`` of every text."""
    top, ratio = np.ones(n, dtype=np.int64), np.zeros(n)
    keep = candidates[row]
    row, ids = row[keep], ids[keep]
    span = max(len(ids) - size + 1, 0)
    if not span:
        return top, ratio
    gram = ids[:span].copy()
    for k in range(1, size):  # a polynomial in the tokens' ids: Σ id_k · R^k
        gram *= U64(0x9E3779B97F4A7C15)
        gram += ids[k : k + span]
    inside = row[size - 1 : size - 1 + span] == row[:span]
    grow, gram = row[:span][inside], gram[inside]
    key = np.sort((grow.astype(U64) << U64(40)) | (gram >> U64(24)), kind="stable")  # row-sorted already
    firsts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[firsts, len(key)])
    owner = (key[firsts] >> U64(40)).astype(np.int64)
    total = np.bincount(grow, minlength=n)
    mass = np.bincount(owner, weights=np.where(sizes >= 2, sizes, 0), minlength=n)
    has = total > 0
    ratio[has] = mass[has] / total[has]
    if len(owner):
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        top[owner[starts]] = np.maximum.reduceat(sizes, starts)
    return top, ratio


def _clauses(lower: pl.Series, tokens: Tokens, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``max_clause_repeat`` and ``clause_repeat_ratio`` of every text."""
    top, ratio = np.ones(n, dtype=np.int64), np.zeros(n)
    plain = tokens.ascii & ~lower.str.contains("_", literal=True).fill_null(False).to_numpy()
    rows = np.flatnonzero(plain)
    if rows.size:
        found = _ascii_clauses(lower, tokens, rows)
        at = found["row"].to_numpy()
        ratio[at], top[at] = found["rate"].to_numpy(), found["top"].to_numpy()
    for i in np.flatnonzero(~plain):
        top[i], ratio[i] = clause_repeats(base_texts(lower.slice(int(i), 1))[0][0])
    return top, ratio


def _ascii_clauses(lower: pl.Series, tokens: Tokens, rows: np.ndarray) -> pl.DataFrame:
    """``row``, ``rate``, ``top`` of the pure-ASCII texts ``rows`` (without ``_``) that keep a clause."""
    mine = np.isin(tokens.row, rows.astype(tokens.row.dtype))
    row, start, length, ids = tokens.row[mine], tokens.start[mine], tokens.length[mine], tokens.id[mine]
    lo, hi, _ = base_range(lower.gather(rows), rows, row, start)
    text = np.searchsorted(rows, row.astype(rows.dtype))
    index = np.arange(len(row))
    inside = (index >= lo[text]) & (index < hi[text])
    gap = np.zeros(len(row), dtype=bool)  # whitespace after the token (within its text)
    gap[:-1] = (start[1:] > start[:-1] + length[:-1]) & (row[1:] == row[:-1])
    ends = np.isin(ids, _CLAUSE_ENDS) & gap
    opens = np.r_[True, ends[:-1] | (text[1:] != text[:-1]) | (inside[1:] != inside[:-1])]
    clause = np.cumsum(opens) - 1  # clause number of every token
    word = inside & ~np.isin(ids, _PUNCT)
    wclause, wids, wtext = clause[word], ids[word], text[word]
    if not len(wids):
        return pl.DataFrame({"row": rows[:0], "rate": np.zeros(0), "top": np.zeros(0, dtype=np.int64)})
    heads = np.flatnonzero(np.r_[True, wclause[1:] != wclause[:-1]])
    powers, inverses = _powers(len(wids))
    sums = _between(np.cumsum(wids * powers[: len(wids)]), heads) * inverses[heads]
    words = np.diff(np.r_[heads, len(wids)])
    kept = words >= MIN_CLAUSE_WORDS
    return _repeats(wtext[heads][kept], sums[kept], rows)


def clause_repeats(base: str) -> tuple[int, float]:
    """``max_clause_repeat`` and ``clause_repeat_ratio`` of one base text (any text)."""
    clauses = (_NOT_WORD.sub(" ", part.strip().lower()).split() for part in _CLAUSE_SPLIT.split(base))
    kept = [" ".join(words) for words in clauses if len(words) >= MIN_CLAUSE_WORDS]
    if not kept:
        return 1, 0.0
    counts = Counter(kept)
    return max(counts.values()), sum(c for c in counts.values() if c >= 2) / len(kept)


def with_loops(view: pl.DataFrame) -> pl.DataFrame:
    """``view`` plus ``_<column>`` for every ``LOOP_COLUMNS`` (kept when already there)."""
    if "_think_tokens" in view.columns:
        return view
    lower = view["_lower"]
    tokens = tokenize(lower)
    counts = gram_counts(gram_table(tokens), view.height)
    stats = loop_stats(lower, tokens, (counts["n_grams"] > counts["unique_grams"]).to_numpy())
    return view.with_columns(stats.select(pl.all().name.prefix("_")))
