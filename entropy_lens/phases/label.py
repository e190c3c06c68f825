"""Fitted segments → phase labels, eruption cycles and the run-level pattern.

Definitions (DESIGN §3; the paper's names in brackets, arXiv 2605.27954; thresholds in ``rules``):

* ``eruption`` [eruption]: a steep climb of the fitted path (``rises``: one or more rising
  segments and jumps up) that is large against the noise and sharp (``rules``).
* ``decay`` [subsidence]: a piece after an eruption, starting above the eruption's baseline plus
  ``ELEVATED_SHARE`` of its amplitude, that falls by at least the decay threshold and by at least
  ``DECAY_SHARE`` of its height above the baseline (a slow sag of a high level is not a decay).
* ``plateau``: a piece after an eruption that does not decay and reaches above the baseline plus
  ``PLATEAU_SHARE`` of the amplitude — the eruption has not subsided (fewer than
  ``PLATEAU_POINTS`` points right before a decay are that decay's top).
* ``recovery`` [descent]: low — back near the pre-eruption level, or the run's opening descent.

A label reflects level as well as slope: a piece well above the baseline is never ``recovery``.
A cycle runs from an eruption's onset through its peak to the end of its last decay or plateau
before the next eruption. Its confidence is ``1 − 2^(−amplitude / threshold)``: 0.5 for a rise
just at the run's eruption threshold, 0.75 at twice it. The run ``exploded`` when it ends well above
its pre-eruption level (``ends_high``): its entropy never came back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entropy_lens.phases.rules import Thresholds
from entropy_lens.phases.rises import Rise, rises
from entropy_lens.phases.segment import Line, weighted_signal
from entropy_lens.phases.signal import Noise, Series

ELEVATED_SHARE = 0.25  #: a decay starts above baseline + this share of the cycle's amplitude
DECAY_SHARE = 0.25  #: a decay falls by at least this share of its height above the baseline
PLATEAU_SHARE = 0.5  #: a piece that does not decay and stays above baseline + this share is a plateau
END_POINTS = 5  #: last values whose median is the level a run ends at
PLATEAU_POINTS = 5  #: a shorter high piece right before a decay is the top of that decay, not a plateau
COLLAPSE_RATIO = 0.5  #: no eruption and the end level ≤ this share of the start level: collapse
LABELS = ("eruption", "decay", "plateau", "recovery")
PATTERNS = ("exploded", "cyclical", "single-eruption", "collapse", "stable")


@dataclass(frozen=True)
class Phase:
    """A run of logged steps with one label; ``end_step`` inclusive."""

    label: str
    start_step: int
    end_step: int


@dataclass(frozen=True)
class Cycle:
    """One eruption → decay cycle; steps are logged steps, ``amplitude`` in metric units."""

    onset_step: int
    peak_step: int
    end_step: int
    amplitude: float
    duration: int  #: ``end_step − onset_step``
    confidence: float
    baseline: float = 0.0  #: fitted level at the onset (the pre-eruption level)


@dataclass
class _Piece:
    """Positions ``[start, end)`` with the fitted level at both ends and a label."""

    start: int
    end: int
    level_start: float
    level_end: float
    label: str = "recovery"


def _pieces(lines: list[Line], steps: np.ndarray, eruptions: list[Rise]) -> list[_Piece]:
    """The eruptions, and the parts of segments between them (levels from each segment's fit)."""
    pieces: list[_Piece] = []
    queue = list(eruptions)
    cursor = 0
    for line in lines:
        while cursor < line.end:
            if queue and queue[0].onset <= cursor:
                rise = queue.pop(0)
                pieces.append(_Piece(rise.onset, rise.top + 1, rise.low, rise.high, "eruption"))
                cursor = rise.top + 1
                continue
            stop = min(line.end, queue[0].onset if queue else line.end)
            pieces.append(_Piece(cursor, stop, line.at(steps, cursor), line.at(steps, stop - 1)))
            cursor = stop
    return pieces


def _mark_levels(pieces: list[_Piece], limits: Thresholds) -> None:
    """Label each piece after an eruption ``decay``, ``plateau`` or ``recovery`` from its slope and level."""
    cycle = None  # (baseline, amplitude) of the latest eruption
    for index, piece in enumerate(pieces):
        if piece.label == "eruption":
            cycle = (piece.level_start, piece.level_end - piece.level_start)
            continue
        if cycle is None:
            continue  # the opening descent
        baseline, amplitude = cycle
        top = max(piece.level_start, pieces[index - 1].level_end)
        fall = top - piece.level_end
        if top < baseline + ELEVATED_SHARE * amplitude:
            continue
        if fall >= limits.fall and fall >= DECAY_SHARE * (top - baseline):
            piece.label = "decay"
        elif max(piece.level_start, piece.level_end) >= baseline + PLATEAU_SHARE * amplitude:
            piece.label = "plateau"
    tops = [k for k in range(len(pieces) - 1) if pieces[k].label == "plateau" and pieces[k + 1].label == "decay"]
    for k in tops:
        if pieces[k].end - pieces[k].start < PLATEAU_POINTS:
            pieces[k].label = "decay"


def _cycles(pieces: list[_Piece], steps: np.ndarray, limits: Thresholds) -> list[Cycle]:
    """One cycle per eruption piece: onset, peak, end of its last decay, amplitude, confidence."""
    cycles = []
    for index, piece in enumerate(pieces):
        if piece.label != "eruption":
            continue
        later = pieces[index + 1 :]
        following = next((k for k, p in enumerate(later) if p.label == "eruption"), len(later))
        decays = [p for p in later[:following] if p.label in ("decay", "plateau")]
        end = int(steps[decays[-1].end - 1 if decays else piece.end - 1])
        onset, peak = int(steps[piece.start]), int(steps[piece.end - 1])
        amplitude = piece.level_end - piece.level_start
        confidence = round(1.0 - 2.0 ** (-amplitude / max(limits.rise, 1e-12)), 3)
        baseline = float(piece.level_start)
        cycles.append(Cycle(onset, peak, end, float(amplitude), end - onset, float(confidence), baseline))
    return cycles


def _phases(pieces: list[_Piece], steps: np.ndarray) -> list[Phase]:
    """Pieces as step ranges covering the series; consecutive decays or recoveries are joined
    (each eruption stays its own phase, one per cycle)."""
    phases: list[Phase] = []
    for piece in pieces:
        if phases and phases[-1].label == piece.label != "eruption":
            phases[-1] = Phase(piece.label, phases[-1].start_step, int(steps[piece.end - 1]))
        else:
            phases.append(Phase(piece.label, int(steps[piece.start]), int(steps[piece.end - 1])))
    return phases


def ends_high(cycles: list[Cycle], values: np.ndarray) -> bool:
    """Did the run end well above its pre-eruption level? Its last ``END_POINTS`` values' median is
    above the higher of the first and the last eruption's baseline plus ``PLATEAU_SHARE`` of the last
    eruption's amplitude: the last eruption has not come half-way back, and the run is not merely back
    at the level it had before it first erupted."""
    if not cycles:
        return False
    level = float(np.median(values[-END_POINTS:]))
    return level >= max(cycles[0].baseline, cycles[-1].baseline) + PLATEAU_SHARE * cycles[-1].amplitude


def run_pattern(cycles: list[Cycle], lines: list[Line], fall: float, exploded: bool = False) -> str:
    """``exploded`` (``exploded``: the run ended high, ``ends_high``), ``cyclical`` (≥ 2 eruptions),
    ``single-eruption``, ``collapse`` or ``stable``.

    Collapse: no eruption, and the fitted level falls by more than ``fall`` to at most half its
    start (the single-turn reasoning-RL shape: a fall towards zero).
    """
    if cycles and exploded:
        return "exploded"
    if len(cycles) >= 2:
        return "cyclical"
    if cycles:
        return "single-eruption"
    start, end = lines[0].level_start, lines[-1].level_end
    if start > 0 and start - end >= fall and end <= COLLAPSE_RATIO * start:
        return "collapse"
    return "stable"


def label(
    series: Series, lines: list[Line], noise: Noise, sensitivity: float = 1.0
) -> tuple[list[Phase], list[Cycle], str]:
    """Phases covering the series, the eruption cycles and the run-level pattern.

    Args:
        series: the cleaned series.
        lines: its fitted segments, covering positions ``0..n-1`` in order.
        noise: its noise (metric units).
        sensitivity: >1 smaller eruptions count, <1 only larger ones.
    """
    steps = series.steps
    limits = Thresholds.of(steps, series.clean, series.spread, noise, sensitivity)
    signal = weighted_signal(steps, series.clean, series.spread)
    pieces = _pieces(lines, steps, rises(lines, steps, signal, limits))
    _mark_levels(pieces, limits)
    cycles = _cycles(pieces, steps, limits)
    phases = _phases(pieces, steps)
    exploded = ends_high(cycles, series.values) and phases[-1].label != "recovery"
    return phases, cycles, run_pattern(cycles, lines, limits.fall, exploded)
