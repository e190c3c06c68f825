"""The report's separation-across-checkpoints part (``templates/separation.html.j2``).

Figures on the same step axis as the phases: separation per checkpoint (hidden-state probe and
the text-only control), the mechanism per step (Cov(log π, A) and ``diff_logps``) under the
recomputed entropy, recomputed against logged entropy; one 2-D projection per checkpoint,
correct against incorrect. Every sentence is built from the ``separation`` section's numbers.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from entropy_lens.report.figures import MARGINS, PHASE_COLOURS, SHADE_ALPHA, TRAIN_COLOUR, VAL_COLOUR, WIDTH
from entropy_lens.report.svg import figure_svg, report_style

CORRECT_COLOUR, INCORRECT_COLOUR = "#009E73", "#CC79A7"  #: Okabe & Ito green and reddish purple


def context(separation: dict | None, phases: dict) -> dict | None:
    """Template context, or None when the diagnosis scored no checkpoint."""
    if not separation or not separation.get("by_checkpoint"):
        return None
    rows = separation["by_checkpoint"]
    every = phases.get("phases") or []
    spans = [p for p in every if p.get("label") in PHASE_COLOURS]
    xlim = (every[0]["start_step"], every[-1]["end_step"]) if every else None
    return {
        "rows": rows,
        "text_control": separation.get("text_control") or {},
        "early_warning": (separation.get("early_warning") or {}).get("sentence"),
        "token_entropy": separation.get("token_entropy"),
        "trend": _trend_svg(rows, separation, spans, xlim),
        "projections": _projection_svg(rows),
    }


def _shade(ax, spans: list[dict]) -> None:
    for phase in spans:
        ax.axvspan(phase["start_step"], phase["end_step"], color=PHASE_COLOURS[phase["label"]], alpha=SHADE_ALPHA, lw=0)


def _xy(rows: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    kept = [(r["step"], r[key]) for r in rows if r.get("step") is not None and r.get(key) is not None]
    if not kept:
        return np.array([]), np.array([])
    return np.array([s for s, _ in kept], float), np.array([v for _, v in kept], float)


def _trend_svg(rows: list[dict], separation: dict, spans: list[dict], xlim: tuple | None) -> str | None:
    """Three panels on the phases' step range (the timeline's axis): separation, mechanism, entropy."""
    steps, probe = _xy(rows, "probe_auroc")
    mechanism = separation.get("mechanism") or []
    logged = separation.get("entropy_vs_logged") or []
    if not len(steps) and not mechanism:
        return None
    with report_style():
        fig = Figure(figsize=(WIDTH, 5.4))
        axes = fig.subplots(3, 1, sharex=True)
        fig.subplots_adjust(left=MARGINS["left"], right=MARGINS["right"], top=0.95, bottom=0.08, hspace=0.45)
        for ax in axes:
            _shade(ax, spans)
        axes[0].plot(steps, probe, "o-", color=TRAIN_COLOUR, label="hidden-state probe AUROC")
        text = (separation.get("text_control") or {}).get("probe_auroc")
        if text is not None:
            axes[0].axhline(text, color=VAL_COLOUR, ls="--", lw=1, label="text-only control (TF-IDF)")
        axes[0].axhline(0.5, color="#999999", lw=0.6)
        axes[0].set_title("Separation per checkpoint (same outputs under each)", loc="left")
        axes[0].legend(loc="lower left", frameon=False, ncol=2)
        m_steps, cov = _xy(mechanism, "logp_advantage_cov")
        d_steps, diff = _xy(mechanism, "diff_logps")
        axes[1].plot(m_steps, cov, ".-", color=TRAIN_COLOUR, label="Cov(log π, A)")
        twin = axes[1].twinx()
        twin.plot(d_steps, diff, ".-", color=VAL_COLOUR, label="diff_logps")
        axes[1].set_title(
            "Mechanism per step: Cov(log π, A) (left) and correct − incorrect summed log-prob (right)", loc="left"
        )
        r_steps, recomputed = _xy(logged, "recomputed_entropy")
        l_steps, logged_values = _xy(logged, "logged_entropy")
        axes[2].plot(r_steps, recomputed, ".-", color=TRAIN_COLOUR, label="recomputed token-mean entropy")
        axes[2].plot(l_steps, logged_values, "-", color="#444444", lw=1, label="logged entropy")
        axes[2].set_title("Entropy: recomputed under the nearest checkpoint vs logged", loc="left")
        axes[2].legend(loc="upper left", frameon=False, ncol=2)
        axes[2].set_xlabel("step")
        if xlim is not None:
            axes[2].set_xlim(*xlim)
        return figure_svg(fig, "separation-trend")


def _projection_svg(rows: list[dict]) -> str | None:
    drawn = [r for r in rows if r.get("projection")]
    if not drawn:
        return None
    columns = min(5, len(drawn))
    lines = -(-len(drawn) // columns)
    with report_style():
        fig = Figure(figsize=(WIDTH, 2.0 * lines))
        axes = np.atleast_1d(fig.subplots(lines, columns, squeeze=False)).ravel()
        for ax, row in zip(axes, drawn):
            p = row["projection"]
            x, y, good = np.array(p["x"]), np.array(p["y"]), np.array(p["correct"], bool)
            ax.scatter(x[~good], y[~good], s=4, color=INCORRECT_COLOUR, lw=0)
            ax.scatter(x[good], y[good], s=4, color=CORRECT_COLOUR, lw=0)
            ax.set_title(f"checkpoint {row['step'] if row['step'] is not None else ''} ({p['method'].upper()})", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        for ax in axes[len(drawn):]:
            ax.set_axis_off()
        fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.03, wspace=0.08, hspace=0.3)
        return figure_svg(fig, "separation-projection")
