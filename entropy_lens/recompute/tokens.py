"""Streaming ``tokens.parquet``: one row group per scored sequence, memory bounded by the sequence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from entropy_lens.schema import TOKENS_SCHEMA

_ARROW = pl.DataFrame(schema=TOKENS_SCHEMA).to_arrow().schema


class TokenWriter:
    """Append ``Scored`` sequences to a Parquet file (``schema.TOKENS_SCHEMA``)."""

    def __init__(self, path: Path):
        self._writer = pq.ParquetWriter(str(path), _ARROW)

    def write(self, scored) -> None:
        n = len(scored.input_ids)
        policy = scored.is_policy
        table = pa.table(
            {
                "sample_id": pa.array([scored.sample_id] * n, pa.large_string()),
                "position": pa.array(np.arange(n, dtype=np.int64)),
                "token_id": pa.array(scored.input_ids.astype(np.int64)),
                "is_policy": pa.array(policy),
                "entropy": pa.array(scored.entropy.astype(np.float64), mask=~policy),
                "logprob": pa.array(scored.logprob.astype(np.float64), mask=~policy),
            },
            schema=_ARROW,
        )
        self._writer.write_table(table)

    def __enter__(self) -> TokenWriter:
        return self

    def __exit__(self, *exc) -> None:
        self._writer.close()
