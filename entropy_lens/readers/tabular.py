"""Generic tables → ``metrics`` (or ``rollouts``) rows: the fallback reader, last in the registry.

Accepted (a file with a step column and numeric metric columns, as DESIGN promises ``phases``):

* **CSV** whose header has a step column: ``step`` in any casing (W&B exports write ``Step``),
  ``_step`` or ``global_step``. Every other column with at least one number is a metric; columns
  starting with ``_`` (W&B's ``_runtime``, ``_timestamp``) are not. Cells may be quoted.
* **W&B panel exports** (``"<run> - <metric>"``, ``"… __MIN"``, ``"… __MAX"``): see
  ``wide_metrics``; each row is labelled with its run, so runs are never merged into one series.
* **Flat JSONL**, one object per line, ``{"step": N, "<metric>": value, …}`` (e.g. ADRS's paper
  logs, W&B history exports, ``pandas.DataFrame.to_json(orient="records", lines=True)``), or a
  table of policy outputs whose objects already have ``step``, ``prompt`` and ``response`` keys
  (no ``--columns`` needed).
* **Parquet** with a step column (``pandas.DataFrame.to_parquet``, ``polars.DataFrame.write_parquet``):
  numeric and boolean columns are metrics, other columns are not.

``TableReader(columns={"step": "Step", "entropy": "ent_mean"})`` renames columns first
(``columns.py``; ``--columns`` on the command line); a renamed table with ``prompt`` and
``response`` columns is read as rollouts.

Empty cells and JSON ``null`` are missing values (no row); ``NaN`` / ``inf`` are kept. A row whose
step is not a whole number, or a cell that is neither empty nor a number, is a counted problem.
``MetricRows`` (shared by the verl metric readers) collects rows in bounded frames.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from entropy_lens.errors import InvalidInput
from entropy_lens.readers.base import Table, head, json_lines
from entropy_lens.readers.columns import ROLLOUT_FIELDS, as_text, is_rollouts, renamed, rollout_table
from entropy_lens.readers.records import (
    METRIC_ROW_SCHEMA,
    PARQUET_ERRORS,
    BadRecord,
    extra_json,
    finish,
    integer,
)
from entropy_lens.readers.wide_metrics import STEP_COLUMNS, metric_table
from entropy_lens.run import Problem

TABLE_SUFFIXES = (".csv", ".jsonl", ".parquet")
_SNIFF_BYTES = 1 << 16


class MetricRows:
    """Collects ``(step, raw_name, value)`` rows column-wise, as a frame every ``batch_rows`` rows."""

    def __init__(self, batch_rows: int = 1 << 16):
        self.batch_rows = batch_rows
        self._columns: tuple[list, list, list] = ([], [], [])
        self._frames: list[pl.DataFrame] = []

    def add(self, step: int, items: Iterable[tuple[str, float]]) -> None:
        """Append the ``(raw_name, value)`` pairs logged at ``step``."""
        steps, names, values = self._columns
        before = len(names)
        for name, value in items:
            names.append(name)
            values.append(value)
        steps.extend([step] * (len(names) - before))
        if len(steps) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        steps, names, values = self._columns
        if steps:
            data = {"step": steps, "raw_name": names, "value": values}
            self._frames.append(pl.DataFrame(data, schema=METRIC_ROW_SCHEMA))
            self._columns = ([], [], [])

    def frame(self) -> pl.DataFrame:
        """Every row in logged order (a (step, raw_name) logged twice stays twice: ``read_run``
        keeps the later value and reports it)."""
        self._flush()
        if not self._frames:
            return pl.DataFrame(schema=METRIC_ROW_SCHEMA)
        return pl.concat(self._frames, how="vertical")


def json_number(value) -> float | None:
    """A JSON scalar as a metric value: numbers and booleans (as 0/1); anything else ``None``.

    Integers beyond the float range become ±inf.
    """
    if not isinstance(value, (bool, int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _step_key(record: dict) -> str | None:
    return next((key for key in record if key.lower() in STEP_COLUMNS), None)


def _first_line(path: Path) -> str:
    return head(path, _SNIFF_BYTES).split("\n", 1)[0]


def _is_flat_record(line: str) -> bool:
    """A JSON object with a step key and numbers (metrics), or with ``prompt`` and ``response`` (rollouts)."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    key = _step_key(record) if isinstance(record, dict) else None
    if key is None:
        return False
    if is_rollouts(list(record)):
        return True
    values = [v for k, v in record.items() if k != key]
    numbers = [v for v in values if json_number(v) is not None]
    return bool(numbers) and all(v is None or json_number(v) is not None for v in values)


def header(path: Path) -> list[str]:
    """Column names of a CSV (first line), JSONL (first object's keys) or Parquet file; [] if unreadable."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            return list(pl.read_parquet_schema(path))
        except PARQUET_ERRORS:
            return []
    line = _first_line(path)
    if suffix == ".csv":
        return [c.strip() for c in next(csv.reader(io.StringIO(line)), [])]
    try:
        record = json.loads(line)
    except ValueError:
        return []
    return list(record) if isinstance(record, dict) else []


class TableReader:
    """Any CSV, flat JSONL or Parquet table with a step column (see the module docstring).

    Args:
        columns: ``{our name: the file's column}`` (``columns.parse_columns``); every mapped
            column must then be in the file.
    """

    name = "generic-table"
    kind = "metrics"

    def __init__(self, columns: dict[str, str] | None = None):
        self.columns = dict(columns or {})

    def sniff(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix not in TABLE_SUFFIXES:
            return False
        if suffix == ".jsonl" and not self.columns:
            return _is_flat_record(_first_line(path))
        names = header(path)
        return any(c.lower() in STEP_COLUMNS for c in names) or bool(set(self.columns.values()) & set(names))

    def read(self, path: Path) -> Table:
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            return _read_jsonl(path, self.columns)
        frame = _load(path)
        names = renamed(path, frame.columns, self.columns, 1 if suffix == ".csv" else None)
        frame = frame.select(pl.col(old).alias(new) for old, new in names.items())
        lines = [i + 2 if suffix == ".csv" else None for i in range(frame.height)]  # CSV: after the header
        if is_rollouts(frame.columns):
            return rollout_table(path, frame, lines)
        return metric_table(path, frame, lines, text=suffix == ".csv")


def _load(path: Path) -> pl.DataFrame:
    """A CSV as text cells, or a Parquet file as stored."""
    try:
        if path.suffix.lower() == ".parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True)
    except PARQUET_ERRORS as exc:
        raise InvalidInput(path, f"unreadable {path.suffix.lstrip('.').upper()} ({exc})") from None


def _read_jsonl(path: Path, mapping: dict[str, str]) -> Table:
    problems: list[Problem] = []
    rows, outputs, lines = MetricRows(), [], []
    names: dict[str, str] | None = None
    for line, record in json_lines(path, problems):
        if not isinstance(record, dict):
            problems.append(Problem(str(path), line, f"not a JSON object ({type(record).__name__})"))
            continue
        names = names or renamed(path, list(record), mapping, line)  # the first object is the header
        record = {names.get(k, k): v for k, v in record.items() if k in names or k not in mapping}
        if is_rollouts(list(names.values())):
            outputs.append(record)
            lines.append(line)
        else:
            _add_metrics(path, line, record, rows, problems)
    if outputs:
        return _jsonl_rollouts(path, outputs, lines, problems)
    return finish(path, rows.frame(), problems, kind="metrics")


def _add_metrics(path: Path, line: int, record: dict, rows: MetricRows, problems: list[Problem]) -> None:
    key = _step_key(record)
    try:
        step = integer(record.get(key), "step")
    except BadRecord as exc:
        problems.append(Problem(str(path), line, f"no usable step ({exc})"))
        return
    if step < 0:
        problems.append(Problem(str(path), line, f"step {step} out of range"))
        return
    values = ((k, json_number(v)) for k, v in record.items() if k != key)
    rows.add(step, ((k, v) for k, v in values if v is not None))


def _jsonl_rollouts(path: Path, records: list[dict], lines: list[int], problems: list[Problem]) -> Table:
    """Rollout rows from renamed JSON objects: canonical fields as JSON text, the rest as ``extra``."""
    cells = {name: [_cell(r.get(name)) for r in records] for name in ROLLOUT_FIELDS}
    extra = [extra_json({k: v for k, v in r.items() if k not in ROLLOUT_FIELDS}) for r in records]
    table = rollout_table(path, pl.DataFrame(cells, schema=dict.fromkeys(cells, pl.Utf8)), lines, extra)
    return Table(table.kind, table.frame, problems + table.problems)


def _cell(value) -> str | None:
    """A JSON value as cell text: numbers and booleans as JSON, lists and objects as text."""
    if value is None or isinstance(value, str):
        return value
    return as_text(value) if isinstance(value, (list, dict)) else json.dumps(value)
