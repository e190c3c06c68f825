"""The online alarm's in-control reference: the points before the tested ones, and their noise.

The reference is the ``window`` points before the newest ones. Its robust line (the medians of its
older and newer halves joined; flat unless it moves by ``TREND_SIGMAS`` σ; when it falls, the median
of its ``LATEST`` newest points instead, so a descent is not projected forward) predicts each tested
point. Its noise is AR(1): ``φ`` is the Gnanadesikan–Kettenring robust lag-1 correlation of the line's
residuals pooled over this reference and the last ``BLOCKS`` stored ones;
``σ_e = MAD(Δx)·√((1 + φ)/2)`` (AR(1): ``Var Δx = 2σ²(1 − φ)``) over the last ``BLOCKS · window``
first differences logged outside eruptions (one window's estimates are off by ±0.15 in φ and ×2 in
σ_e). The model is refitted every ``REFRESH`` new reference points.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from entropy_lens.phases.ramp import robust_correlation, robust_scale

REFRESH = 5  #: new reference points before the reference model is fitted again
LATEST = 5  #: newest reference points whose median is the level of a falling reference
TREND_SIGMAS = 4.0  #: a reference line that moves less than this many σ over its span is flat
BLOCKS = 6  #: past references whose residuals are pooled to estimate φ and κ
MAX_PHI = 0.9  #: largest lag-1 correlation the noise model takes


@dataclass(frozen=True)
class Reference:
    """The in-control model: a robust line (or a falling reference's latest level) and AR(1) noise."""

    slope: float  #: per step; 0 when the line moves less than ``TREND_SIGMAS`` σ
    intercept: float
    latest: float  #: median of the newest ``LATEST`` reference values
    phi: float  #: lag-1 correlation of the noise
    sigma_e: float  #: innovation σ
    kappa: float  #: ``E[ψ(u)²]`` of standardised innovations

    @property
    def sigma(self) -> float:
        """Marginal noise σ, ``σ_e / √(1 − φ²)``."""
        return self.sigma_e / float(np.sqrt(1.0 - self.phi**2))

    def expected(self, steps: np.ndarray) -> np.ndarray:
        """``[n]`` predicted values: the line, or the latest level when the line falls."""
        if self.slope < 0:
            return np.full(len(steps), self.latest)
        return self.intercept + self.slope * steps


class ReferenceWindow:
    """The reference points, the differences logged outside eruptions, and their fitted ``Reference``.

    Args:
        window: reference points kept (trend, level, φ); σ_e is fitted on ``BLOCKS·window`` differences.
        psi: the influence function ``ψ`` whose second moment ``κ`` the model carries.
    """

    def __init__(self, window: int, psi: Callable[[np.ndarray], np.ndarray]):
        self.window, self.psi = window, psi
        self.points: deque[tuple[int, float]] = deque(maxlen=window)
        self.diffs: deque[float] = deque(maxlen=BLOCKS * window)  #: first differences outside eruptions
        self._blocks: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=BLOCKS)  # past residual pairs
        self._fresh = 0  #: points that joined since the last stored block
        self._age = 0  #: points that joined since ``_model`` was fitted
        self._model: Reference | None = None

    def add(self, point: tuple[int, float]) -> None:
        """A point leaves the tested span and joins the reference."""
        self.points.append(point)
        self._age, self._fresh = self._age + 1, self._fresh + 1

    def restart(self, points) -> None:
        """Start again from ``points`` (after an eruption): the next ``model`` is fitted afresh."""
        self.points.clear()
        self.points.extend(points)
        self._model, self._fresh = None, 0

    def model(self) -> Reference:
        """The reference's ``Reference``, fitted again every ``REFRESH`` new reference points."""
        if self._model is None or self._age >= REFRESH:
            steps, values = (np.array(column, dtype=float) for column in zip(*self.points))
            half = len(steps) // 2
            run = np.median(steps[half:]) - np.median(steps[:half])
            slope = float((np.median(values[half:]) - np.median(values[:half])) / run) if run > 0 else 0.0
            previous, current = self._pooled_pairs(values - slope * steps)
            phi = float(np.clip(robust_correlation(previous, current), 0.0, MAX_PHI))
            sigma_e = robust_scale(np.array(self.diffs)) * float(np.sqrt((1.0 + phi) / 2.0))
            if abs(slope) * (steps[-1] - steps[0]) < TREND_SIGMAS * sigma_e / np.sqrt(1.0 - phi**2):
                slope = 0.0  # no trend beyond the noise: a flat reference
            intercept = float(np.median(values - slope * steps))
            innovations = current - phi * previous
            innovations = innovations / max(robust_scale(innovations), 1e-12)
            kappa = max(float(np.mean(self.psi(innovations) ** 2)), 0.5)  # 0.5: a flat, quantised reference
            sigma_e = max(sigma_e, 1e-9 * max(abs(intercept), 1.0))
            self._model = Reference(slope, intercept, float(np.median(values[-LATEST:])), phi, sigma_e, kappa)
            self._age = 0
        return self._model

    def _pooled_pairs(self, detrended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(r_{t−1}, r_t)`` scaled residual pairs of this reference and the ``BLOCKS`` stored before;
        this reference is stored once ``window`` new points have joined since the last one was."""
        residuals = detrended - np.median(detrended)
        residuals = residuals / max(robust_scale(residuals), 1e-12)
        pooled = [*self._blocks, (residuals[:-1], residuals[1:])]
        if self._fresh >= self.window:
            self._blocks.append(pooled[-1])
            self._fresh = 0
        return np.concatenate([p for p, _ in pooled]), np.concatenate([c for _, c in pooled])
