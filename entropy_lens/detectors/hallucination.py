"""``hallucination``: any of ``fabricated_observation``, ``invalid_action``, ``unsupported_claim``,
``contradictory_rambling`` (DESIGN §3), and ``paper_hallucination``: SEAL's own
``combined_hallucination_ratio`` per output, ``unsupported_claim`` read exactly as SEAL does
(``cut_tags=False``) or ``contradictory_rambling`` (``repetition_hallucination.py``).
"""

from __future__ import annotations

import polars as pl

from entropy_lens.detectors.base import FINDINGS_SCHEMA, HALLUCINATION_PARTS, get_detector, register
from entropy_lens.detectors.unsupported_claim import UnsupportedClaim
from entropy_lens.detectors.view import policy_view

#: SEAL's two hallucination detectors.
PAPER_PARTS = ("unsupported_claim", "contradictory_rambling")


@register
class Hallucination:
    """Flagged when any part is; score = number of parts flagged; evidence and span of the first."""

    name = "hallucination"

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = policy_view(rollouts)
        return combine({part: get_detector(part).detect(view) for part in HALLUCINATION_PARTS})


@register
class PaperHallucination:
    """SEAL's hallucination: its fake structured product facts or contradictory rambling."""

    name = "paper_hallucination"

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = policy_view(rollouts)
        return self.from_rambling(view, get_detector("contradictory_rambling").detect(view))

    def from_rambling(self, view: pl.DataFrame, rambling: pl.DataFrame) -> pl.DataFrame:
        """The findings, given ``contradictory_rambling``'s on the same ``view``."""
        claims = UnsupportedClaim(cut_tags=False).detect(view)
        return combine({"unsupported_claim": claims, "contradictory_rambling": rambling}, PAPER_PARTS)


def combine(parts: dict[str, pl.DataFrame], names: tuple[str, ...] = HALLUCINATION_PARTS) -> pl.DataFrame:
    """Merge the ``names`` parts' findings (same rows, same order) into one detector's findings."""
    frames = [parts[name] for name in names]
    wide = pl.concat(
        [frames[0].select("sample_id")]
        + [f.select(pl.all().exclude("sample_id").name.suffix(f"_{i}")) for i, f in enumerate(frames)],
        how="horizontal",
    )
    flags = [pl.col(f"flagged_{i}") for i in range(len(frames))]
    labelled = [pl.format(f"{name}: {{}}", f"evidence_{i}") for i, name in enumerate(names)]
    return wide.select(
        "sample_id",
        flagged=pl.any_horizontal(flags),
        score=pl.sum_horizontal([f.cast(pl.Float64) for f in flags]),
        evidence=_first_flagged(flags, labelled),
        span_start=_first_flagged(flags, [pl.col(f"span_start_{i}") for i in range(len(frames))]),
        span_end=_first_flagged(flags, [pl.col(f"span_end_{i}") for i in range(len(frames))]),
    ).cast(FINDINGS_SCHEMA)


def _first_flagged(flags: list[pl.Expr], values: list[pl.Expr]) -> pl.Expr:
    """The value of the first flagged part (null when none is)."""
    chain = pl.when(flags[0]).then(values[0])
    for flag, value in zip(flags[1:], values[1:]):
        chain = chain.when(flag).then(value)
    return chain.otherwise(None)
