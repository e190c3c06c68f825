"""The report's two figures, drawn on one step axis with the same phase shading.

* ``timeline_svg``: the segmented metric (entropy) with phases shaded, change points and cycle
  peaks marked; below it one small panel per co-signal the run logs.
* ``degeneracy_svg``: per-step rates of every detector that flagged anything, train and val in
  separate panels.

Both figures have the same width and margins, so their step axes line up on the page. Phase
colours are Paul Tol's colour-blind-safe "bright" scheme, line colours Okabe & Ito's
(https://personal.sron.nl/~pault/, https://jfly.uni-koeln.de/color/).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from entropy_lens.report.sections import SHARES
from entropy_lens.report.series import envelope, rates, series
from entropy_lens.report.svg import figure_svg, report_style
from entropy_lens.schema import SPLITS

#: phase label → shading colour (Tol bright: red, yellow, purple for a plateau that never came down, cyan)
PHASE_COLOURS = {"eruption": "#EE6677", "decay": "#CCBB44", "plateau": "#AA3377", "recovery": "#66CCEE"}
SHADE_ALPHA = 0.25
#: training lines and validation dots (Okabe & Ito blue and vermillion)
TRAIN_COLOUR, VAL_COLOUR = "#0072B2", "#D55E00"
#: co-signals drawn under the main series, top to bottom, with their panel titles
COSIGNAL_TITLES = {
    "reward": "reward",
    "reward_std": "reward std",
    "response_length": "response length",
    "truncation": "truncation rate",
    "grad_norm": "grad norm",
    "kl": "KL",
    "success": "success rate",
    "num_turns": "turns",
}
WIDTH = 10.0  #: inches, every figure
MARGINS = {"left": 0.075, "right": 0.985}
MAIN_HEIGHT, PANEL_HEIGHT = 2.6, 0.85  #: inches: main panel, small panels
GAP = 0.28  #: inches between panels, for the panel titles
LEGEND_COLUMNS = 7
#: a share as a percentage with no trailing zeros (``40%``, ``0.5%``); 4 significant digits keep ticks distinct
PERCENT = FuncFormatter(lambda value, _: f"{100 * value:.4g}%")
MARKED = 60  #: lines of at most this many points also mark each point (a dump is one step)


def _spans(phases: list[dict]) -> list[tuple[str, float, float]]:
    """``(label, x0, x1)`` per phase; each reaches the next phase's start so shading is gapless."""
    spans = []
    for i, phase in enumerate(phases):
        end = phases[i + 1]["start_step"] if i + 1 < len(phases) else phase["end_step"]
        spans.append((phase["label"], phase["start_step"], end))
    return spans


def _shade(ax, phases: list[dict]) -> None:
    """Shade every phase; recovery lighter, as the quiet background of the run."""
    for label, x0, x1 in _spans(phases):
        if label in PHASE_COLOURS:
            alpha = SHADE_ALPHA * (0.5 if label == "recovery" else 1.0)
            ax.axvspan(x0, x1, color=PHASE_COLOURS[label], alpha=alpha, lw=0, zorder=0)


def _title(ax, text: str) -> None:
    """Panel name above its top-left corner (never over the data)."""
    ax.set_title(text, loc="left", fontsize=8.5, color="#222222", pad=3)


def _frame(heights: list[float], legend_rows: int) -> tuple[Figure, list]:
    """A figure of panels ``heights`` (inches) tall, sharing the step axis, a title gap above
    each panel and room for ``legend_rows`` rows of legend at the top."""
    top, bottom = 0.08 + 0.2 * legend_rows + GAP, 0.42
    total = sum(heights) + GAP * (len(heights) - 1) + top + bottom
    fig = Figure(figsize=(WIDTH, total))
    hspace = GAP / (sum(heights) / len(heights))
    axes = fig.subplots(
        len(heights), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights, "hspace": hspace}
    )[:, 0]
    fig.subplots_adjust(top=1 - top / total, bottom=bottom / total, **MARGINS)
    for ax in axes:
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
        ax.tick_params(labelsize=8)
        ax.margins(y=0.08)
    axes[-1].set_xlabel("training step", fontsize=8.5)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # steps are whole numbers
    return fig, list(axes)


def _legend_rows(handles: list) -> int:
    return -(-len(handles) // LEGEND_COLUMNS)


def _legend(fig: Figure, handles: list) -> None:
    """One legend across the top of the figure, aligned with the panels' left edge."""
    fig.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(MARGINS["left"], 1.0), ncol=min(len(handles), LEGEND_COLUMNS),
        frameon=False, fontsize=8, handlelength=1.6, columnspacing=1.4, borderaxespad=0.3,
    )


def phase_labels(phases: list[dict]) -> list[str]:
    """The phase labels present in ``phases``, in legend order."""
    return [label for label in PHASE_COLOURS if any(p["label"] == label for p in phases)]


def _phase_handles(phases: list[dict]) -> list:
    return [
        Patch(color=PHASE_COLOURS[label], alpha=SHADE_ALPHA + 0.1, label=label)
        for label in phase_labels(phases)
    ]


def _main_panel(ax, steps, values, metric: str, phases: dict) -> list:
    """Draw the segmented series; returns its legend handles."""
    marker = {"marker": "o", "ms": 2.5} if len(steps) <= MARKED else {}
    ax.plot(*envelope(steps, values), color="#222222", lw=1.1, zorder=3, **marker)
    for step in phases.get("change_points", []):
        ax.axvline(step, color="#555555", ls=(0, (4, 3)), lw=0.8, zorder=2)
    for i, cycle in enumerate(phases.get("cycles", [])):
        at = min(np.searchsorted(steps, cycle["peak_step"]), len(steps) - 1)
        ax.plot(steps[at], values[at], marker="v", ms=7, color="#AA3377", zorder=4, ls="none")
        ax.annotate(
            f"C{i + 1}", (steps[at], values[at]), textcoords="offset points", xytext=(0, 6), ha="center",
            fontsize=8, color="#AA3377", fontweight="bold",
        )
    ax.margins(y=0.14)  # room for the peak labels
    _title(ax, f"{metric} (nats)" if "entropy" in metric else metric)
    handles = [Line2D([], [], color="#222222", lw=1.1, label=metric)] + _phase_handles(
        phases.get("phases", [])
    )
    if phases.get("change_points"):
        handles.append(Line2D([], [], color="#555555", ls=(0, (4, 3)), lw=0.8, label="change point"))
    if phases.get("cycles"):
        handles.append(Line2D([], [], marker="v", ms=6, color="#AA3377", ls="none", label="cycle peak"))
    return handles


def _train_val(ax, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray]) -> None:
    """Training values ``(steps, values)`` as a line, validation values as dots over it."""
    marker = {"marker": "o", "ms": 2.5} if 0 < len(train[0]) <= MARKED else {}
    ax.plot(*envelope(*train), color=TRAIN_COLOUR, lw=0.9, zorder=3, **marker)
    if len(val[0]):
        ax.plot(*envelope(*val), color=VAL_COLOUR, lw=0.8, marker="o", ms=2.5, zorder=3)


def _cosignal_panel(
    ax, name: str, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray]
) -> None:
    """One co-signal, its validation values (``val/<name>``) as dots."""
    _train_val(ax, train, val)
    if name in SHARES:
        ax.yaxis.set_major_formatter(PERCENT)
    _title(ax, COSIGNAL_TITLES.get(name, name) + (" · validation as dots" if len(val[0]) else ""))


def logged_cosignals(metrics: pl.DataFrame, metric: str) -> list[str]:
    """The co-signals (``COSIGNAL_TITLES``) the run logs, other than the segmented ``metric``."""
    return [name for name in COSIGNAL_TITLES if name != metric and len(series(metrics, name)[0])]


def timeline_svg(metrics: pl.DataFrame, phases: dict, xlim: tuple[float, float] | None) -> str | None:
    """The main series with its phases, over aligned co-signal panels; None if nothing to draw.

    Args:
        metrics: canonical ``metrics`` table (``step, name, value``; other columns ignored).
        phases: the ``phases`` object of ``diagnosis.json`` (``metric``, ``phases``,
            ``change_points``, ``cycles``); ``{}`` draws the series without shading.
        xlim: step range shared with the other figure.
    """
    metric = phases.get("metric") or "entropy"
    steps, values = series(metrics, metric)
    cosignals = logged_cosignals(metrics, metric)
    logged = {name: series(metrics, name) for name in cosignals}
    if not len(steps) and not cosignals:
        return None
    heights = ([MAIN_HEIGHT] if len(steps) else []) + [PANEL_HEIGHT] * len(cosignals)
    with report_style():
        fig, axes = _frame(heights, legend_rows=1)  # at most 6 handles
        handles = _phase_handles(phases.get("phases", []))
        if len(steps):
            handles = _main_panel(axes[0], steps, values, metric, phases)
        for ax, name in zip(axes[len(axes) - len(cosignals) :], cosignals):
            _cosignal_panel(ax, name, logged[name], series(metrics, f"val/{name}"))
        for ax in axes:
            _shade(ax, phases.get("phases", []))
        if xlim:
            axes[0].set_xlim(*xlim)
        if handles:
            _legend(fig, handles)
        return figure_svg(fig, "timeline")


def degeneracy_svg(
    per_step: list[dict],
    columns: dict[str, str],
    phases: dict,
    xlim: tuple[float, float] | None,
    onsets: dict[str, int] | None = None,
) -> str | None:
    """Per-step flag rates (share of outputs) of every detector that ever fired, one small panel
    each: training as a line, validation as dots, the onset dotted.

    Args:
        per_step: ``scan.per_step`` rows ``{step, split, n, <column>: share}``.
        columns: detector → its flag-share column in the rows (``sections.share_columns``), in
            panel order.
        phases: the ``phases`` object (for shading); may be ``{}``.
        xlim: step range shared with the timeline.
        onsets: detector → onset step.

    Returns:
        the SVG fragment, or None when no detector flagged any output.
    """
    table = {(split, d): rates(per_step, split, column) for split in SPLITS for d, column in columns.items()}
    fired = [d for d in columns if any(np.any(table[split, d][1] > 0) for split in SPLITS)]
    if not fired:
        return None
    onsets = {d: step for d, step in (onsets or {}).items() if d in fired}
    has_val = any(len(table["val", d][0]) for d in fired)
    handles = [Line2D([], [], color=TRAIN_COLOUR, lw=1.2, label="train")]
    if has_val:
        handles.append(Line2D([], [], color=VAL_COLOUR, lw=0.8, marker="o", ms=3, label="val"))
    handles += _phase_handles(phases.get("phases", []))
    if onsets:
        handles.append(Line2D([], [], color="#222222", ls=":", lw=1.2, label="onset"))
    with report_style():
        fig, axes = _frame([PANEL_HEIGHT] * len(fired), legend_rows=_legend_rows(handles))
        for ax, detector in zip(axes, fired):
            _train_val(ax, table["train", detector], table["val", detector])
            _shade(ax, phases.get("phases", []))
            ax.yaxis.set_major_formatter(PERCENT)
            ax.set_ylim(bottom=0)
            title = detector if columns[detector] == detector else f"{detector} · share over its threshold"
            if detector in onsets:
                ax.axvline(onsets[detector], color="#222222", ls=":", lw=1.2, zorder=2)
                title += f" · onset at step {onsets[detector]}"
            _title(ax, title)
        if xlim:
            axes[0].set_xlim(*xlim)
        _legend(fig, handles)
        return figure_svg(fig, "degeneracy")
