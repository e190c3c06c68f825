"""Rollouts tables for the detector tests, built from ``(prompt, response)`` pairs."""

from __future__ import annotations

import polars as pl

from entropy_lens.schema import ROLLOUTS_SCHEMA, conform


def rollouts(rows: list[tuple[str | None, str]], *, turn: int | None = 0) -> pl.DataFrame:
    """Rollouts from ``(prompt, response)`` pairs (``turn`` set: one policy turn per row)."""
    return conform(
        pl.DataFrame(
            {
                "sample_id": [f"s{i}" for i in range(len(rows))],
                "prompt": [p for p, _ in rows],
                "response": [r for _, r in rows],
                "turn": [turn] * len(rows),
            },
            schema_overrides={"turn": pl.Int64},
        ),
        ROLLOUTS_SCHEMA,
    )
