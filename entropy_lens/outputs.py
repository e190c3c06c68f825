"""Writing results safely: atomic files (temp file, then rename) and strict JSON.

Every output folder of a command (``analyze``, ``recompute``, ``export``) gets a ``MARKER``
file (``mark``), so that run discovery (``readers.discover``) skips output folders placed inside
a run directory. Files get the mode
a plain ``open`` would give them (0666 less the umask), not the temp file's 0600.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from entropy_lens.errors import OutputExists, OutputNotWritable

#: Written into every output folder of a command; ``readers.discover`` skips such folders.
MARKER = ".entropy-lens-output"


def jsonable(value):
    """``value`` with numpy scalars/arrays turned into Python ones and NaN/±inf into ``None``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def dumps(payload) -> str:
    """Strict JSON text (no NaN tokens) of ``payload``."""
    return json.dumps(jsonable(payload), indent=2, allow_nan=False, ensure_ascii=False)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _made(folder: Path) -> Path:
    """``folder``, created with its parents if missing."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritable(folder, exc.strerror or str(exc)) from None
    return folder


def mark(folder: Path) -> Path:
    """Create the output folder ``folder`` (and parents) with its ``MARKER``.

    Raises:
        OutputNotWritable: the folder cannot be created or written to.
    """
    marker = _made(Path(folder)) / MARKER
    if not marker.exists():
        write_text(marker, "Written by entropy-lens; run discovery skips this folder.\n")
    return Path(folder)


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temp file beside ``path``, then rename it into place.

    Raises:
        OutputNotWritable: the folder cannot be created or written to.
    """
    _made(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputNotWritable(path.parent, exc.strerror or str(exc)) from None
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    return write_atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, payload) -> Path:
    """Write ``payload`` as strict JSON atomically."""
    return write_text(path, dumps(payload) + "\n")


def write_parquet(path: Path, frame: pl.DataFrame) -> Path:
    """Write a polars table as Parquet atomically."""
    return write_atomically(Path(path), lambda tmp: frame.write_parquet(tmp))


def write_parquet_batches(path: Path, batches: Iterable[pl.DataFrame], schema: dict) -> Path:
    """Write polars tables of one ``schema`` one after another into one Parquet file, atomically.

    Only one batch is in memory at a time (``pyarrow.parquet.ParquetWriter``, one row group per batch).
    """

    def write(tmp: Path) -> None:
        arrow_schema = pl.DataFrame(schema=schema).to_arrow().schema
        with pq.ParquetWriter(str(tmp), arrow_schema) as writer:
            for batch in batches:
                writer.write_table(batch.select(list(schema)).to_arrow().cast(arrow_schema))

    return write_atomically(Path(path), write)


def check_out_dir(path: Path, ours: frozenset[str]) -> Path:
    """Check ``path`` can take our outputs without losing anything (nothing is created).

    A missing or empty folder is fine, and so is one holding only names we write (an earlier
    run of the same command, which is replaced file by file).

    Raises:
        OutputExists: ``path`` is a file, or holds anything else.
        OutputNotWritable: ``path`` (or the folder it would be created in) is not writable.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputExists(path, "exists and is not a folder; choose another --out")
    _check_writable(path)
    if path.is_dir():
        foreign = sorted(p.name for p in path.iterdir() if p.name not in ours | {MARKER})
        if foreign:
            shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            raise OutputExists(path, f"already holds files entropy-lens did not write ({shown}); choose a new --out")
    return path


def _check_writable(path: Path) -> None:
    """``path``, or its nearest existing ancestor, is a folder this process may write into."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputNotWritable(path, f"{existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputNotWritable(path, f"{existing} is not writable (permission denied)")
