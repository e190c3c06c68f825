"""The detector contract and the registry of detectors by name.

A detector is a class with a ``name``, its settings in ``__init__``, and
``detect(rollouts) -> findings``: one row per policy output, in input order, with the columns of
``FINDINGS_SCHEMA``. ``rollouts`` follows ``schema.ROLLOUTS_SCHEMA`` (or is already a
``view.policy_view`` of it). Spans are character offsets into the output's ``response``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import polars as pl

#: What ``detect`` returns, one row per output.
FINDINGS_SCHEMA: dict[str, pl.DataType] = {
    "sample_id": pl.Utf8,
    "flagged": pl.Boolean,
    "score": pl.Float64,
    "evidence": pl.Utf8,
    "span_start": pl.Int64,
    "span_end": pl.Int64,
}

#: The numeric companions: ``score`` is a value, averaged per step under the companion's name.
NUMERIC = (
    "sentence_dup_rate",
    "seq_rep_4",
    "compression_ratio",
    "repeated_5gram_ratio",
    "repeated_10gram_ratio",
    "clause_repeat_ratio",
)
#: The degenerate patterns proper, the ones with an onset and a persistence verdict: DESIGN §3's,
#: ``hallucination`` (any of the four before it), then SEAL's own flags (``loops``, ``paper_hallucination``).
PATTERNS = (
    "sentence_dup",
    "char_run",
    "fabricated_observation",
    "invalid_action",
    "unsupported_claim",
    "contradictory_rambling",
    "hallucination",
    "local_loop",
    "ramble",
    "paper_hallucination",
)
#: Every detector name, in report order: the patterns, then the numeric companions.
DETECTOR_NAMES: tuple[str, ...] = PATTERNS + NUMERIC
#: The companions with a threshold of their own: ``flagged`` marks the outputs over it, whose
#: per-step share is ``<companion>_flag``.
COMPANION_FLAGS = ("seq_rep_4", "compression_ratio")
#: The detectors ``hallucination`` combines.
HALLUCINATION_PARTS = ("fabricated_observation", "invalid_action", "unsupported_claim", "contradictory_rambling")


class Detector(Protocol):
    """One degenerate pattern (or numeric companion) judged per policy output."""

    name: str

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        """One ``FINDINGS_SCHEMA`` row per output of ``rollouts``, in order."""
        ...


_REGISTRY: dict[str, Callable[[], Detector]] = {}


def register(cls: type) -> type:
    """Class decorator: make ``cls`` (with default settings) available as ``get_detector(cls.name)``."""
    _REGISTRY[cls.name] = cls
    return cls


def get_detector(name: str) -> Detector:
    """A detector with its default settings, by name (one of ``DETECTOR_NAMES``).

    Raises:
        ValueError: unknown name.
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTOR_NAMES)}")
    return _REGISTRY[name]()


def findings(view: pl.DataFrame, flagged: pl.Series | list[bool], score: pl.Series | list[float]) -> pl.DataFrame:
    """A findings table for ``view``'s rows with null evidence and spans (the numeric companions)."""
    return pl.DataFrame(
        {
            "sample_id": view["sample_id"],
            "flagged": pl.Series(flagged, dtype=pl.Boolean),
            "score": pl.Series(score, dtype=pl.Float64),
            "evidence": pl.repeat(None, view.height, dtype=pl.Utf8, eager=True),
            "span_start": pl.repeat(None, view.height, dtype=pl.Int64, eager=True),
            "span_end": pl.repeat(None, view.height, dtype=pl.Int64, eager=True),
        },
        schema=FINDINGS_SCHEMA,
    )


def sparse_findings(view: pl.DataFrame, hits: dict[int, tuple[float, str, tuple[int, int] | None]]) -> pl.DataFrame:
    """Findings where only the rows in ``hits`` (row index → score, evidence, span) are flagged
    (the other rows: unflagged, score 0, null evidence and span)."""
    rows = pl.Series(list(hits), dtype=pl.UInt32)
    found = list(hits.values())
    spans = [span or (None, None) for _, _, span in found]
    table = findings(view, pl.repeat(False, view.height, eager=True), pl.repeat(0.0, view.height, eager=True))
    return table.with_columns(
        table[name].scatter(rows, pl.Series(values, dtype=FINDINGS_SCHEMA[name]))
        for name, values in (
            ("flagged", [True] * len(found)),
            ("score", [value for value, _, _ in found]),
            ("evidence", [text for _, text, _ in found]),
            ("span_start", [start for start, _ in spans]),
            ("span_end", [end for _, end in spans]),
        )
    )


def excerpt(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
