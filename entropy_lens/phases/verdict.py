"""The phase verdict: one sentence, with its numbers, that says what the metric did.

Every number is read from the series (medians of ``LEVEL_POINTS`` logged values, so one noisy
point does not set it, but never more than a ``LEVEL_SHARE``-th of the run, so a level stays one
moment of a short run): the level before an eruption ends at its onset, the level at the end is
the run's last points. Examples::

    entropy erupted at step 13 and never came back: 9.6 nats at the end against 1.7 before
    entropy erupted 2 times (steps 7, 72) and came back after the last: 3.4 nats at the end against 1.9 before it
"""

from __future__ import annotations

import numpy as np

from entropy_lens.phases.label import Cycle

LEVEL_POINTS = 5  #: logged points whose median is a level in the verdict
LEVEL_SHARE = 10  #: a level spans at most this fraction (1/LEVEL_SHARE) of the run's points, and at least one
#: how the last eruption stands at the end, by the last phase's label (not ``exploded``: it ended low enough)
ENDINGS = {"decay": "was still coming down", "eruption": "was still rising", "plateau": "stayed up"}


def _unit(metric: str) -> str:
    """`` nats`` for an entropy metric (verl, TRL and the recomputed entropy are in nats), else nothing."""
    return " nats" if "entropy" in metric.lower() else ""


def _window(n: int) -> int:
    """Points in one level of an ``n``-point series: ``LEVEL_POINTS``, at most a ``LEVEL_SHARE``-th of it."""
    return max(1, min(LEVEL_POINTS, n // LEVEL_SHARE))


def _level(values: np.ndarray, end: int) -> float:
    """Median of the ``_window`` values ending at position ``end`` (inclusive)."""
    return float(np.median(values[max(end - _window(len(values)) + 1, 0) : end + 1]))


def _number(value: float) -> str:
    """Two significant digits, at least one decimal below 100: ``9.6``, ``0.41``, ``0.022``, ``120``."""
    return f"{value:.2g}" if abs(value) < 1 else f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def verdict(metric: str, steps: np.ndarray, values: np.ndarray, cycles: list[Cycle], pattern: str, ending: str) -> str:
    """One sentence for ``pattern`` with the onset steps and the levels it rests on.

    Args:
        metric: the series' name (the sentence's subject).
        steps: ``[n]`` logged steps of the cleaned series.
        values: ``[n]`` its values.
        cycles: the eruption cycles, in order.
        pattern: the run pattern (``label.PATTERNS``).
        ending: the label of the last phase (``decay``: the run ended while it was still falling).
    """
    unit, name = _unit(metric), metric.split("/")[-1]
    end = _number(_level(values, len(values) - 1))
    if not cycles:
        start = _number(_level(values, _window(len(values)) - 1))
        if pattern == "collapse":
            return f"{name} collapsed with no eruption: from {start}{unit} at the start to {end}{unit} at the end"
        low, high = (_number(float(v)) for v in np.percentile(values, [1, 99]))
        return f"{name} stayed between {low} and {high}{unit} with no eruption ({start} at the start, {end} at the end)"
    last = cycles[-1]
    before = _number(_level(values, int(np.searchsorted(steps, last.onset_step))))
    onsets = ", ".join(str(c.onset_step) for c in cycles)
    if pattern == "exploded":
        if len(cycles) == 1:
            return (
                f"{name} erupted at step {last.onset_step} and never came back:"
                f" {end}{unit} at the end against {before} before"
            )
        return (
            f"{name} erupted {len(cycles)} times (steps {onsets}) and never came back after the last:"
            f" {end}{unit} at the end against {before} before it"
        )
    back = ENDINGS.get(ending, "came back")
    peak = _number(_level(values, int(np.searchsorted(steps, last.peak_step)) + _window(len(values)) // 2))
    if len(cycles) == 1:
        return (
            f"{name} erupted at step {last.onset_step} to {peak}{unit} at step {last.peak_step} and {back}:"
            f" {end}{unit} at the end against {before} before"
        )
    return (
        f"{name} erupted {len(cycles)} times (steps {onsets}) and {back} after the last:"
        f" {end}{unit} at the end against {before} before it"
    )
