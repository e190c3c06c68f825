"""verl's ``file`` logger (``trainer.logger=[..., "file"]``) → ``metrics`` rows.

``FileLogger`` in ``verl/utils/tracking.py`` (volcengine/verl b178a3c) opens
``$VERL_FILE_LOGGER_PATH``, or ``$VERL_FILE_LOGGER_ROOT/<project>/<experiment>.jsonl``, and writes
one line per ``Tracking.log(data, step)``::

    orjson.dumps({"step": step, "data": data}, option=orjson.OPT_SERIALIZE_NUMPY) + b"\\n"

so a line is ``{"step":12,"data":{"actor/entropy":0.431,…}}`` with no spaces, numpy scalars as
plain numbers and NaN / ±inf as ``null`` (orjson cannot write them): ``null`` therefore reads
back as NaN. Newer verl adds top-level fields (``"elapsed_seconds": 5.5``); numeric ones are kept
as metrics under their own name. rLLM's file logger writes the same layout. Non-numeric values
(lists, strings) are not metrics and are skipped silently; a line that is not JSON, or has no
integer ``step`` or no ``data`` object, is a counted problem.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from entropy_lens.readers.base import Table, head, json_lines
from entropy_lens.readers.records import MAX_STEP, finish
from entropy_lens.readers.tabular import MetricRows, json_number
from entropy_lens.run import Problem

#: ``{"step": N,`` then optional scalar fields, then ``"data": {`` (whitespace allowed for rLLM).
_LAYOUT = re.compile(r'^\s*\{\s*"step"\s*:\s*-?\d+\s*,(?:\s*"[^"]*"\s*:\s*[^,{\[]*,)*\s*"data"\s*:\s*\{')


def _metric(value) -> float | None:
    """A logged value as a float: ``null`` (how orjson writes NaN/±inf) is NaN."""
    return math.nan if value is None else json_number(value)


def _record_rows(record: dict) -> list[tuple[str, float]]:
    """``(key, value)`` of the ``data`` object and of the extra top-level numeric fields."""
    extra = {k: v for k, v in record.items() if k not in ("step", "data") and json_number(v) is not None}
    items = [(str(k), _metric(v)) for k, v in {**extra, **record["data"]}.items()]
    return [(k, v) for k, v in items if v is not None]


def _layout_problem(record) -> str | None:
    if not isinstance(record, dict):
        return f"not a JSON object ({type(record).__name__})"
    step = record.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= MAX_STEP:
        return "no integer 'step' (0 ≤ step < 2**63)"
    if not isinstance(record.get("data"), dict):
        return "no 'data' object"
    return None


class VerlFileLoggerReader:
    """verl / rLLM ``file``-logger JSONL: ``{"step": N, "data": {...}}`` per line."""

    name = "verl-file-logger"
    kind = "metrics"

    def sniff(self, path: Path) -> bool:
        return bool(_LAYOUT.match(head(path, 512)))

    def read(self, path: Path) -> Table:
        problems: list[Problem] = []
        rows = MetricRows()
        for line, record in json_lines(path, problems):
            reason = _layout_problem(record)
            if reason:
                problems.append(Problem(str(path), line, reason))
                continue
            rows.add(record["step"], _record_rows(record))
        return finish(path, rows.frame(), problems, kind="metrics")
