"""Python's ``\\s`` and ``\\w`` for the vectorised paths: Rust-regex classes (polars) and a byte table.

The measures are defined with Python's ``re`` (SEAL's code), whose classes differ from Rust's:
combining marks are ``\\w`` in Rust only, ``\\x1c``–``\\x1f`` are ``\\s`` in Python only. So the
classes are built from Python's own definitions (``str.isalnum() or "_"``, ``str.isspace()``).
"""

from __future__ import annotations

import sys
from functools import cache

SPACE, WORD, OTHER = 0, 1, 2  #: byte classes of ``BYTE_CLASS``


def _byte_classes() -> bytes:
    """The class of every ASCII byte as Python sees its character, as a ``bytes.translate`` table;
    bytes ≥ 0x80 are ``OTHER`` (only meaningful for pure-ASCII text)."""
    table = bytearray([OTHER] * 256)
    for code in range(128):
        char = chr(code)
        if char.isspace():
            table[code] = SPACE
        elif char.isalnum() or char == "_":
            table[code] = WORD
    return bytes(table)


#: Python's ``\s`` / ``\w`` / neither for every ASCII byte (a ``bytes.translate`` table).
BYTE_CLASS = _byte_classes()


def _ranges(test, stop: int = sys.maxunicode + 1) -> list[tuple[int, int]]:
    """Code-point ranges below ``stop`` where ``test(chr(c))`` holds."""
    out: list[tuple[int, int]] = []
    for code in range(stop):
        if test(chr(code)):
            if out and out[-1][1] == code - 1:
                out[-1] = (out[-1][0], code)
            else:
                out.append((code, code))
    return out


def _cls(ranges: list[tuple[int, int]], negate: bool = False) -> str:
    body = "".join(f"\\x{{{a:x}}}" + (f"-\\x{{{b:x}}}" if b > a else "") for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


@cache
def patterns(ascii_only: bool = False) -> dict[str, str]:
    """Rust-regex classes with Python's ``\\s``/``\\w`` (built once: ~0.15 s for all of Unicode,
    nothing for ``ascii_only``, the classes as pure-ASCII text meets them).

    ``space_chars``: every Python whitespace character; ``collapse``: every whitespace run that is
    not exactly one ``" "``; ``token``: SEAL's token ``\\w+|[^\\w\\s]``.
    """
    stop = 128 if ascii_only else sys.maxunicode + 1
    space = _ranges(str.isspace, stop)
    word = _ranges(lambda c: c.isalnum() or c == "_", stop)
    chars = "".join(chr(c) for a, b in space for c in range(a, b + 1))
    blank = _cls(space)
    other_blank = _cls([(ord(c), ord(c)) for c in chars if c != " "])
    return {
        "space_chars": chars,
        "collapse": f"{other_blank}{blank}*| {blank}+",
        "token": f"{_cls(word)}+|{_cls(word + space, negate=True)}",
    }
