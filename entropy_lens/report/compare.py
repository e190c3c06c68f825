"""``render_compare_html``: two diagnosed runs side by side in one self-contained HTML page.

The figures are the phase report's own (``timeline_svg``, ``degeneracy_svg``) drawn once per run on
a shared step range; their element ids get the side's prefix (``a-``, ``b-``) so both fit one page.
The sentences are ``comparison.json``'s, the tables its numbers; nothing here computes a new claim.
"""

from __future__ import annotations

import re

import polars as pl
from markupsafe import Markup

from entropy_lens.report import sections
from entropy_lens.report.figures import PHASE_COLOURS, degeneracy_svg, timeline_svg
from entropy_lens.report.html import _ENV

_IDS = re.compile(r'(id="|#)(timeline|degeneracy)-')


def _prefixed(svg: str | None, side: str) -> Markup | None:
    """The figure with its ids (and references to them) prefixed by the side."""
    return Markup(_IDS.sub(rf"\g<1>{side}-\g<2>-", svg)) if svg else None


def _steps(metrics: pl.DataFrame) -> list:
    steps = metrics["step"].drop_nulls() if "step" in metrics.columns else pl.Series([], dtype=pl.Int64)
    return [steps.min(), steps.max()] if len(steps) else []


def _figures(diagnosis: dict, metrics: pl.DataFrame, side: str, xlim) -> dict:
    phases = sections.phases_of(diagnosis)
    scan = sections.as_dict(diagnosis.get("scan"))
    per_step = sections.rows(scan.get("per_step"))
    detectors = sections.detectors_of(scan, sections.persistence_rows(diagnosis))
    return {
        "timeline": _prefixed(timeline_svg(metrics, phases, xlim), side),
        "degeneracy": _prefixed(
            degeneracy_svg(per_step, sections.share_columns(per_step, detectors), phases, xlim), side
        ),
    }


def _xlim(diagnoses: list[dict], metrics: list[pl.DataFrame]) -> tuple[float, float] | None:
    """One step range covering both runs, so the two columns share an x axis."""
    ranges = [
        sections.step_range(
            _steps(m), sections.phases_of(d), sections.rows(sections.as_dict(d.get("scan")).get("per_step"))
        )
        for d, m in zip(diagnoses, metrics, strict=True)
    ]
    ranges = [r for r in ranges if r]
    return (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None


def render_compare_html(comparison: dict, diagnoses: list[dict], metrics: list[pl.DataFrame]) -> str:
    """The comparison page.

    Args:
        comparison: ``Comparison.to_dict()`` (``runs``, ``sentences``, ``notes``).
        diagnoses: the two ``diagnosis.json`` objects, A then B.
        metrics: the two runs' canonical ``metrics`` tables, A then B.
    """
    xlim = _xlim(diagnoses, metrics)
    runs = comparison["runs"]
    detectors = sorted({d for run in runs if run["degenerate"] for d in run["degenerate"]["rates"]})
    context = {
        "runs": runs,
        "sentences": comparison["sentences"],
        "notes": comparison["notes"],
        "detectors": detectors,
        "figures": [_figures(d, m, side, xlim) for d, m, side in zip(diagnoses, metrics, "ab", strict=True)],
        "phase_colours": PHASE_COLOURS,
    }
    return _ENV.get_template("compare.html.j2").render(context)
