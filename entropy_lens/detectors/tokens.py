"""The tokens of policy text, computed once per batch for every measure that counts them.

Tokens are SEAL's ``\\w+|[^\\w\\s]`` (Python's classes, ``text_classes``) of the lowercased output.
Pure-ASCII texts, nearly all agent output, are tokenised in numpy from their bytes: a token starts
where the byte class changes or at every byte that is neither ``\\w`` nor ``\\s``; their offsets
are kept. Other texts go through polars ``extract_all`` with Python's classes. Either way a token's
id comes from its UTF-8 bytes (``token_ids``): up to 8 bytes packed little-endian (no token holds a
zero byte but the one-byte ``"\\x00"``, so the packing fixes the length), longer ones an
order-dependent mix of their 8-byte chunks, both through splitmix64's finaliser (a bijection of
64-bit integers, so tokens of at most 8 bytes never collide).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from entropy_lens.detectors.text_classes import BYTE_CLASS, OTHER, SPACE, patterns

U64 = np.uint64
#: Odd 64-bit constants (golden ratio and splitmix64/murmur3 multipliers) for position salts.
SALTS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD)
#: For a token of ``k`` < 8 bytes: the mask of its bytes (8: all bytes).
_KEEP = np.array([(1 << 8 * k) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


@dataclass(frozen=True)
class Tokens:
    """Every token of ``n_texts`` texts, in text order.

    ``row`` ``[T]`` uint32 (index of the text), ``id`` ``[T]`` uint64, ``length`` ``[T]`` int64
    (bytes), ``start`` ``[T]`` int64 (offset in its text, in characters = bytes; -1 for texts that
    are not pure ASCII), ``ascii`` ``[n_texts]`` bool (the texts whose offsets are known).
    """

    row: np.ndarray
    id: np.ndarray
    start: np.ndarray
    length: np.ndarray
    ascii: np.ndarray

    @property
    def n_texts(self) -> int:
        """How many texts were tokenised."""
        return len(self.ascii)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea, Flood 2014), a bijection of uint64, elementwise; ``x``
    is overwritten and returned."""
    t = x >> U64(30)
    x ^= t
    x *= U64(0xBF58476D1CE4E5B9)
    np.right_shift(x, U64(27), out=t)
    x ^= t
    x *= U64(0x94D049BB133111EB)
    np.right_shift(x, U64(31), out=t)
    x ^= t
    return x


def utf8(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of ``texts`` laid end to end (``[B]`` uint8) and each text's start (``[n + 1]`` int64)."""
    array = texts.fill_null("").to_arrow()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    buffer = array.buffers()[2]
    data = np.frombuffer(buffer, dtype=np.uint8) if buffer is not None else np.empty(0, np.uint8)
    return data[offsets[0] : offsets[-1]], offsets - offsets[0]


def token_ids(padded: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``[T]`` uint64 ids of the tokens ``padded[starts[i] : starts[i] + lengths[i]]`` (lengths ≥ 1;
    ``padded`` uint8 with 8 zero bytes after the last token, as ``padded_utf8`` gives)."""
    words = np.ndarray(len(padded) - 7, dtype="<u8", buffer=padded, strides=(1,))  # 8 bytes from each offset
    ids = np.take(words, starts)  # (faster than ``words[starts]`` on this unaligned view)
    ids &= np.take(_KEEP, np.minimum(lengths, 8))
    ids = mix(ids)
    long = np.flatnonzero(lengths > 8)
    if long.size:
        ids[long] = _long_ids(words, starts[long], lengths[long])
    return ids


def padded_utf8(texts: pl.Series) -> tuple[bytearray, np.ndarray]:
    """The UTF-8 bytes of ``texts`` end to end followed by 8 zero bytes, and each text's start
    (``[n + 1]`` int64)."""
    data, offsets = utf8(texts)
    padded = bytearray(len(data) + 8)
    padded[: len(data)] = memoryview(data)
    return padded, offsets


def _long_ids(words: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Ids of tokens over 8 bytes: the xor of their mixed, position-salted 8-byte chunks, mixed with the length."""
    chunks = (lengths + 7) // 8
    first = np.cumsum(chunks) - chunks
    index = np.arange(int(chunks.sum())) - np.repeat(first, chunks)  # chunk number within its token
    left = np.repeat(lengths, chunks) - 8 * index
    values = words[np.repeat(starts, chunks) + 8 * index] & _KEEP[np.minimum(left, 8)]
    salted = mix(values ^ index.astype(np.uint64) * U64(SALTS[0]))
    return mix(np.bitwise_xor.reduceat(salted, first) ^ lengths.astype(np.uint64) * U64(SALTS[1]))


def _ascii_tokens(texts: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(padded bytes, token starts in them, token lengths, text offsets)`` of pure-ASCII texts."""
    padded, offsets = padded_utf8(texts)
    kind = np.frombuffer(padded.translate(BYTE_CLASS), dtype=np.uint8)[:-8]  # (faster than a numpy lookup)
    data = np.frombuffer(padded, dtype=np.uint8)
    piece = np.empty(len(kind) + 1, dtype=bool)  # a token or a whitespace run starts here (or the end)
    piece[0] = piece[-1] = True
    np.not_equal(kind[1:], kind[:-1], out=piece[1:-1])
    solid = kind == OTHER  # (first the bytes that are tokens of their own)
    piece[:-1] |= solid
    piece[offsets[:-1]] = True  # tokens never cross texts
    np.not_equal(kind, SPACE, out=solid)
    edge = np.logical_and(piece[:-1], solid)
    starts = np.flatnonzero(edge)
    np.logical_and(piece[1:], solid, out=edge)
    ends = np.flatnonzero(edge)
    ends -= starts
    ends += 1
    return data, starts, ends, offsets


def tokenize(lower: pl.Series) -> Tokens:
    """The tokens of every (lowercased) text."""
    plain = (lower.str.len_bytes() == lower.str.len_chars()).fill_null(True).to_numpy()
    parts = []
    chosen = np.flatnonzero(plain)
    if chosen.size:
        whole = chosen.size == len(lower)
        data, starts, lengths, offsets = _ascii_tokens(lower if whole else lower.gather(chosen))
        counts = np.diff(np.searchsorted(starts, offsets))
        row = np.repeat(np.arange(len(offsets) - 1, dtype=np.uint32), counts)
        start = starts - np.repeat(offsets[:-1], counts)
        parts.append(
            (row if whole else chosen[row].astype(np.uint32), token_ids(data, starts, lengths), start, lengths)
        )
    chosen = np.flatnonzero(~plain)
    if chosen.size:
        found = lower.gather(chosen).str.extract_all(patterns()["token"])
        padded, offsets = padded_utf8(found.explode().drop_nulls())
        data, lengths = np.frombuffer(padded, dtype=np.uint8), np.diff(offsets)
        row = np.repeat(chosen.astype(np.uint32), found.list.len().fill_null(0).to_numpy())
        parts.append((row, token_ids(data, offsets[:-1], lengths), np.full(len(row), -1), lengths))
    if len(parts) != 1:
        columns = (
            [np.concatenate(c) for c in zip(*parts)] if parts else [np.empty(0, t) for t in (np.uint32, U64, int, int)]
        )
        order = np.argsort(columns[0], kind="stable")
        parts = [[c[order] for c in columns]]
    return Tokens(*parts[0], ascii=plain)
