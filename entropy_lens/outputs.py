"""Writing results safely: atomic files (temp file, then rename) and strict JSON."""

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

from entropy_lens.errors import OutputExists


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


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temp file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
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
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputExists(path, "exists and is not a folder; choose another --out")
    if path.is_dir():
        foreign = sorted(p.name for p in path.iterdir() if p.name not in ours)
        if foreign:
            shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            raise OutputExists(path, f"already holds files entropy-lens did not write ({shown}); choose a new --out")
    return path
