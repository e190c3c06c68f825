"""The framing of W&B run files (``run-<id>.wandb``): bytes → the serialized records inside.

Layout, as wandb-core 0.31 writes it (``wandb/sdk/internal/datastore.py``; anchors.md §2): a
7-byte header ``":W&B"``, magic ``0xBEE1`` (uint16 LE), version 0; then LevelDB log framing
(google/leveldb doc/log_format.md): 32 KiB blocks (the header counts in the first), each record
``crc32 (uint32 LE), length (uint16 LE), type (1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST), data``; fewer
than 7 bytes left in a block are zero padding. Unlike LevelDB the checksum is zlib's CRC-32 of
the type byte followed by the data. What a record's data means: ``readers.wandb``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from entropy_lens.errors import InvalidInput
from entropy_lens.run import Problem

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_SKIPPED = -1  #: not a record type: marks where damaged bytes were skipped


def has_header(path: Path) -> bool:
    """Whether ``path`` starts with the W&B run file header."""
    with open(path, "rb") as handle:
        return handle.read(len(HEADER)) == HEADER


def payloads(path: Path, problems: list[Problem]) -> Iterator[tuple[int, bytes]]:
    """``(byte offset, data)`` of every intact logical record of a W&B run file.

    A bad checksum, length or type skips the rest of its block (LevelDB's recovery rule) and
    drops a record it had begun; a file that ends mid-record loses that record. Both are
    recorded in ``problems``.

    Raises:
        InvalidInput: the file does not start with the W&B header.
    """
    if not has_header(path):
        raise InvalidInput(path, "not a W&B run file (no ':W&B' header)")
    parts: list[bytes] = []
    for offset, kind, data in _fragments(path, problems):
        if kind == _FULL:
            yield offset, data
        elif kind == _FIRST:
            parts = [data]
        elif kind == _SKIPPED:
            parts = []
        elif parts:
            parts.append(data)
            if kind == _LAST:
                yield offset, b"".join(parts)
                parts = []


def _fragments(path: Path, problems: list[Problem]) -> Iterator[tuple[int, int, bytes]]:
    """``(offset, type, data)`` of each physical record, block by block; ``_SKIPPED`` marks a
    damaged rest of a block."""
    with open(path, "rb") as handle:
        start = handle.seek(len(HEADER))  # the header takes the first 7 bytes of block 0
        while block := handle.read(BLOCK - start):
            pos, last_block = 0, len(block) < BLOCK - start
            while len(block) - pos >= 7:
                crc, length, kind = struct.unpack_from("<IHB", block, pos)
                offset, data = handle.tell() - len(block) + pos, block[pos + 7 : pos + 7 + length]
                if kind == length == crc == 0:
                    break  # zero padding
                reason = _damage(kind, length, crc, data, last_block)
                if reason:
                    problems.append(Problem(str(path), None, f"byte {offset}: {reason}"))
                    yield offset, _SKIPPED, b""
                    break
                yield offset, kind, data
                pos += 7 + length
            else:
                if last_block and pos < len(block):  # a header cut short
                    offset = handle.tell() - len(block) + pos
                    problems.append(Problem(str(path), None, f"byte {offset}: file ends mid-record"))
            start = 0


def _damage(kind: int, length: int, crc: int, data: bytes, last_block: bool) -> str | None:
    """Why a physical record cannot be used, or None."""
    if len(data) < length:
        return "file ends mid-record" if last_block else "record longer than its block"
    if kind not in (_FULL, _FIRST, _MIDDLE, _LAST):
        return f"unknown record type {kind}"
    if zlib.crc32(bytes([kind]) + data) != crc:
        return "checksum mismatch, rest of block skipped"
    return None
