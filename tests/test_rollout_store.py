"""``rollout_store``: rollouts kept in memory or spilled to Parquet read back the same, whole or in batches."""

from __future__ import annotations

import gc

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entropy_lens import read_run
from entropy_lens.detectors import scan, scan_run
from entropy_lens.rollout_store import RolloutStore, Spill, block_groups
from entropy_lens.schema import ROLLOUTS_SCHEMA


def frame(steps: list[int | None], split: str | None = "train", start: int = 0) -> pl.DataFrame:
    rows = [
        {"step": step, "split": split, "sample_id": f"{split}-{start + i:03d}", "response": f"answer {i}"}
        for i, step in enumerate(steps)
    ]
    return pl.DataFrame(rows, schema_overrides={"step": pl.Int64, "split": pl.Utf8})


def stores(pieces: list[pl.DataFrame]) -> tuple[RolloutStore, RolloutStore]:
    """The same pieces kept in memory and spilled to disk."""
    memory, disk = Spill(), Spill(budget_bytes=0)
    return (
        RolloutStore([memory.keep(p) for p in pieces], memory),
        RolloutStore([disk.keep(p) for p in pieces], disk),
    )


PIECES = [
    frame([3, 1, 1, 2], start=0),
    frame([2, 5, None], start=10),
    frame([1, 1, 4], split="val", start=20),
    frame([7], split=None, start=30),
]


def test_spilled_and_in_memory_stores_read_the_same_rows():
    memory, disk = stores(PIECES)
    assert not memory.spilled and disk.spilled
    assert memory.height() == disk.height() == 11
    expected = pl.concat([p for p in PIECES]).sort(["split", "step", "sample_id"], nulls_last=True)
    assert memory.frame().select(expected.columns).equals(expected)
    assert disk.frame().equals(memory.frame())
    assert memory.frame().schema == pl.Schema(ROLLOUTS_SCHEMA)


@pytest.mark.parametrize("batch_rows", [1, 3, 5, 100])
def test_batches_hold_whole_blocks_in_order(batch_rows):
    memory, disk = stores(PIECES)
    for store in (memory, disk):
        batches = list(store.batches(batch_rows))
        assert pl.concat(batches).equals(memory.frame())
        keys = [set(zip(b["split"].to_list(), b["step"].to_list())) for b in batches]
        for i, first in enumerate(keys):  # a (split, step) block never straddles two batches
            assert all(first.isdisjoint(other) for other in keys[i + 1 :])
        assert all(b.height <= max(batch_rows, 2) for b in batches)  # the largest block has 2 rows


def test_rows_of_returns_rows_in_the_order_asked():
    _, disk = stores(PIECES)
    keys = disk.frame().select("split", "step", "sample_id").reverse().head(3)
    rows = disk.rows_of(keys)
    assert rows["sample_id"].to_list() == keys["sample_id"].to_list()
    assert rows["sample_id"].to_list() == ["None-030", "val-022", "val-021"]  # the null split sorts last
    assert rows["response"].to_list() == ["answer 0", "answer 2", "answer 1"]


def test_block_groups():
    assert block_groups([2, 2, 5, 1], 4) == [(0, 1), (2, 2), (3, 3)]
    assert block_groups([], 4) == []
    assert block_groups([9], 4) == [(0, 0)]


def test_spill_folder_is_removed_when_no_store_needs_it():
    spill = Spill(budget_bytes=0)
    store = RolloutStore([spill.keep(PIECES[0])], spill)
    folder = spill.folder
    assert folder is not None and len(list(folder.glob("*.parquet"))) == 1
    del spill, store
    gc.collect()
    assert not folder.exists()


def test_read_run_spills_beyond_the_budget_and_scan_run_streams(demo_run, monkeypatch):
    in_memory = read_run(demo_run)
    monkeypatch.setenv("ENTROPY_LENS_ROLLOUT_MEMORY_MB", "0.5")
    spilled = read_run(demo_run)
    assert spilled.rollout_store.spilled and not in_memory.rollout_store.spilled
    assert spilled.rollouts.equals(in_memory.rollouts)
    streamed, whole = scan_run(spilled, batch_rows=500), scan(in_memory.rollouts)
    key = ["sample_id", "detector"]
    assert streamed.findings.sort(key).equals(whole.findings.sort(key))
    # the same per-step table up to summation order (whole steps are batched either way)
    assert_frame_equal(streamed.per_step.sort("split", "step"), whole.per_step.sort("split", "step"))
    assert streamed.onsets_by_split == whole.onsets_by_split
    assert streamed.to_dict()["flagged"] == whole.to_dict()["flagged"]


def test_analyze_streams_a_spilled_run_into_the_same_tables(demo_run, tmp_path, monkeypatch):
    from entropy_lens import analyze

    monkeypatch.setenv("ENTROPY_LENS_ROLLOUT_MEMORY_MB", "0.5")
    diagnosis, written = analyze(demo_run, tmp_path / "out")
    assert diagnosis.run.rollout_store.spilled
    monkeypatch.delenv("ENTROPY_LENS_ROLLOUT_MEMORY_MB")
    expected = read_run(demo_run).rollouts
    assert pl.read_parquet(written["rollouts"]).equals(expected)
    examples = diagnosis.examples()
    assert examples and all(e["response"] for e in examples)  # texts fetched back from the spilled files
    by_id = dict(zip(expected["sample_id"], expected["response"]))
    assert all(e["response"] == by_id[e["sample_id"]] for e in examples)
