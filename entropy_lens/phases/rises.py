"""Eruptions in a piecewise-linear fit: the fitted path's steep climbs that pass ``rules.Thresholds``.

The fitted path visits, for each segment, its fitted start and end level; between segments it
may jump. A climb lies within a stretch of the path that never falls by more than the noise σ;
it starts from a seed — the steepest rising segment, unless a jump up is more than twice any
segment's rise, then that jump — and grows backwards and forwards over jumps and over segments
that rise by more than σ at no less than a quarter of the seed's rate (a jump's rate is its
size per step). So it can span several segments and jumps (a ramp the search cut in two, or a ramp merged
into a jump and a decay), while a flat or slowly drifting stretch before or after it is not
part of it. Its size is the climb from its first node to its top. A climb that is mostly one
jump (two points or fewer) is placed by ``segment.ramp``: the best three-line fit around it.

Then each eruption is read as a person reads a plot (``settle``): an eruption that starts within
its predecessor's length of that one's top, before the level has fallen half-way back, continues
it (one continuous rise is one cycle); its peak is the first point where the 5-point running
median comes within ``PEAK_SIGMAS`` σ of its highest value while the level stays above half the
rise (a single spike cannot be it); its onset is the last point before the rise — from the lowest
running-median point between ``SMOOTH_POINTS`` before the fitted onset and the peak, the last point
within ``ONSET_SIGMAS`` local σ or ``ONSET_SHARE`` of the rise of it (so a shallow dip before a ramp
does not pull the onset back to its foot; a dip deeper than that still can).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entropy_lens.phases.rules import Thresholds
from entropy_lens.phases.segment import Line, ramp

#: A rise made of one jump whose top segment lasts at most this many points is a spike, not an eruption.
SPIKE_POINTS = 3
#: Share of a fitted rise the medians at its ends must confirm.
CONFIRMED_SHARE = 0.5

#: Segments still extend a climb while they rise at no less than this share of its seed's rate.
CLIMB_SHARE = 0.25
#: The seed is the steepest segment rising by at least this share of the largest jump up, else that jump.
JUMP_SHARE = 0.5
#: The peak is the first point whose running median comes within this many σ of the eruption's highest.
PEAK_SIGMAS = 1.5
#: The onset is the last point within this many local σ of the lowest running-median point before the peak ...
ONSET_SIGMAS = 2.0
#: ... or within this share of the rise, whichever is larger.
ONSET_SHARE = 0.05
#: A rise continues the previous one while the level stays above this share of that rise.
CONTINUED_SHARE = 0.5
#: Points of the running median that places peaks and onsets.
SMOOTH_POINTS = 5


@dataclass(frozen=True)
class Rise:
    """An eruption: positions ``onset..top`` (inclusive) and the fitted levels before it and at the top."""

    onset: int
    top: int
    low: float
    high: float


@dataclass(frozen=True)
class _Path:
    """Nodes of the fitted path (two per segment: its first and last point), ``[2k]`` each."""

    positions: np.ndarray  #: position of the node in the series
    levels: np.ndarray  #: fitted level there
    owners: np.ndarray  #: index of the node's segment
    steps: np.ndarray  #: logged step there

    @classmethod
    def of(cls, lines: list[Line], steps: np.ndarray) -> _Path:
        positions = np.array([p for line in lines for p in (line.start, line.end - 1)])
        levels = np.array([v for line in lines for v in (line.level_start, line.level_end)])
        return cls(positions, levels, np.repeat(np.arange(len(lines)), 2), steps[positions].astype(float))

    def rise(self, node: int) -> float:
        """Level change from node ``node − 1`` to ``node``."""
        return float(self.levels[node] - self.levels[node - 1])

    def rate(self, node: int) -> float:
        """That change per logged step."""
        return self.rise(node) / max(self.steps[node] - self.steps[node - 1], 1.0)

    def is_jump(self, node: int) -> bool:
        """Is node ``node − 1`` → ``node`` a jump between adjacent points (not a segment)?"""
        return bool(self.positions[node] - self.positions[node - 1] <= 1)


def _climb(path: _Path, first: int, last: int, sigma: float) -> tuple[int, int]:
    """``(start, top)`` node indices of the steep climb inside nodes ``first..last`` (equal: none)."""
    edges = range(first + 1, last + 1)
    rising = [k for k in edges if path.rise(k) > sigma]
    if not rising:
        return last, last
    largest_jump = max((path.rise(k) for k in rising if path.is_jump(k)), default=0.0)
    segments = [k for k in rising if not path.is_jump(k) and path.rise(k) >= JUMP_SHARE * largest_jump]
    seed = max(segments, key=path.rate) if segments else max(rising, key=path.rise)
    steepest = path.rate(seed)

    def extends(node: int) -> bool:
        return path.is_jump(node) or (path.rise(node) > sigma and path.rate(node) >= CLIMB_SHARE * steepest)

    start, top = seed - 1, seed
    while start > first and extends(start):
        start -= 1
    while top < last and extends(top + 1):
        top += 1
    while start < top and path.rise(start + 1) <= sigma:
        start += 1  # a climb begins and ends with a rise, not with a small jump
    while top > start and path.rise(top) <= sigma:
        top -= 1
    return start, top


def _climbs(path: _Path, sigma: float) -> list[tuple[int, int]]:
    """One climb per stretch of the path between falls of more than ``sigma``."""
    climbs, first = [], 0
    for k in range(1, len(path.levels) + 1):
        if k == len(path.levels) or path.levels[k] < path.levels[k - 1] - sigma:
            start, top = _climb(path, first, k - 1, sigma)
            if top > start:
                climbs.append((start, top))
            first = k
    return climbs


def rises(lines: list[Line], steps: np.ndarray, signal: np.ndarray, limits: Thresholds) -> list[Rise]:
    """The eruptions of one fitted series, in order.

    Args:
        lines: fitted segments covering positions ``0..n-1``.
        steps: ``[n]`` logged steps.
        signal: ``[n, 3]`` the series as ``segment.weighted_signal`` (values, and for placing jumps).
        limits: the series' thresholds.
    """
    path = _Path.of(lines, steps)
    found: list[Rise] = []
    for first, top_node in _climbs(path, limits.noise.sigma):
        low, high = float(path.levels[first]), float(path.levels[top_node])
        start, top = int(path.positions[first]), int(path.positions[top_node])
        floor = max(low, float(np.min(signal[start : top + 1, 0])))  # fitted ends can overshoot
        sigma = limits.sigma_near(start, top + 1)
        if not limits.is_eruption(high - low, floor, top - start + 1, path.steps[top_node] - path.steps[first], sigma):
            continue
        onset = start + 1 if first % 2 else start  # from a segment's last point, the rise starts after it
        if top - onset < 2:
            after = lines[path.owners[top_node]]
            if after.length <= SPIKE_POINTS:  # a jump that falls back (or ends) within a few points
                continue
            onset, top = _place_jump(lines[path.owners[first]], after, signal, found)
        if not medians_confirm(signal[:, 0], onset, max(top, onset), high - low):
            continue
        found.append(Rise(onset, max(top, onset), low, high))
    return settle(found, signal[:, 0], limits)


def running_median(values: np.ndarray, points: int = SMOOTH_POINTS) -> np.ndarray:
    """``[n]`` centred running median of ``points`` values (shorter at the ends)."""
    half = points // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, points), axis=1)


def settle(found: list[Rise], values: np.ndarray, limits: Thresholds) -> list[Rise]:
    """Join continued rises, then place each eruption's peak and onset on the running median."""
    smooth = running_median(values)
    joined: list[Rise] = []
    for rise in found:
        if joined and _continues(joined[-1], rise, smooth):
            last = joined.pop()
            rise = Rise(last.onset, rise.top, last.low, max(last.high, rise.high))
        joined.append(rise)
    placed: list[Rise] = []
    for index, rise in enumerate(joined):
        limit = joined[index + 1].onset if index + 1 < len(joined) else len(values)
        top = _peak(rise, smooth, limit, limits.sigma_near(rise.onset, rise.top + 1))
        lower = max(rise.onset - SMOOTH_POINTS, placed[-1].top + 1 if placed else 0)
        onset = _onset(lower, top, smooth, values, limits)
        placed.append(Rise(onset, max(top, onset), rise.low, rise.high))
    return placed


def _continues(first: Rise, second: Rise, smooth: np.ndarray) -> bool:
    """Does ``second`` start within ``first``'s length of its top, the level still above half of it?"""
    gap = second.onset - first.top
    lowest = float(np.min(smooth[first.top : second.onset + 1]))
    return gap <= first.top - first.onset + 1 and lowest >= first.low + CONTINUED_SHARE * (first.high - first.low)


def _peak(rise: Rise, smooth: np.ndarray, limit: int, sigma: float) -> int:
    """First point of the eruption's high stretch within ``PEAK_SIGMAS`` σ of its highest running median."""
    half = rise.low + CONTINUED_SHARE * (rise.high - rise.low)
    end = rise.top + 1
    while end < limit and smooth[end] >= half:
        end += 1
    window = smooth[rise.onset + 1 : end]
    if len(window) == 0:
        return rise.top
    near = np.flatnonzero(window >= np.max(window) - PEAK_SIGMAS * sigma)
    return int(rise.onset + 1 + near[0])


def _onset(lower: int, top: int, smooth: np.ndarray, values: np.ndarray, limits: Thresholds) -> int:
    """The last point before the rise to ``top``: after the lowest running-median point in
    ``lower..top``, the last one (value and running median) near it — within ``ONSET_SIGMAS`` local
    σ or ``ONSET_SHARE`` of the rise, whichever is larger."""
    if top <= lower:
        return lower
    foot = lower + int(np.argmin(smooth[lower:top]))
    level = smooth[foot]
    rise = float(np.max(smooth[foot : top + 1]) - level)
    near = level + max(ONSET_SIGMAS * limits.noise.sigma * limits.spread[foot], ONSET_SHARE * rise)
    low = np.flatnonzero((smooth[foot:top] <= near) & (values[foot:top] <= near))
    return int(foot + low[-1]) if len(low) else foot


def medians_confirm(values: np.ndarray, onset: int, top: int, rise: float) -> bool:
    """Do the medians confirm a fitted rise? The median of 5 points around its top (the last 5 at
    the series' end, past the onset where the series allows) must exceed the median of up to 5 points
    ending at its onset by at least ``CONFIRMED_SHARE`` of the fitted rise up to the window's centre
    (the whole rise, unless the series ends within 2 points of the top): a climb the least-squares
    lines drew through a few spikes is not there in the medians, and a rise still under way at the
    series' end is held to what it has climbed by the middle of the newest points. The window holds
    at least the last 3 points, so a rise of one point at the series' end is not confirmed (2 of the
    last 3 must be up): the end point has no neighbour after it, so the Hampel filter cannot remove a
    spike there."""
    before = np.median(values[max(onset - 4, 0) : onset + 1])
    start = min(max(min(top - 2, len(values) - 5), onset + 1), max(len(values) - 3, 0))
    after = np.median(values[start : start + 5])
    reached = min(1.0, (start + 2 - onset) / (top - onset)) if top > onset else 1.0
    return bool(after - before >= CONFIRMED_SHARE * rise * reached)


def _place_jump(before: Line, after: Line, signal: np.ndarray, found: list[Rise]) -> tuple[int, int]:
    """Onset and top of a rise made of a jump from segment ``before`` into segment ``after``."""
    start = max(before.start, found[-1].top + 1 if found else 0)
    if after.start - start < 4 or after.length < 4:
        return after.start, after.start
    reach = max(5, min(before.length, after.length) // 2)
    onset, top = ramp(signal, start, after.start, after.end, reach)
    onset = min(max(onset, start + 1), after.start)
    return onset, min(max(top, after.start), after.end - 1)
