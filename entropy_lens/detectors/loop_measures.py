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
from dataclasses import dataclass

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


#: The ids of one-character punctuation tokens, sorted, and which of them end a clause (``.!?,;``)
#: when whitespace follows.
_PUNCT_ORDER = np.argsort(_char_ids(_PUNCT_CHARS))
_PUNCT = _char_ids(_PUNCT_CHARS)[_PUNCT_ORDER]
_ENDS_CLAUSE = np.array([_PUNCT_CHARS[i] in b".!?,;" for i in _PUNCT_ORDER])
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


def loop_stats(
    lower: pl.Series, tokens: Tokens, repeats_4gram: np.ndarray, plain: AsciiBase | None = None
) -> pl.DataFrame:
    """``LOOP_COLUMNS`` of every lowercased text, from its ``tokenize`` tokens and whether its
    whole text repeats a token 4-gram (``[n]`` bool); ``plain``: ``ascii_base`` when computed."""
    n = len(lower)
    plain = plain if plain is not None else ascii_base(lower, tokens)
    row, ids, think = _base_tokens(lower, tokens, plain)
    counts = np.bincount(row, minlength=n)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    unique = np.where(counts > 0, _distinct(ids, bounds) / np.maximum(counts, 1), 1.0)
    out = {"think_tokens": np.where(think, counts, 0), "unique_token_ratio": unique}
    for size in (5, 10):
        top, ratio = _gram_repeats(row, ids, size, repeats_4gram, n)
        out[f"max_{size}gram_repeat"], out[f"repeated_{size}gram_ratio"] = top, ratio
    out["max_clause_repeat"], out["clause_repeat_ratio"] = _clauses(lower, tokens, plain, n)
    return pl.DataFrame(out).select(LOOP_COLUMNS)


@dataclass(frozen=True)
class AsciiBase:
    """The tokens of the pure-ASCII texts ``rows``: ``pick`` selects them in ``Tokens``' arrays,
    ``text`` is each one's index in ``rows``, ``inside`` whether it is in its text's base part,
    ``lo``/``hi`` each text's base token range (``sentences.base_range``); ``think`` whether each
    text's base is its think part."""

    rows: np.ndarray
    pick: slice | np.ndarray
    text: np.ndarray
    inside: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    think: np.ndarray


def ascii_base(lower: pl.Series, tokens: Tokens) -> AsciiBase:
    """The base parts of the pure-ASCII texts, from their tokens."""
    rows = np.flatnonzero(tokens.ascii)
    whole = rows.size == tokens.n_texts
    pick = slice(None) if whole else np.flatnonzero(tokens.start >= 0)
    row, start = tokens.row[pick], tokens.start[pick]
    lo, hi, think = base_range(lower if whole else lower.gather(rows), rows, row, start)
    text = row.astype(np.int64) if whole else np.searchsorted(rows, row.astype(rows.dtype))
    edges = np.bincount(lo, minlength=len(row) + 1) - np.bincount(hi, minlength=len(row) + 1)
    inside = np.cumsum(edges[:-1]) > 0  # [lo, hi) ranges are disjoint
    return AsciiBase(rows, pick, text, inside, lo, hi, think)


def _base_tokens(lower: pl.Series, tokens: Tokens, plain: AsciiBase) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``row``, ``id`` of every base token (in text order) and whether each text used its think part."""
    think = np.zeros(len(lower), dtype=bool)
    think[plain.rows] = plain.think
    parts = [(tokens.row[plain.pick][plain.inside], tokens.id[plain.pick][plain.inside])]
    other = np.flatnonzero(~tokens.ascii)
    if other.size:
        base, used = base_texts(lower.gather(other))
        think[other] = used.to_numpy()
        found = tokenize(base)
        parts.append((other[found.row].astype(np.uint32), found.id))
        row, ids = (np.concatenate(c) for c in zip(*parts))
        order = np.argsort(row, kind="stable")
        parts = [(row[order], ids[order])]
    return parts[0][0].astype(np.int64), parts[0][1], think


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
    if not grow.size:  # every window crosses two texts (each text shorter than ``size`` tokens)
        return top, ratio
    key = np.sort((grow.astype(U64) << U64(40)) | (gram >> U64(24)), kind="stable")  # row-sorted already
    firsts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    sizes = np.diff(np.append(firsts, len(key)))
    owner = (key[firsts] >> U64(40)).astype(np.int64)
    total = np.bincount(grow, minlength=n)
    mass = np.bincount(owner, weights=np.where(sizes >= 2, sizes, 0), minlength=n)
    has = total > 0
    ratio[has] = mass[has] / total[has]
    if len(owner):
        starts = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]]))
        top[owner[starts]] = np.maximum.reduceat(sizes, starts)
    return top, ratio


def _clauses(lower: pl.Series, tokens: Tokens, plain: AsciiBase, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``max_clause_repeat`` and ``clause_repeat_ratio`` of every text."""
    top, ratio = np.ones(n, dtype=np.int64), np.zeros(n)
    if plain.rows.size:
        found = _ascii_clauses(tokens, plain)
        at = found["row"].to_numpy()
        ratio[at], top[at] = found["rate"].to_numpy(), found["top"].to_numpy()
    underscore = lower.str.contains("_", literal=True).fill_null(False).to_numpy()
    for i in np.flatnonzero(~tokens.ascii | underscore):  # measured in Python, as defined
        top[i], ratio[i] = clause_repeats(base_texts(lower.slice(int(i), 1))[0][0])
    return top, ratio


def _ascii_clauses(tokens: Tokens, plain: AsciiBase) -> pl.DataFrame:
    """``row``, ``rate``, ``top`` of the pure-ASCII texts that keep a clause."""
    row, ids = tokens.row[plain.pick], tokens.id[plain.pick]
    start, length = tokens.start[plain.pick], tokens.length[plain.pick]
    single = np.flatnonzero(length == 1)  # punctuation is one character: look only those up
    at = np.minimum(np.searchsorted(_PUNCT, ids[single]), len(_PUNCT) - 1)
    found = _PUNCT[at] == ids[single]
    punct, ends = np.zeros(len(row), dtype=bool), np.zeros(len(row), dtype=bool)
    punct[single] = found
    ends[single] = found & _ENDS_CLAUSE[at]
    opens = np.empty(len(row), dtype=bool)  # a clause starts here
    if len(row):
        opens[0] = True
        # whitespace after a clause end (tokens of one text touch unless whitespace parts them)
        np.greater(start[1:], start[:-1] + length[:-1], out=opens[1:])
        opens[1:] &= ends[:-1]
        opens[1:] |= row[1:] != row[:-1]
        opens[1:] |= plain.inside[1:] != plain.inside[:-1]
    word = plain.inside & ~punct
    clause = np.cumsum(opens)[word]  # clause number of every word
    wids, wtext = ids[word], plain.text[word]
    if not len(wids):
        return pl.DataFrame({"row": plain.rows[:0], "rate": np.zeros(0), "top": np.zeros(0, dtype=np.int64)})
    heads = np.flatnonzero(np.concatenate([[True], clause[1:] != clause[:-1]]))
    powers, inverses = _powers(len(wids))
    sums = _between(np.cumsum(wids * powers[: len(wids)]), heads) * inverses[heads]
    kept = np.diff(np.append(heads, len(wids))) >= MIN_CLAUSE_WORDS
    return _repeats(wtext[heads][kept], sums[kept], plain.rows)


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
