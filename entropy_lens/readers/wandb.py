"""W&B run files (``wandb/{offline-,}run-*/run-<id>.wandb``) → metrics, without the W&B service.

Offline runs keep their history only here (anchors.md §2). The file's framing is unwrapped by
``readers.wandb_datastore``; each record it holds is a ``wandb.proto.wandb_internal_pb2.Record``
(wandb-core 0.31). Only ``history`` (one ``wandb.log`` call: items with ``key`` or ``nested_key``
and a ``value_json``, or a typed value in newer clients) and ``metric`` (``define_metric``) are used.

Rows are labelled with the run id (``run`` column, see ``base.Table``): the ``run`` record's, else
the file name's ``run-<id>.wandb``; a resumed run's second folder has the same id: one run.

Steps: ``_step`` counts ``wandb.log`` calls. Trainers log their own step and declare it with
``define_metric(..., step_metric=...)`` (HF ``WandbCallback``, OpenRLHF: ``train/global_step``);
a key uses its declared step metric, else the first of ``_GLOBAL_STEPS`` the run logged, else
``_step``. A row without that key takes its last logged value (W&B's ``step_sync``). Keys
starting with ``_`` and media objects (tables, images: dicts with ``_type``) are not metrics.
"""

from __future__ import annotations

import fnmatch
import json
import math
from pathlib import Path

import polars as pl

from entropy_lens.errors import InvalidInput, MissingDependency
from entropy_lens.readers.base import Table
from entropy_lens.readers.records import metrics_frame
from entropy_lens.readers.wandb_datastore import has_header, payloads
from entropy_lens.run import Problem

_GLOBAL_STEPS = ("train/global_step", "trainer/global_step", "training/global_step", "global_step")


class WandbRunReader:
    """``run-<id>.wandb`` → ``step, raw_name, value`` rows (nested keys joined with ``.``)."""

    name = "wandb-run"
    kind = "metrics"

    def sniff(self, path: Path) -> bool:
        return path.suffix == ".wandb" and has_header(path)

    def read(self, path: Path) -> Table:
        if not has_header(path):  # before the optional import: a stray file is bad input either way
            raise InvalidInput(path, "not a W&B run file (no ':W&B' header)")
        record_class, decode_error = _proto()
        problems: list[Problem] = []
        history, steps, run_id = [], _StepMetrics(), path.stem.removeprefix("run-")
        for offset, data in payloads(path, problems):
            record = record_class()
            try:
                record.ParseFromString(data)
            except decode_error as exc:
                problems.append(Problem(str(path), None, f"byte {offset}: not a W&B record ({exc})"))
                continue
            kind = record.WhichOneof("record_type")
            if kind == "history":
                history.append(_row(record.history.item))
            elif kind == "metric":
                steps.define(record.metric)
            elif kind == "run" and record.run.run_id:
                run_id = record.run.run_id
        if not history and problems:
            raise InvalidInput(path, f"no readable history ({problems[0].reason})")
        frame = metrics_frame(steps.rows(history, path, problems)).with_columns(pl.lit(run_id, pl.Utf8).alias("run"))
        return Table(self.kind, frame, problems)


class _StepMetrics:
    """Which logged key is the step of each metric key (``define_metric`` and the defaults)."""

    def __init__(self):
        self.exact: dict[str, str] = {}
        self.globs: list[tuple[str, str]] = []

    def define(self, metric) -> None:
        if not metric.step_metric:
            return
        if metric.glob_name:
            self.globs.append((metric.glob_name, metric.step_metric))
        elif metric.name:
            self.exact[metric.name] = metric.step_metric

    def rows(self, history: list[dict], path: Path, problems: list[Problem]) -> list[tuple]:
        """``(step, key, value)`` for every numeric value; values with no step yet are counted."""
        logged = set().union(*history) if history else set()
        default = next((key for key in _GLOBAL_STEPS if key in logged), "_step")
        step_of = {key: self._step_key(key, logged, default) for key in logged}
        step_keys = set(step_of.values())
        last: dict[str, int] = {}
        rows, unplaced = [], 0
        for row in history:
            last.update({k: v for k in step_keys if (v := _step(row.get(k))) is not None})
            for key, value in row.items():
                number = _float(value)
                if key.startswith("_") or key in step_keys or number is None:
                    continue
                step = last.get(step_of[key])
                if step is None:
                    unplaced += 1
                    continue
                rows.append((step, key, number))
        if unplaced:
            problems.append(Problem(str(path), None, f"{unplaced} values logged before their step metric"))
        return rows

    def _step_key(self, key: str, logged: set[str], default: str) -> str:
        """The declared step metric of ``key`` when the run logged it, else ``default``."""
        declared = self.exact.get(key) or next(
            (step for glob, step in self.globs if fnmatch.fnmatchcase(key, glob)), None
        )
        return declared if declared in logged else default


def _row(items) -> dict:
    """One history record as ``{key: value}``; media objects dropped."""
    row = {}
    for item in items:
        key = ".".join(item.nested_key) if item.nested_key else item.key
        row[key] = _value(item)
    media = {k[: -len("._type")] for k in row if k.endswith("._type")}
    return {k: v for k, v in row.items() if not any(k.startswith(m + ".") for m in media)}


def _value(item) -> object:
    try:
        typed = item.WhichOneof("value")
    except ValueError:  # older wandb protos have no typed value, only ``value_json``
        typed = None
    if typed == "none":
        return None
    if typed == "json":
        return _json(item.json)
    return _json(item.value_json) if typed is None else getattr(item, typed)


def _json(text: str) -> object:
    """``value_json`` decoded (W&B writes ``NaN`` and ``Infinity`` bare; integers become floats,
    so a huge one is ±inf rather than an overflow); None when malformed."""
    try:
        return float(text)  # the common case, a plain number, ~5x faster than json.loads
    except ValueError:
        pass
    try:
        return json.loads(text, parse_int=float) if text else None
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        return None


def _float(value: object) -> float | None:
    """A logged number as a float (NaN kept); None for anything else."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _step(value: object) -> int | None:
    """A logged step value as an int64, or None."""
    number = _float(value)
    if number is None or not math.isfinite(number) or not -(2**63) <= number < 2**63:
        return None
    return int(number)


def _proto():
    """W&B's ``Record`` message class and protobuf's ``DecodeError`` (wandb is optional)."""
    try:
        from google.protobuf.message import DecodeError
        from wandb.proto.wandb_internal_pb2 import Record
    except ImportError as exc:
        raise MissingDependency("wandb", "wandb", "Reading W&B run files (.wandb)") from exc
    return Record, DecodeError
