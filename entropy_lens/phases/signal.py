"""The series to segment: select and order the logged points, remove spikes, estimate the noise.

Conventions: a series is the logged points of one metric, in step order; positions ``0..n-1``
index the points, ``steps[i]`` is the logged step of point ``i`` (sparse logging leaves gaps,
which the piecewise-linear fit handles because it regresses on the step itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

#: Normal-consistency factor of the median absolute deviation (MAD · 1.4826 ≈ σ for Gaussian data).
MAD_TO_SIGMA = 1.4826

#: Points further than this many local noise-σ from their 5-point running median are spikes.
SPIKE_SIGMAS = 4.0
#: Points in the running window of the local noise scale.
LOCAL_WINDOW = 51
#: The local noise is floored at this share of the run's (flat, quantised stretches).
SPREAD_FLOOR = 0.25


@dataclass(frozen=True)
class Series:
    """One metric's logged points, cleaned.

    Attributes:
        steps: ``[n]`` int64, strictly increasing logged steps.
        values: ``[n]`` float64, the logged values (NaN and ±inf dropped).
        clean: ``[n]`` float64, ``values`` with isolated spikes (1–2 points) replaced by the
            running median.
        spread: ``[n]`` local noise std relative to the run's (median 1; see ``relative_spread``).
        dropped: rows not used: non-finite values, and earlier values of a repeated step.
        spikes: points replaced in ``clean``.
    """

    steps: np.ndarray
    values: np.ndarray
    clean: np.ndarray
    spread: np.ndarray
    dropped: int
    spikes: int

    @property
    def n(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class Noise:
    """Robust noise model of a series: AR(1) with marginal std ``sigma`` and lag-1 correlation ``phi``.

    Attributes:
        sigma: marginal noise std (metric units).
        phi: lag-1 autocorrelation in ``[0, 0.9]``.
    """

    sigma: float
    phi: float

    @property
    def long_run_sigma(self) -> float:
        """Std of the noise's slow part: ``σ·√((1+φ)/(1−φ))`` (what a trend fit can mistake for signal)."""
        return self.sigma * float(np.sqrt((1.0 + self.phi) / (1.0 - self.phi)))


def prepare(steps: np.ndarray, values: np.ndarray) -> Series:
    """Order a raw series and drop what cannot be used.

    A step logged more than once (a restarted run re-logs the steps after its last checkpoint)
    keeps the value logged last, in input order.

    Args:
        steps: ``[m]`` logged steps (any integer dtype, any order, repeats allowed).
        values: ``[m]`` values, NaN allowed.
    """
    steps = np.asarray(steps).astype(np.int64, copy=False).ravel()
    values = np.asarray(values, dtype=np.float64).ravel()
    if steps.shape != values.shape:
        raise ValueError(f"steps and values differ in length ({len(steps)} vs {len(values)})")
    finite = np.isfinite(values)
    kept_steps, kept_values = steps[finite], values[finite]
    # keep the last occurrence of each step: unique over the reversed arrays keeps the first
    reversed_steps = kept_steps[::-1]
    unique_steps, first_in_reversed = np.unique(reversed_steps, return_index=True)
    unique_values = kept_values[::-1][first_in_reversed]
    scale = local_scale(unique_values)
    clean, spikes = despike(unique_values, scale)
    return Series(unique_steps, unique_values, clean, relative_spread(scale), len(steps) - len(unique_steps), spikes)


def local_scale(values: np.ndarray) -> np.ndarray:
    """``[n]`` local noise σ: running median (``LOCAL_WINDOW`` points) of the absolute second
    differences over their Gaussian median ``0.6745·√6`` (straight lines and lone spikes do not move it).

    Near the ends the window is mirrored into the series: padding with copies of the end value
    would make that single second difference the median of the first and last 25 points.
    """
    if len(values) < 3:
        return np.zeros(len(values))
    second = np.abs(np.convolve(values, [1.0, -2.0, 1.0], mode="same"))
    second[0], second[-1] = second[1], second[-2]
    return median_filter(second, size=LOCAL_WINDOW, mode="mirror") / (0.6745 * np.sqrt(6.0))


def relative_spread(scale: np.ndarray) -> np.ndarray:
    """``[n]`` local noise relative to its median, floored at ``SPREAD_FLOOR`` (ones when flat)."""
    middle = float(np.median(scale)) if len(scale) else 0.0
    if middle <= 0.0:
        return np.ones(len(scale))
    return np.maximum(scale / middle, SPREAD_FLOOR)


def despike(values: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, int]:
    """Hampel filter: replace points far from their 5-point running median by that median.

    A window of 5 removes spikes of one or two points (they are not eruptions). "Far" is
    ``SPIKE_SIGMAS`` times the local noise σ (``scale``), so a run whose noise shrinks as its
    entropy falls keeps its noisy early part as it is.

    Returns:
        ``(clean [n], number of points replaced)``.
    """
    if len(values) < 5:
        return values.copy(), 0
    running = median_filter(values, size=5, mode="nearest")
    far = np.abs(values - running) > SPIKE_SIGMAS * np.maximum(scale, 1e-12)
    return np.where(far, running, values), int(far.sum())


#: Lags of the second differences used to fit the AR(1) noise model.
_LAGS = np.arange(1, 5)
#: φ grid, and for each φ the log of the second-difference variance shape ``2(1−φ^k)(3−φ^k)``.
_PHI_GRID = np.linspace(0.0, 0.9, 91)
_LOG_SHAPE = np.log(2.0 * (1.0 - _PHI_GRID[:, None] ** _LAGS) * (3.0 - _PHI_GRID[:, None] ** _LAGS))


def _second_difference_variance(values: np.ndarray, lag: int) -> float:
    """Robust variance (MAD²) of ``y[t+lag] − 2·y[t] + y[t−lag]``, which straight lines cancel."""
    second = values[2 * lag :] - 2.0 * values[lag:-lag] + values[: -2 * lag]
    return (MAD_TO_SIGMA * float(np.median(np.abs(second - np.median(second))))) ** 2


def noise_of(values: np.ndarray) -> Noise:
    """Robust AR(1) noise estimate from second differences at lags 1–4.

    For AR(1) noise with marginal variance σ² and lag-1 correlation φ, the lag-k second
    difference ``e[t+k] − 2e[t] + e[t−k]`` has variance ``2σ²(1−φ^k)(3−φ^k)``. Fitting that
    shape to the robust (MAD) variances at k = 1..4 in log space gives φ (grid search) and σ.
    Second differences cancel straight-line trends (ramps, decays, drift) and the MAD ignores
    the few points near a kink or a spike. Source: the MAD-of-differences noise estimate
    (../shared/research/perf_methods.md §3), extended to a variogram fit for correlated noise.

    Args:
        values: ``[n]`` series.
    """
    if len(values) < 2 * _LAGS[-1] + 3:
        return Noise(sigma=float(np.std(values)) if len(values) > 1 else 0.0, phi=0.0)
    variances = np.array([_second_difference_variance(values, int(k)) for k in _LAGS])
    if variances[0] <= 0.0:
        return Noise(sigma=0.0, phi=0.0)
    logs = np.log(np.maximum(variances, variances[0] * 1e-6))
    log_scale = (logs - _LOG_SHAPE).mean(axis=1)
    misfit = ((logs - _LOG_SHAPE - log_scale[:, None]) ** 2).sum(axis=1)
    best = int(np.argmin(misfit))
    return Noise(sigma=float(np.exp(0.5 * log_scale[best])), phi=float(_PHI_GRID[best]))


def binned(steps: np.ndarray, values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median per bin of consecutive points, so that at most ``max_points`` bins remain.

    Args:
        steps: ``[n]`` steps (the regression covariate).
        values: ``[n]`` values.
        max_points: bins wanted at most.

    Returns:
        ``(bin_steps [b], bin_values [b], starts [b])``: mean step and median value per bin, and
        the position of each bin's first point.
    """
    width = int(np.ceil(len(values) / max_points))
    starts = np.arange(0, len(values), width)
    usable = (len(values) // width) * width
    medians = np.median(values[:usable].reshape(-1, width), axis=1)
    means = steps[:usable].reshape(-1, width).mean(axis=1)
    if usable < len(values):
        medians = np.append(medians, np.median(values[usable:]))
        means = np.append(means, steps[usable:].mean())
    return means.astype(np.float64), medians, starts
