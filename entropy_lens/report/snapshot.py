"""The degeneracy figure of a run dumped at one step only: a bar per detector, not a time axis.

A line over one step draws nothing (and an axis of fractional steps); one bar per detector and
split, labelled with its share and count, says what the dump holds.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from entropy_lens.report.figures import PERCENT, TRAIN_COLOUR, VAL_COLOUR, WIDTH
from entropy_lens.report.series import rates
from entropy_lens.report.svg import figure_svg, report_style
from entropy_lens.schema import SPLITS

BAR_HEIGHT = 0.32  #: inches per detector row


def single_step(per_step: list[dict]) -> int | None:
    """The one step every ``per_step`` row is at, else None."""
    steps = {row.get("step") for row in per_step}
    return steps.pop() if len(steps) == 1 and None not in steps else None


def snapshot_svg(per_step: list[dict], columns: dict[str, str]) -> str | None:
    """Share of outputs flagged per detector that fired, as horizontal bars (train, val).

    Args:
        per_step: ``scan.per_step`` rows, all at one step.
        columns: detector → its flag-share column, in display order.

    Returns:
        the SVG fragment, or None when no detector flagged any output.
    """
    shares = {(split, d): rates(per_step, split, column)[1] for split in SPLITS for d, column in columns.items()}
    fired = [d for d in columns if any(np.any(shares[split, d] > 0) for split in SPLITS)]
    if not fired:
        return None
    splits = [split for split in SPLITS if any(len(shares[split, d]) for d in fired)]
    sizes = {row.get("split") or "train": row.get("n") for row in per_step}
    with report_style():
        fig = Figure(figsize=(WIDTH, 0.9 + BAR_HEIGHT * len(fired) * len(splits)))
        ax = fig.subplots()
        fig.subplots_adjust(left=0.2, right=0.9, top=0.92, bottom=0.5 / fig.get_figheight() + 0.1)
        positions = np.arange(len(fired))
        width = 0.8 / len(splits)
        for k, split in enumerate(splits):
            values = [float(shares[split, d][0]) if len(shares[split, d]) else 0.0 for d in fired]
            at = positions + (k - (len(splits) - 1) / 2) * width
            colour = TRAIN_COLOUR if split == "train" else VAL_COLOUR
            bars = ax.barh(at, values, height=width * 0.9, color=colour, label=split)
            total = sizes.get(split)
            labels = [f"{v:.1%}" + (f" ({round(v * total)} of {total})" if total else "") for v in values]
            ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
        ax.set_yticks(positions, fired, fontsize=8.5)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(PERCENT)
        ax.set_xlim(0, max(float(np.max(shares[s, d])) for s in splits for d in fired if len(shares[s, d])) * 1.35)
        ax.set_xlabel(f"share of the step's outputs flagged (step {single_step(per_step)})", fontsize=8.5)
        ax.tick_params(labelsize=8)
        if len(splits) > 1:
            ax.legend(fontsize=8, frameon=False, loc="lower right")
        return figure_svg(fig, "degeneracy")
