"""What counts as an eruption or a decay in one series: thresholds from its noise and span.

An eruption is a rise that is large against the noise and sharp (divide every threshold below
by √sensitivity):

* at least ``4σ``, and at least 3 standard errors of a rise over that many points of the
  series' autocorrelated noise, with σ taken near the rise (50 points or the rise's length
  either side) when the noise there is larger than the run's (entropy is noisier while high);
* sharp: a rise lasting more than a tenth of the run must be larger, ``4σ·√(duration/(0.1·span))``,
  so a slow drift of a few σ over the run is not an eruption while an explosion still is;
* for a non-negative series (entropy), at least half its level before the rise: a rise of 0.01
  nats on a floor of 0.03 is a wobble, not an eruption.

Nothing compares a rise with the run's other rises: every rise large against the noise counts.
``watch`` raises an alarm only where ``find_phases`` labels an eruption (one definition for both).

A decay segment must fall by at least ``3σ``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entropy_lens.phases.signal import Noise

ERUPTION_SIGMAS = 4.0  #: least rise of an eruption, in noise σ
ERUPTION_Z = 3.0  #: least rise of an eruption, in standard errors of the rise
SHARP_FRACTION = 0.1  #: rises longer than this share of the run must be larger
RELATIVE_RISE = 0.5  #: least rise of a non-negative series, as a share of its level before the rise
DECAY_SIGMAS = 3.0  #: least fall of a decay segment, in noise σ
LOCAL_REACH = 50  #: the noise near a rise is taken this many points (or the rise's length) around it


@dataclass(frozen=True)
class Thresholds:
    """Eruption and decay thresholds of one series (metric units, logged steps)."""

    noise: Noise  #: the whole series' noise
    shrink: float  #: √sensitivity
    span: float  #: steps from the first to the last logged point
    positive: bool  #: no value is below 0 (entropy, lengths)
    spread: np.ndarray  #: ``[n]`` local noise relative to the run's

    @classmethod
    def of(
        cls, steps: np.ndarray, values: np.ndarray, spread: np.ndarray, noise: Noise, sensitivity: float
    ) -> Thresholds:
        """Thresholds of one cleaned series (``steps``, ``values``, ``spread``: ``[n]``)."""
        span = max(float(steps[-1] - steps[0]), 1.0)
        return cls(noise, float(np.sqrt(sensitivity)), span, bool(np.min(values) >= 0), spread)

    @property
    def rise(self) -> float:
        """Least rise of an eruption anywhere in the series."""
        return ERUPTION_SIGMAS * self.noise.sigma / self.shrink

    @property
    def fall(self) -> float:
        """Least fall of a decay segment."""
        return DECAY_SIGMAS * self.noise.sigma / self.shrink

    def sigma_near(self, start: int, end: int) -> float:
        """Noise σ around positions ``[start, end)``: the larger of the local and the run's."""
        reach = max(end - start, LOCAL_REACH)
        local = float(np.median(self.spread[max(start - reach, 0) : end + reach]))
        return self.noise.sigma * max(local, 1.0)

    def is_eruption(self, rise: float, low: float, points: int, duration: float, sigma: float) -> bool:
        """Is a rise from level ``low`` over ``points`` points and ``duration`` steps an eruption?

        Args:
            rise: fitted climb (metric units).
            low: level before it (for the relative test of a non-negative series).
            points: logged points from its start to its top.
            duration: steps from its start to its top.
            sigma: the noise σ around it.
        """
        slow = float(np.sqrt(max(1.0, duration / (SHARP_FRACTION * self.span))))
        return rise_is_eruption(
            rise, low, points, sigma / self.shrink, self.noise.phi,
            positive=self.positive, slow=slow, shrink=self.shrink,
        )


def rise_is_eruption(
    rise: float, low: float, points: int, sigma: float, phi: float,
    *, positive: bool, slow: float = 1.0, shrink: float = 1.0,
) -> bool:
    """The one definition of an eruption (``watch`` asks ``find_phases``, so this rule, too).

    A rise of ``rise`` from level ``low`` over ``points`` points, in AR(``phi``) noise of marginal
    std ``sigma``, is an eruption when it is at least ``ERUPTION_SIGMAS·σ·slow``, at least
    ``ERUPTION_Z`` standard errors of a rise over that many points — the smaller of the line-fit
    error under the long-run noise, ``σ_LR·√(12(m−1)/(m(m+1)))``, and the AR(1) end-to-end error
    ``σ·√(2(1−φ^(m−1)))`` (correlated noise barely moves over a few points) — and, for a
    non-negative series, at least ``RELATIVE_RISE`` of ``low`` (divided by ``shrink`` = √sensitivity).
    ``slow`` ≥ 1 is the sharpness factor for a rise lasting more than a tenth of the run (1 online:
    a rise that is just starting is short).
    """
    m = max(points, 2)
    long_run = sigma * np.sqrt((1.0 + phi) / (1.0 - phi))
    stderr = min(long_run * np.sqrt(12.0 * (m - 1) / (m * (m + 1))), sigma * np.sqrt(2.0 * (1.0 - phi ** (m - 1))))
    relative = not positive or rise >= RELATIVE_RISE * max(low, 0.0) / shrink
    return bool(rise >= ERUPTION_SIGMAS * sigma * slow and rise >= ERUPTION_Z * stderr and relative)
