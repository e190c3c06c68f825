"""The segment cost of the phase search: a weighted straight-line fit under AR(1) noise, O(1) per segment.

A segment ``[start, end)`` with values ``y``, steps ``t`` and weights ``w`` (inverse local noise
variance, relative to the run's) is fitted by the line ``y ≈ a + b·t`` whose errors follow an AR(1)
process with lag-1 correlation ``φ``. Its cost is the residual sum of squares of the exact Gaussian
(generalised least squares) fit, written as an ordinary regression on transformed rows
(Prais & Winsten 1954):

* the segment's first point: ``√(1−φ²)·y_s ≈ a·√(1−φ²) + b·√(1−φ²)·t_s``;
* every later point ``k``: ``y_k − φ·y_{k−1} ≈ a·(1−φ) + b·(t_k − φ·t_{k−1})``.

Each row is a pair of regressors ``(c, x)`` and a response ``z``; with ``S`` the weighted sums over
the segment's rows, ``Sxz = Σ w·x·z − (Σ w·c·x)(Σ w·c·z)/Σ w·c²`` (``c`` projected out)::

    cost = Szz − Sxz² / Sxx

The later rows are the same whatever the segment, so prefix sums of them plus the segment's own
first row give the cost in O(1). With ``φ = 0`` every row is ``(1, t, y)`` and the cost is the plain
weighted least-squares line, ruptures' ``CostLinear`` on ``[y | t, 1]``
(``ruptures/costs/costlinear.py``) to rounding, without a ``lstsq`` call per segment. A level jump
starts a new segment with a fresh first row, so it is not mistaken for one huge innovation.
Source: S. J. Prais, C. B. Winsten, "Trend estimators and serial correlation", Cowles Commission
discussion paper 383 (1954).
"""

from __future__ import annotations

import numpy as np
from ruptures.base import BaseCost
from ruptures.costs import NotEnoughPoints


def _rows(signal: np.ndarray, phi: float) -> tuple[np.ndarray, np.ndarray]:
    """Weighted products of the transformed rows, ``[6, n]`` each (``w·c², w·c·x, w·x², w·c·z, w·x·z,
    w·z²``): the later-point rows (column 0 unused) and the first-point rows."""
    y = signal[:, 0] - signal[:, 0].mean()
    t = signal[:, 1] - signal[0, 1]
    t = t / max(float(t[-1]), 1.0)
    w = signal[:, 2] if signal.shape[1] > 2 else np.ones(len(y))
    root = np.sqrt(1.0 - phi * phi)
    c, x, z = np.full(len(y), 1.0 - phi), t.copy(), y.copy()
    x[1:] -= phi * t[:-1]
    z[1:] -= phi * y[:-1]
    later = np.stack([w * c * c, w * c * x, w * x * x, w * c * z, w * x * z, w * z * z])
    first = np.stack([w, w * t, w * t * t, w * y, w * t * y, w * y * y]) * root**2
    return later, first


class PiecewiseLinearCost(BaseCost):
    """ruptures cost: weighted least-squares line per segment under AR(1) noise (``φ = 0``: white).

    ``fit`` takes a ``[n, 2]`` signal (columns ``y``, ``t``) or ``[n, 3]`` (``y``, ``t``, ``w``).

    Args:
        min_size: fewest points per segment.
        phi: lag-1 autocorrelation of the noise, in ``[0, 1)``.
    """

    model = "piecewise-linear"

    def __init__(self, min_size: int = 3, phi: float = 0.0):
        self.min_size = min_size
        self.phi = phi
        self.signal = None

    def fit(self, signal: np.ndarray) -> PiecewiseLinearCost:
        """Precompute prefix sums of the later-point rows (``t`` scaled to [0, 1], ``y`` centred)."""
        self.signal = signal
        later, self._first = _rows(signal, self.phi)
        self._sums = np.concatenate([np.zeros((6, 1)), np.cumsum(later, axis=1)], axis=1)
        self._sum_lists = self._sums.tolist()  # plain floats for ``error`` (Pelt's loop)
        self._first_lists = self._first.tolist()
        return self

    def errors(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Costs of the segments ``[starts[i], ends[i])`` at once (no size check)."""
        cc, cx, xx, cz, xz, zz = self._sums[:, ends] - self._sums[:, starts + 1] + self._first[:, starts]
        cc = np.maximum(cc, 1e-300)
        sxx = xx - cx * cx / cc
        sxz = xz - cx * cz / cc
        szz = zz - cz * cz / cc
        explained = np.divide(sxz * sxz, sxx, out=np.zeros_like(sxx), where=sxx > 1e-15 * xx)
        return np.maximum(szz - explained, 0.0)

    def error(self, start: int, end: int) -> float:
        """Cost of ``[start, end)`` (``errors`` on plain floats); ``NotEnoughPoints`` below ``min_size``."""
        if end - start < self.min_size:
            raise NotEnoughPoints
        cc, cx, xx, cz, xz, zz = (
            total[end] - total[start + 1] + first[start] for total, first in zip(self._sum_lists, self._first_lists)
        )
        cc = max(cc, 1e-300)
        sxx = xx - cx * cx / cc
        sxz = xz - cx * cz / cc
        szz = zz - cz * cz / cc
        return max(szz - (sxz * sxz / sxx if sxx > 1e-15 * xx else 0.0), 0.0)
