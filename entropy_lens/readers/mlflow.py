"""MLflow tracking stores → metrics: the SQL store (``mlflow.db``) and the file store (``mlruns/``).

* SQL store (the default since MLflow 3.7, ``sqlite:///mlflow.db``): table ``metrics(key, value,
  timestamp, run_uuid, step, is_nan)`` — ``SqlAlchemyStore`` stores NaN as value 0 with
  ``is_nan = 1`` — and ``runs(run_uuid, name, lifecycle_stage, …)``. Opened with ``sqlite3`` in
  read-only URI mode, so the store is never modified.
* File store: ``mlruns/<experiment id>/<run id>/metrics/<key>``, one line per logged value,
  ``timestamp value step`` (MLflow < 1.0 wrote ``timestamp value``: step 0); a ``/`` in a key
  makes sub-folders; the run's ``meta.yaml`` holds ``run_name`` and ``lifecycle_stage``.

A store usually holds many runs (every experiment logged to the same ``mlflow.db``). Every row is
labelled with its run (the ``run`` column, see ``base.Table``): the run's name, or the run id's
first 8 characters when the name is empty or shared. ``read_run`` then reports a store of several
runs as several runs (pick one with ``--run <run name>``). Deleted runs are skipped.

verl's ``mlflow`` logger writes ``@`` as ``_at_`` (MLflow forbids ``@``; verl/utils/tracking.py):
``val-core/<source>/reward/mean_at_4`` is read back as ``…/mean@4``.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import polars as pl

from entropy_lens.errors import InvalidInput
from entropy_lens.readers.base import Table
from entropy_lens.readers.records import METRIC_ROW_SCHEMA
from entropy_lens.run import Problem

_SQLITE_MAGIC = b"SQLite format 3\x00"
#: what a damaged store raises: sqlite's errors, or its error message decoded (not UTF-8) by Python
_SQLITE_ERRORS = (sqlite3.Error, UnicodeDecodeError)
_VERL_AT = re.compile(r"(?<=/)(mean|std|best|worst|maj)_at_(\d+)")
_QUERY = """
    SELECT m.run_uuid, m.key, m.step, m.value, {is_nan}
    FROM metrics AS m JOIN runs AS r ON r.run_uuid = m.run_uuid
    WHERE r.lifecycle_stage IS NOT 'deleted'
    ORDER BY m.run_uuid, m.key, m.step, m.timestamp
"""


class MlflowSqliteReader:
    """An MLflow SQL store in a sqlite file → ``step, raw_name, value`` rows of every active run."""

    name = "mlflow-sqlite"
    kind = "metrics"

    def sniff(self, path: Path) -> bool:
        with open(path, "rb") as handle:
            if handle.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
                return False
        try:
            return {"key", "value", "step", "run_uuid"} <= set(_columns(path, "metrics"))
        except _SQLITE_ERRORS:
            return False

    def read(self, path: Path) -> Table:
        problems: list[Problem] = []
        try:
            is_nan = "m.is_nan" if "is_nan" in _columns(path, "metrics") else "0"
            with _connect(path) as connection:
                runs = connection.execute("SELECT run_uuid, name FROM runs WHERE lifecycle_stage IS NOT 'deleted'")
                labels = _run_labels(dict(runs.fetchall()))
                rows = connection.execute(_QUERY.format(is_nan=is_nan)).fetchall()
        except _SQLITE_ERRORS as exc:
            raise InvalidInput(path, f"not a readable MLflow store ({exc})") from exc
        kept = []
        for run, key, step, value, nan in rows:
            if not isinstance(key, str) or not isinstance(step, int) or not isinstance(value, (int, float)):
                problems.append(Problem(str(path), None, f"run {run}, '{key}': step {step!r}, value {value!r}"))
                continue
            label = labels.get(run) or str(run)[:8]
            kept.append((step, _raw_name(key), float("nan") if nan else float(value), label))
        return Table(self.kind, _labelled(kept), problems)


class MlflowFileStoreReader:
    """The ``metrics/`` folder of one file-store run → ``step, raw_name, value`` rows."""

    name = "mlflow-files"
    kind = "metrics"

    def sniff(self, path: Path) -> bool:
        return path.name == "metrics" and "run_id" in _meta(path.parent)

    def read(self, path: Path) -> Table:
        problems: list[Problem] = []
        meta = _meta(path.parent)
        if meta.get("lifecycle_stage") == "deleted":
            return Table(self.kind, _labelled([]), problems)
        store = path.parent.parent.parent
        runs = {run.name: _run_name(run) for run in _active_runs(store)}
        label = _run_labels(runs).get(path.parent.name) or path.parent.name[:8]
        rows = []
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            key = file.relative_to(path).as_posix()
            rows += [(step, _raw_name(key), value, label) for step, value in _metric_lines(file, key, problems)]
        return Table(self.kind, _labelled(rows), problems)


def _connect(path: Path) -> closing[sqlite3.Connection]:
    """A read-only connection, closed on leaving the ``with`` block."""
    return closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))


def _columns(path: Path, table: str) -> list[str]:
    with _connect(path) as connection:
        return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def _meta(run: Path) -> dict[str, str]:
    """Top-level ``key: value`` lines of a file-store ``meta.yaml`` (quotes stripped)."""
    try:
        lines = (run / "meta.yaml").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    pairs = (line.split(": ", 1) for line in lines if ": " in line and not line.startswith((" ", "-")))
    return {key: value.strip().strip("'\"") for key, value in pairs}


def _run_name(run: Path) -> str:
    """``run_name`` of ``meta.yaml``, else the ``mlflow.runName`` tag (older stores)."""
    tag = run / "tags" / "mlflow.runName"
    fallback = tag.read_text(encoding="utf-8", errors="replace").strip() if tag.is_file() else ""
    return _meta(run).get("run_name") or fallback


def _active_runs(store: Path) -> list[Path]:
    """Run folders (``<experiment>/<run>/`` with ``metrics/``) of a file store that are not deleted."""
    runs = [meta.parent for meta in store.glob("*/*/meta.yaml") if (meta.parent / "metrics").is_dir()]
    return [run for run in runs if _meta(run).get("lifecycle_stage") != "deleted"]


def _run_labels(names: dict[str, str | None]) -> dict[str, str]:
    """run id → run label: its name, or the id's first 8 characters when the name is empty or shared."""
    counts = Counter(names.values())
    return {run: name if name and counts[name] == 1 else str(run)[:8] for run, name in names.items()}


def _raw_name(key: str) -> str:
    return _VERL_AT.sub(r"\1@\2", key)


def _labelled(rows: list[tuple[int, str, float, str]]) -> pl.DataFrame:
    """``step, raw_name, value, run`` rows."""
    return pl.DataFrame(rows, schema={**METRIC_ROW_SCHEMA, "run": pl.Utf8}, orient="row")


def _metric_lines(file: Path, key: str, problems: list[Problem]) -> list[tuple[int, float]]:
    """``(step, value)`` of each line ``timestamp value [step [dataset …]]`` of one metric file."""
    rows = []
    with open(file, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            parts = raw.split()
            try:
                if len(parts) not in (2, 3, 5):
                    raise ValueError
                int(parts[0])
                step = int(parts[2]) if len(parts) > 2 else 0
                if not -(2**63) <= step < 2**63:
                    raise ValueError
                rows.append((step, float(parts[1])))
            except ValueError:
                if parts:
                    problems.append(Problem(str(file), number, f"'{key}': not 'timestamp value step': {raw[:60]!r}"))
    return rows
