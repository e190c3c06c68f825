"""Where a run's rollouts live: in memory while they are small, in Parquet files beyond a budget.

A rollout dump can be larger than memory (2 GB of multi-turn agent text is ordinary), so readers
hand each file's rows to a ``Spill`` as they read it: the rows stay in memory until the read has
kept ``budget_bytes`` of them, and later ones are written to a temporary Parquet file (sorted,
small row groups with statistics) and kept as a lazy scan. A ``RolloutStore`` is a run's list of
such pieces. Analyses that must see every output (the degeneracy scan) take ``batches``: whole
``(split, step)`` blocks, read back a few thousand rows at a time, so their memory is bounded by
the batch, not the run (DESIGN §5). The temporary folder is deleted when no store needs it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

#: Order of ``RolloutStore.frame`` and of the rows inside each batch.
SORT_KEYS = ["split", "step", "sample_id"]
#: The blocks a batch never splits (GRPO groups and trajectories live inside one).
BLOCK_KEYS = ["split", "step"]
#: Rollout bytes a read keeps in memory before spilling (``ENTROPY_LENS_ROLLOUT_MEMORY_MB`` overrides).
DEFAULT_BUDGET_MB = 128
#: Rows per Parquet row group of a spilled file (its step statistics let batch reads skip groups).
_ROW_GROUP = 2048


def default_budget() -> int:
    """The in-memory budget in bytes: ``ENTROPY_LENS_ROLLOUT_MEMORY_MB`` or ``DEFAULT_BUDGET_MB``."""
    return int(float(os.environ.get("ENTROPY_LENS_ROLLOUT_MEMORY_MB", DEFAULT_BUDGET_MB)) * 2**20)


class Spill:
    """Keeps rollout tables in memory up to ``budget_bytes``, then in Parquet files of a temp folder."""

    def __init__(self, budget_bytes: int | None = None):
        self.budget = default_budget() if budget_bytes is None else budget_bytes
        self.kept = 0
        self.folder: Path | None = None
        self._files = 0

    def keep(self, frame: pl.DataFrame) -> pl.LazyFrame:
        """``frame`` (canonical rollouts), conformed and sorted, as a lazy table in memory or on disk."""
        frame = conform(frame, ROLLOUTS_SCHEMA).select(list(ROLLOUTS_SCHEMA))
        frame = frame.sort(SORT_KEYS, nulls_last=True, maintain_order=True)
        size = frame.estimated_size()
        if self.kept + size <= self.budget:
            self.kept += size
            return frame.lazy()
        path = self._next_path()
        frame.write_parquet(path, row_group_size=_ROW_GROUP, statistics=True)
        return pl.scan_parquet(path)

    def _next_path(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="entropy-lens-rollouts-"))
            weakref.finalize(self, shutil.rmtree, self.folder, True)
        self._files += 1
        return self.folder / f"{self._files:06d}.parquet"


class RolloutStore:
    """One run's rollouts: lazy pieces (in memory or spilled), read whole or in batches."""

    def __init__(self, pieces: list[pl.LazyFrame] | None = None, spill: Spill | None = None):
        self._pieces = list(pieces or [])
        self._spill = spill  # holds the temporary folder of spilled pieces alive
        self._frame: pl.DataFrame | None = None

    @property
    def spilled(self) -> bool:
        """Whether some rows live on disk (then ``frame`` reads them all back)."""
        return self._spill is not None and self._spill.folder is not None

    def lazy(self) -> pl.LazyFrame:
        """Every row, unordered, as one lazy table (select and filter before collecting)."""
        if self._frame is not None:
            return self._frame.lazy()
        if not self._pieces:
            return pl.LazyFrame(schema=ROLLOUTS_SCHEMA)
        return pl.concat(self._pieces, how="vertical")

    def frame(self) -> pl.DataFrame:
        """Every row in memory, sorted by ``SORT_KEYS`` (cached unless some rows are spilled)."""
        if self._frame is not None:
            return self._frame
        frame = self.lazy().sort(SORT_KEYS, nulls_last=True, maintain_order=True).collect()
        if not self.spilled:
            self._frame, self._pieces = frame, []
        return frame

    def height(self) -> int:
        """Number of rows (read from Parquet metadata for spilled pieces)."""
        if self._frame is not None:
            return self._frame.height
        return int(self.lazy().select(pl.len()).collect().item())

    def rows_of(self, keys: pl.DataFrame) -> pl.DataFrame:
        """The rows named by ``keys`` (``split, step, sample_id``), in the order of ``keys``."""
        wanted = self.lazy().filter(pl.col("sample_id").is_in(keys["sample_id"].unique().to_list())).collect()
        return keys.select(SORT_KEYS).join(wanted, on=SORT_KEYS, how="inner", nulls_equal=True, maintain_order="left")

    def blocks(self) -> pl.DataFrame:
        """``split, step, n`` of every block, in ``SORT_KEYS`` order."""
        counts = self.lazy().group_by(BLOCK_KEYS).agg(n=pl.len())
        return counts.sort(BLOCK_KEYS, nulls_last=True).collect()

    def batches(self, batch_rows: int = 8192) -> Iterator[pl.DataFrame]:
        """Sorted batches of whole blocks of about ``batch_rows`` rows (one block may be larger)."""
        blocks = self.blocks()
        if not self.spilled:
            yield from block_slices(self.frame(), blocks["n"].to_list(), batch_rows)
            return
        for first, last in block_groups(blocks["n"].to_list(), batch_rows):
            wanted = _block_filter(blocks.slice(first, last - first + 1))
            yield self.lazy().filter(wanted).sort(SORT_KEYS, nulls_last=True, maintain_order=True).collect()


def block_groups(sizes: list[int], batch_rows: int) -> list[tuple[int, int]]:
    """Consecutive blocks grouped to about ``batch_rows`` rows: ``(first, last)`` block indices."""
    groups: list[tuple[int, int]] = []
    first = total = 0
    for index, size in enumerate(sizes):
        if total and total + size > batch_rows:
            groups.append((first, index - 1))
            first, total = index, 0
        total += size
    if total:
        groups.append((first, len(sizes) - 1))
    return groups


def block_slices(frame: pl.DataFrame, sizes: list[int], batch_rows: int) -> Iterator[pl.DataFrame]:
    """Slices of ``frame`` (blocks of ``sizes`` rows, in order) grouped by ``block_groups``."""
    start = 0
    for first, last in block_groups(sizes, batch_rows):
        size = sum(sizes[first : last + 1])
        yield frame.slice(start, size)
        start += size


def _block_filter(blocks: pl.DataFrame) -> pl.Expr:
    """Rows of these consecutive blocks: per split a step range (literal bounds, so Parquet
    statistics can skip row groups), or the null step."""
    wanted = pl.lit(False)
    for (split,), rows in blocks.group_by("split", maintain_order=True):
        steps = rows["step"].drop_nulls()
        in_split = pl.col("split").eq_missing(pl.lit(split, pl.Utf8))
        step = pl.col("step").is_between(steps.min(), steps.max()) if steps.len() else pl.lit(False)
        if rows["step"].null_count():
            step = step | pl.col("step").is_null()
        wanted = wanted | (in_split & step)
    return wanted
