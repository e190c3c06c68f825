"""Each rank's part of a recompute output, and rank 0's merge of the parts.

A rank scores its shard into ``DIR/.recompute-parts/rank-<r>/``: ``tokens.parquet`` (one row group
per sequence, in scoring order), ``samples.parquet`` (per-sample counts and means), ``pooled.npy``
([n, k, H], the rows of ``samples.parquet``) and, last, ``done.json``, holding a random ``nonce``
that the rank also sends to rank 0 (``shards.agree``). Rank 0 reads every part whose ``done.json``
carries the nonce it was sent: a part that is missing or stale means the ranks do not share
``DIR`` (a folder on one node's local disk), and is reported as such. One process is the same
with one part, so one process and N processes write their outputs through the same merge.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from entropy_lens.errors import RankFailed
from entropy_lens.outputs import write_atomically
from entropy_lens.progress import track
from entropy_lens.recompute.tokens import TokenWriter
from entropy_lens.schema import TOKENS_SCHEMA

#: The folder inside ``--out`` that holds the parts while ranks score; removed after the merge.
PARTS = ".recompute-parts"

SAMPLE_COLUMNS = {"sample_id": pl.Utf8, "n_tokens": pl.Int64, "n_policy": pl.Int64,
                  "mean_entropy": pl.Float64, "mean_logprob": pl.Float64, "sum_logprob": pl.Float64}
_TOKENS = pl.DataFrame(schema=TOKENS_SCHEMA).to_arrow().schema


def part_folder(out: Path, rank: int) -> Path:
    """Where rank ``rank`` writes its part."""
    return out / PARTS / f"rank-{rank}"


def write_part(folder: Path, scored: Iterable, total: int, row: Callable, n_layers: int) -> dict:
    """Stream ``scored`` sequences into the part ``folder``; returns the record sent to rank 0."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows, pooled = [], []
    with TokenWriter(folder / "tokens.parquet") as writer, track("Scoring outputs", total=total) as advance:
        for item in scored:
            writer.write(item)
            rows.append(row(item))
            pooled.append(item.pooled)
            advance()
    pl.DataFrame(rows, schema=SAMPLE_COLUMNS).write_parquet(folder / "samples.parquet")
    np.save(folder / "pooled.npy", np.stack(pooled) if pooled else np.zeros((0, n_layers, 0), np.float32))
    record = {"nonce": uuid.uuid4().hex, "n_samples": len(rows)}
    (folder / "done.json").write_text(json.dumps(record))
    return record


def read_parts(out: Path, records: list[dict]) -> tuple[pl.DataFrame, dict[str, np.ndarray], dict]:
    """Per-sample rows, pooled states by sample id, and where each sample's tokens lie, over all parts.

    Raises:
        RankFailed: a rank's part is missing or stale: ``out`` is not shared by every rank.
    """
    tables, pooled, sources = [], {}, {}
    for record in records:
        folder = part_folder(out, record["rank"])
        _check_done(out, folder, record)
        table = pl.read_parquet(folder / "samples.parquet")
        states = np.load(folder / "pooled.npy")
        pooled.update(zip(table["sample_id"].to_list(), states))
        sources.update(_row_groups(folder / "tokens.parquet", table))
        tables.append(table)
    return pl.concat(tables), pooled, sources


def merge_tokens(path: Path, sources: dict, ids: list[str]) -> None:
    """Write ``path`` from the parts' row groups, sample by sample in the order of ``ids`` (atomically)."""

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(str(tmp), _TOKENS) as writer:
            for sample_id in ids:
                file, groups = sources[sample_id]
                writer.write_table(file.read_row_groups(groups))

    write_atomically(path, write)


def _check_done(out: Path, folder: Path, record: dict) -> None:
    try:
        done = json.loads((folder / "done.json").read_text())
    except (OSError, ValueError):
        done = None
    if done != {"nonce": record["nonce"], "n_samples": record["n_samples"]}:
        state = "is missing" if done is None else "is stale (from another run)"
        raise RankFailed(out, f"rank {record['rank']} (host {record['host']}) wrote its part, but here {folder} "
                         f"{state}: --out must be one folder every node sees (a shared filesystem such as NFS "
                         "or Lustre), not a path on each node's local disk; the outputs were not written")


def _row_groups(path: Path, table: pl.DataFrame) -> dict:
    """``{sample_id: (file, [row group, …])}``: each sample's tokens were written as whole row groups."""
    file = pq.ParquetFile(path)
    sizes = [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)]
    found, group = {}, 0
    for sample_id, n_tokens in zip(table["sample_id"].to_list(), table["n_tokens"].to_list()):
        taken, rows = [], 0
        while rows < n_tokens and group < len(sizes):
            taken.append(group)
            rows += sizes[group]
            group += 1
        if rows != n_tokens:
            raise RankFailed(path, f"{sample_id}: {rows} token rows in the part, not {n_tokens}")
        found[sample_id] = (file, taken)
    return found
