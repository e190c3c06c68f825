"""``Run``: the canonical tables of one training run, plus where each row came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from entropy_lens.errors import MissingMetric
from entropy_lens.rollout_store import RolloutStore
from entropy_lens.schema import CHECKPOINTS_SCHEMA, METRICS_SCHEMA, empty


@dataclass(frozen=True)
class SourceFile:
    """One input file (or checkpoint folder) a reader used."""

    path: str  #: relative to the run directory
    reader: str  #: reader name, e.g. ``verl-console``
    kind: str  #: ``metrics`` | ``rollouts`` | ``checkpoints``
    rows: int  #: rows it contributed
    skipped: int = 0  #: lines that could not be parsed and were skipped


@dataclass(frozen=True)
class Problem:
    """A line or file that was skipped, with the reason (shown as a warning with counts)."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass
class Run:
    """Everything read from one run directory, in the canonical tables of ``schema``.

    Rollouts may not fit in memory: ``rollouts`` reads them all, ``rollouts_lazy`` lets a caller
    select and filter first, and ``rollout_batches`` streams them (``rollout_store``).
    """

    path: Path
    metrics: pl.DataFrame = field(default_factory=lambda: empty(METRICS_SCHEMA))
    rollout_store: RolloutStore = field(default_factory=RolloutStore)
    checkpoints: pl.DataFrame = field(default_factory=lambda: empty(CHECKPOINTS_SCHEMA))
    sources: list[SourceFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: which run of a folder that holds several (``read_runs``); ``None`` when it holds one
    name: str | None = None
    #: informational remarks about the input (re-logged steps after a restart, …), not parse problems
    notes: list[str] = field(default_factory=list)

    @property
    def source_format(self) -> str:
        """The reader family that produced the run, e.g. ``verl`` (``+``-joined when mixed)."""
        families = sorted({s.reader.split("-")[0] for s in self.sources})
        return "+".join(families) if families else "unknown"

    @property
    def rollouts(self) -> pl.DataFrame:
        """Every rollout row (``schema.ROLLOUTS_SCHEMA``) in memory, sorted by split, step, sample_id."""
        return self.rollout_store.frame()

    @property
    def rollouts_lazy(self) -> pl.LazyFrame:
        """Every rollout row as a lazy table, unordered: select and filter before collecting."""
        return self.rollout_store.lazy()

    @property
    def n_rollouts(self) -> int:
        return self.rollout_store.height()

    def rollouts_of(self, keys: pl.DataFrame) -> pl.DataFrame:
        """The rollout rows named by ``keys`` (``split, step, sample_id``), in that order."""
        return self.rollout_store.rows_of(keys)

    def rollout_batches(self, batch_rows: int = 8192) -> Iterator[pl.DataFrame]:
        """Sorted batches of whole (split, step) blocks, about ``batch_rows`` rows each."""
        return self.rollout_store.batches(batch_rows)

    def to_pandas(self) -> dict:
        """The canonical tables as pandas DataFrames: ``metrics``, ``rollouts``, ``checkpoints``
        (the rollouts are read into memory whole)."""
        tables = {"metrics": self.metrics, "rollouts": self.rollouts, "checkpoints": self.checkpoints}
        return {name: table.to_pandas() for name, table in tables.items()}

    @property
    def metric_names(self) -> list[str]:
        return sorted(self.metrics["name"].unique().to_list())

    def series(self, name: str) -> pl.DataFrame:
        """``step, value`` of one metric (canonical or raw name), sorted by step.

        Raises:
            MissingMetric: the metric never appears in the run.
        """
        rows = self.metrics.filter((pl.col("name") == name) | (pl.col("raw_name") == name))
        if rows.is_empty():
            raise MissingMetric(name, self.path, self.metric_names)
        return rows.select("step", "value").sort("step")
