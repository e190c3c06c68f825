"""Change points of a series under a piecewise-linear model with AR(1) noise (ruptures ``Pelt``).

Each segment is fitted by a straight line ``y ≈ a + b·step`` whose errors are AR(1) with the
series' lag-1 correlation φ (``cost.PiecewiseLinearCost``: the exact generalised least-squares fit,
weighted by the inverse local noise variance); a mean-shift cost would split an eruption's ramp into
stairs. The penalty per change point is BIC on the noise's innovations,
``β = 3·σ²·(1−φ²)·ln n / sensitivity`` (``signal.Noise``). Long series are segmented on bin medians
and every change point is then placed exactly at full resolution.
Sources: ruptures docs (``user-guide/costs/costlinear.md``, ``user-guide/detection/pelt.md``);
../shared/research/perf_methods.md §3 and Implications B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ruptures as rpt

from entropy_lens.phases.cost import PiecewiseLinearCost
from entropy_lens.phases.signal import Noise, binned, local_scale, noise_of, relative_spread

PENALTY_FACTOR = 3.0  #: BIC factor: a new segment adds a slope, an intercept and a change point
MAX_POINTS = 600  #: above this many points, segment bin medians, then place each change point


def penalty(noise: Noise, n: int, sensitivity: float = 1.0) -> float:
    """Penalty per change point, ``3·σ²·(1−φ²)·ln n / sensitivity``.

    BIC in the units of the AR(1)-whitened cost: ``σ²(1−φ²)`` is the variance of the noise's
    innovations, the residuals that ``PiecewiseLinearCost(phi=φ)`` sums.
    """
    innovations = max(noise.sigma, 1e-9) ** 2 * (1.0 - noise.phi**2)
    return PENALTY_FACTOR * innovations * float(np.log(max(n, 3))) / sensitivity


def weighted_signal(steps: np.ndarray, values: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """``[n, 3]`` columns ``y``, ``t``, ``w = 1/spread²`` for ``PiecewiseLinearCost``."""
    return np.column_stack([values, steps.astype(np.float64), 1.0 / spread**2])


def pelt(signal: np.ndarray, *, pen: float, phi: float = 0.0, min_size: int = 3) -> list[int]:
    """Exact penalised segmentation of a ``weighted_signal`` (ruptures ``Pelt``, jump 1) under AR(``phi``) noise.

    Returns:
        breakpoints in ruptures' convention: the end (exclusive) of each segment, last = n.
    """
    search = rpt.Pelt(custom_cost=PiecewiseLinearCost(min_size, phi), min_size=min_size, jump=1)
    return search.fit(signal).predict(pen=pen)


def refine(signal: np.ndarray, bkps: list[int], *, reach: int, min_size: int, phi: float = 0.0) -> list[int]:
    """Move each breakpoint within ``±reach`` to where the two adjacent lines fit best.

    Left to right: each is placed given the already-placed one on its left and the next one (not
    yet moved) on its right.
    """
    placed = [0]
    for k, guess in enumerate(bkps[:-1]):
        start, end = placed[-1], bkps[k + 1]
        lo, hi = max(guess - reach, start + min_size), min(guess + reach, end - min_size)
        if hi < lo:
            placed.append(guess)
            continue
        cost = PiecewiseLinearCost(min_size, phi).fit(signal[start:end])
        cut = np.arange(lo, hi + 1) - start
        total = cost.errors(np.zeros_like(cut), cut) + cost.errors(cut, np.full_like(cut, end - start))
        placed.append(int(start + cut[np.argmin(total)]))
    return placed[1:] + [len(signal)]


def breakpoints(
    steps: np.ndarray,
    values: np.ndarray,
    spread: np.ndarray,
    noise: Noise,
    *,
    sensitivity: float = 1.0,
    min_size: int = 3,
    max_points: int = MAX_POINTS,
) -> list[int]:
    """Change points of ``values`` (``[n]``, by position) under the piecewise-linear AR(1) model.

    Series longer than ``max_points`` are segmented on bin medians (penalty, weights and φ from
    the bins' own noise) and every breakpoint is then placed at full resolution within two bins.

    Args:
        steps: ``[n]`` logged steps (the regression covariate).
        values: ``[n]`` cleaned values.
        spread: ``[n]`` local noise relative to the run's (weights ``1/spread²``).
        noise: the full-resolution noise estimate (σ for the penalty, φ for the cost).
        sensitivity: >1 more change points, <1 fewer.
        min_size: fewest points per segment (at full resolution, and in bins).
        max_points: bin above this length.

    Returns:
        breakpoints (ruptures convention, last = n).
    """
    n = len(values)
    if n < 2 * min_size:
        return [n]
    signal = weighted_signal(steps, values, spread)
    if n <= max_points:
        return pelt(signal, pen=penalty(noise, n, sensitivity), phi=noise.phi, min_size=min_size)
    bin_steps, bin_values, starts = binned(steps, values, max_points)
    bin_spread = relative_spread(local_scale(bin_values))
    bin_signal = weighted_signal(bin_steps, bin_values, bin_spread)
    bin_noise = noise_of(bin_values)
    pen = penalty(bin_noise, len(bin_values), sensitivity)
    coarse = pelt(bin_signal, pen=pen, phi=bin_noise.phi, min_size=min_size)
    guesses = [int(starts[b]) for b in coarse[:-1]] + [n]
    return refine(signal, guesses, reach=2 * int(starts[1] - starts[0]), min_size=min_size, phi=noise.phi)


def ramp(signal: np.ndarray, start: int, guess: int, end: int, reach: int) -> tuple[int, int]:
    """Where a level jump near position ``guess`` really rises: the best three-line fit.

    Fits lines to ``[start, onset)``, ``[onset, top]`` and ``(top, end)`` of a ``weighted_signal`` for
    every onset within ``±reach`` of ``guess`` and every top after it (ramps of at least 3
    points; a stride keeps the grid near 100 × 100), and returns the best ``(onset, top)``.
    """
    cost = PiecewiseLinearCost(min_size=1).fit(signal[start:end])
    size, local = end - start, guess - start
    stride = max(1, reach // 100)
    onsets = np.arange(max(3, local - reach), min(local + reach, size - 6) + 1, stride)
    tops = np.arange(max(6, local - reach + 3), min(local + 2 * reach, size - 3) + 1, stride)
    onset, stop = (grid.ravel() for grid in np.meshgrid(onsets, tops, indexing="ij"))
    valid = stop - onset >= 3
    onset, stop = onset[valid], stop[valid]
    if not onset.size:
        return guess, guess
    total = cost.errors(np.zeros_like(onset), onset) + cost.errors(onset, stop)
    total += cost.errors(stop, np.full_like(stop, size))
    best = int(np.argmin(total))
    return start + int(onset[best]), start + int(stop[best]) - 1


@dataclass(frozen=True)
class Line:
    """The weighted least-squares line of one segment ``[start, end)`` (positions), metric units."""

    start: int
    end: int
    level_start: float  #: fitted value at the first point
    level_end: float  #: fitted value at the last point
    slope: float  #: per logged step

    @property
    def length(self) -> int:
        return self.end - self.start

    def at(self, steps: np.ndarray, position: int) -> float:
        """The fitted value at ``position`` (``steps``: the series' ``[n]`` logged steps)."""
        return self.level_start + self.slope * float(steps[position] - steps[self.start])


def fit_lines(steps: np.ndarray, values: np.ndarray, spread: np.ndarray, bkps: list[int]) -> list[Line]:
    """Weighted least-squares line (weights ``1/spread²``) of every segment between breakpoints."""
    lines = []
    for start, end in zip([0] + bkps[:-1], bkps):
        t = steps[start:end].astype(np.float64) - steps[start]
        y = values[start:end]
        if end - start >= 2 and t[-1] > 0:
            slope, intercept = np.polyfit(t, y, 1, w=1.0 / spread[start:end])
        else:
            slope, intercept = 0.0, float(np.mean(y))
        lines.append(Line(start, end, float(intercept), float(intercept + slope * t[-1]), float(slope)))
    return lines


def fitted_values(lines: list[Line], steps: np.ndarray) -> np.ndarray:
    """``[n]`` the piecewise-linear fit at every logged step."""
    pieces = [line.level_start + line.slope * (steps[line.start : line.end] - steps[line.start]) for line in lines]
    return np.concatenate(pieces)
