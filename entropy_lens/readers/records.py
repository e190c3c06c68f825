"""Dumped JSON records → rows of the canonical ``rollouts`` table, in bounded batches.

Shared by the rollout readers (rLLM, SkyRL, AReaL, ROLL, verl dumps): typed field access that turns a
missing or mistyped field into ``BadRecord`` (the line is then counted as skipped, not fatal),
the ``extra`` column (the record's remaining fields as JSON), and ``RowBatches``, which turns
rows into a polars frame every ``batch_rows`` rows so that Python objects never pile up for a
whole file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl

from entropy_lens.errors import InvalidInput
from entropy_lens.outputs import jsonable
from entropy_lens.readers.base import Table, json_lines
from entropy_lens.run import Problem
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

#: What reading a damaged Parquet file raises: polars panics (a ``BaseException``) on some pages.
PARQUET_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)

#: Columns of a metric reader's frame (``read_run`` adds ``name`` and ``source``).
#: The largest step the ``Int64`` step columns hold.
MAX_STEP = 2**63 - 1
METRIC_ROW_SCHEMA = {"step": pl.Int64, "raw_name": pl.Utf8, "value": pl.Float64}

#: The columns a reader fills (``source`` is set by ``read_run``; ``admissible_actions`` stays null).
ROW_SCHEMA = {k: v for k, v in ROLLOUTS_SCHEMA.items() if k not in {"source", "admissible_actions"}}


class BadRecord(ValueError):
    """A record lacks a needed field or has one of the wrong type."""


def as_number(value, what: str) -> float | None:
    """``value`` as a float (``None`` stays ``None``); NaN/±inf kept, booleans as 0/1.

    A list of numbers is summed: SkyRL stores per-token rewards as a list whose sum is the
    sequence reward (``get_metrics_from_generator_output``). A numeric string is parsed: rLLM
    writes episodes with ``json.dumps(..., default=str)``, so a numpy integer reward (``np.sum``
    of integer step rewards) arrives as ``"1"``.

    Raises:
        BadRecord: ``value`` is not a number.
    """
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, (bool, int)):
        return float(value)
    if isinstance(value, list) and all(isinstance(v, (bool, int, float)) for v in value):
        return float(math.fsum(value))
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise BadRecord(f"{what} is not a number ({type(value).__name__})")


def number(record: dict, key: str, *, required: bool = False) -> float | None:
    """``record[key]`` as a float (see ``as_number``).

    Raises:
        BadRecord: the field is missing (when ``required``) or not a number.
    """
    if required and record.get(key) is None:
        raise BadRecord(f"field '{key}' is missing")
    return as_number(record.get(key), f"field '{key}'")


def text(record: dict, key: str, *, required: bool = False) -> str | None:
    """``record[key]`` as a string (``None`` when absent and not ``required``).

    Raises:
        BadRecord: the field is missing (when ``required``) or not a string.
    """
    value = record.get(key)
    if value is None:
        if required:
            raise BadRecord(f"field '{key}' is missing")
        return None
    if not isinstance(value, str):
        raise BadRecord(f"field '{key}' is not a string ({type(value).__name__})")
    return value


def integer(value, what: str) -> int:
    """``value`` as an int that fits ``Int64`` (a whole float or a decimal string is accepted).

    Raises:
        BadRecord: ``value`` is not a whole number, or is beyond ``Int64``.
    """
    if isinstance(value, bool):
        raise BadRecord(f"{what} is not an integer (bool)")
    if isinstance(value, int):
        whole = value
    elif isinstance(value, float) and value.is_integer():
        whole = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        whole = int(value)
    else:
        raise BadRecord(f"{what} is not an integer ({value!r:.40})")
    if not -MAX_STEP - 1 <= whole <= MAX_STEP:
        raise BadRecord(f"{what} is beyond the 64-bit integer range ({value!r:.40})")
    return whole


def group_hash(split: str, step: int, prompt: str) -> str:
    """Stable group id of the samples drawn from one prompt at one step (16 hex digits)."""
    return hashlib.sha1(f"{split}\n{step}\n{prompt}".encode()).hexdigest()[:16]


def metric_rows(step: int, values: dict) -> list[tuple[int, str, float]]:
    """``(step, key, value)`` for every numeric entry of one logged metrics dict (NaN kept)."""
    return [
        (step, str(key), float(value))
        for key, value in values.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]


def metrics_frame(rows: list[tuple[int, str, float]]) -> pl.DataFrame:
    """A ``step, raw_name, value`` frame from ``metric_rows`` output."""
    return pl.DataFrame(rows, schema=METRIC_ROW_SCHEMA, orient="row")


def extra_json(fields: dict) -> str | None:
    """The fields no canonical column took, as strict JSON (NaN/±inf → null); ``None`` if empty."""
    if not fields:
        return None
    return json.dumps(jsonable(fields), ensure_ascii=False, allow_nan=False, default=str)


def remaining(record: dict, used: Iterable[str]) -> dict:
    """``record`` without the keys in ``used``."""
    taken = set(used)
    return {k: v for k, v in record.items() if k not in taken}


class RowBatches:
    """Collects row dicts and turns them into a frame every ``batch_rows`` rows."""

    def __init__(self, batch_rows: int = 8192):
        self.batch_rows = batch_rows
        self._rows: list[dict] = []
        self._frames: list[pl.DataFrame] = []

    def add(self, rows: Iterable[dict]) -> None:
        """Append rows (dicts keyed by ``ROW_SCHEMA`` columns; missing keys become null)."""
        self._rows.extend(rows)
        if len(self._rows) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._frames.append(pl.from_dicts(self._rows, schema=ROW_SCHEMA))
            self._rows = []

    def frame(self) -> pl.DataFrame:
        """Every row so far, in ``ROLLOUTS_SCHEMA`` column order."""
        self._flush()
        if not self._frames:
            return conform(pl.DataFrame(schema=ROW_SCHEMA), ROLLOUTS_SCHEMA)
        return conform(pl.concat(self._frames, how="vertical"), ROLLOUTS_SCHEMA)


def finish(path: Path, frame: pl.DataFrame, problems: list[Problem], kind: str = "rollouts") -> Table:
    """Wrap ``frame`` in a ``Table``; a file whose every record was skipped is an error.

    Raises:
        InvalidInput: no row came out of ``path`` although it had records.
    """
    if frame.is_empty() and problems:
        first = problems[0]
        reason = f"nothing usable ({len(problems)} record(s) skipped; first: {first.reason})"
        raise InvalidInput(path, reason, first.line)
    return Table(kind=kind, frame=frame, problems=problems)


def read_jsonl(path: Path, to_rows: Callable[[dict, int], Iterable[dict]]) -> Table:
    """Stream a JSONL rollout dump: ``to_rows(record, line_number)`` → canonical rows.

    Lines that are not JSON objects, or whose record ``to_rows`` rejects with ``BadRecord`` (or
    cannot walk: nested too deeply), are counted in ``Table.problems`` and skipped.

    Raises:
        InvalidInput: no line of ``path`` gave a row although it had lines.
    """
    problems: list[Problem] = []
    batches = RowBatches()
    for line, record in json_lines(path, problems):
        if not isinstance(record, dict):
            problems.append(Problem(str(path), line, f"not a JSON object ({type(record).__name__})"))
            continue
        try:
            batches.add(list(to_rows(record, line)))
        except (BadRecord, RecursionError) as exc:
            problems.append(Problem(str(path), line, reason(exc)))
    return finish(path, batches.frame(), problems)


def reason(exc: Exception) -> str:
    """Why a record was skipped (``BadRecord`` text, or JSON nested deeper than Python recurses)."""
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def load_json(path: Path):
    """The JSON document in ``path`` (a whole-file format such as an rLLM episode).

    Raises:
        InvalidInput: the file is not valid UTF-8 JSON.
    """
    try:
        return json.loads(path.read_bytes())
    except UnicodeDecodeError as exc:
        raise InvalidInput(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(path, f"invalid JSON ({exc.msg})", exc.lineno) from None
    except RecursionError:
        raise InvalidInput(path, "JSON nested too deeply") from None
