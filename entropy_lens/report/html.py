"""``render_html``: ``diagnosis.json`` + the metrics table + flagged outputs → one HTML document.

The document is self-contained: CSS inline, figures inline SVG, no script, no font, no link to
anything; a Content-Security-Policy forbids loading or running anything, as a second guard.
Jinja2 autoescapes every value; only the figures, which matplotlib drew from numbers and fixed
labels, are inserted as markup.
"""

from __future__ import annotations

import numbers

import numpy as np
import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from entropy_lens.persistence import FINAL_DUMPS, MIN_GAP, MIN_Z
from entropy_lens.report import examples as flagged
from entropy_lens.report import sections, separation_section, token_colours
from entropy_lens.report.figures import PHASE_COLOURS, degeneracy_svg, logged_cosignals, phase_labels, timeline_svg
from entropy_lens.report.series import is_number, series, whole
from entropy_lens.report.snapshot import single_step, snapshot_svg


def number(value, digits: int = 3) -> str:
    """A table cell: yes/no, ints as they are, floats to ``digits`` significant digits, else a dash."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if not is_number(value):
        return "—"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:#.{digits}g}".rstrip(".")  # '#': 1.00, not 1


def signed(value, digits: int = 3) -> str:
    """``number`` with an explicit sign (``+0.31``, ``−6``)."""
    if not is_number(value):
        return number(value, digits)
    text = number(value, digits)
    return ("+" + text) if value > 0 else text.replace("-", "−")


def percent(value, sign: bool = False) -> str:
    """A share (0..1) as a percentage (``+`` on gains when ``sign``), or a dash."""
    if not is_number(value):
        return "—"
    digits = 0 if sign and abs(value) >= 0.1 else 1
    text = f"{100 * value:+.{digits}f}%" if sign else f"{100 * value:.{digits}f}%"
    return text.replace("-", "−")


_ENV = Environment(
    loader=PackageLoader("entropy_lens.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(number=number, signed=signed, percent=percent)


def _figure(svg: str | None) -> Markup | None:
    return Markup(svg) if svg else None


def _onsets(found: list[dict]) -> dict[str, int]:
    return {f["detector"]: f["onset_step"] for f in found if f["onset_step"] is not None}


def render_html(diagnosis: dict, metrics: pl.DataFrame, examples: list[dict]) -> str:
    """The phase report of one diagnosed run, as one self-contained HTML document.

    Args:
        diagnosis: the object written to ``diagnosis.json``; any key may be missing or null.
        metrics: the run's canonical ``metrics`` table (``schema.METRICS_SCHEMA``).
        examples: flagged outputs ``{sample_id, step, split, detector, response, evidence,
            span_start, span_end}`` (character offsets of the evidence; may be null), optionally
            ``tokens`` (``recompute.example_tokens``) and ``tokens_under`` (the checkpoint).

    Returns:
        the HTML text (UTF-8 when written).
    """
    diagnosis = sections.as_dict(diagnosis)
    metrics = metrics if isinstance(metrics, pl.DataFrame) else pl.DataFrame()
    phases = sections.phases_of(diagnosis)
    scan = sections.as_dict(diagnosis.get("scan"))
    per_step = sections.rows(scan.get("per_step"))
    persistence = sections.persistence_rows(diagnosis)
    detectors = sections.detectors_of(scan, persistence)
    found = sections.pattern_summary(scan, sections.rows(diagnosis.get("persistence")))
    steps = metrics["step"].drop_nulls() if "step" in metrics.columns else pl.Series([], dtype=pl.Int64)
    xlim = sections.step_range([steps.min(), steps.max()] if len(steps) else [], phases, per_step)
    shares = sections.share_columns(per_step, detectors)
    if single_step(per_step) is not None:
        degeneracy = snapshot_svg(per_step, shares)
    else:
        degeneracy = degeneracy_svg(per_step, shares, phases, xlim, onsets=_onsets(found))
    cosignals = logged_cosignals(metrics, phases.get("metric") or "entropy")
    shown = flagged.grouped(examples if isinstance(examples, list) else [], detectors)
    context = {
        "cosignal_panels": len(cosignals),
        "cosignal_val": any(len(series(metrics, f"val/{name}")[0]) for name in cosignals),
        "rates_val": any(row.get("split") == "val" for row in per_step),
        "header": sections.header(diagnosis, phases),
        "phases": phases,
        "found": found,
        "scanned": bool(scan),
        "n_outputs": whole(scan.get("n_outputs")),
        "persistence": persistence,
        "cosignals": sections.cosignal_rows(diagnosis),
        "separation": sections.separation_of(diagnosis),
        "separation_extras": separation_section.context(diagnosis.get("separation"), phases),
        "recommendation": sections.as_dict(diagnosis.get("recommendation")),
        "timeline": _figure(timeline_svg(metrics, phases, xlim)),
        "degeneracy": _figure(degeneracy),
        "single_step": single_step(per_step),
        "companions": sections.companions(scan),
        "never_flagged": sections.never_flagged(diagnosis),
        "examples": shown,
        "token_scale": token_colours.colour_examples(shown, bool(sections.as_dict(diagnosis.get("separation")))),
        "token_palette": token_colours.PALETTE,
        "light_text_from": token_colours.LIGHT_TEXT_FROM,
        "provenance": sections.provenance(diagnosis),
        "phase_colours": PHASE_COLOURS,
        "final_dumps": FINAL_DUMPS,
        "min_gap_points": round(100 * MIN_GAP),
        "min_z": MIN_Z,
        "phase_labels": phase_labels(phases.get("phases", [])),
    }
    return _ENV.get_template("report.html.j2").render(context)
