"""``PiecewiseLinearCost`` against float64 least squares on random inputs: ruptures' ``CostLinear``
(white noise) and an explicit Prais–Winsten regression (AR(1) noise)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruptures.costs import CostLinear, NotEnoughPoints

from entropy_lens.phases.cost import PiecewiseLinearCost


def reference(values: np.ndarray, steps: np.ndarray, weights: np.ndarray, start: int, end: int) -> float:
    """Weighted SSE of the best line by CostLinear on √w-scaled ``[y | t, 1]`` (lstsq, float64)."""
    root = np.sqrt(weights)
    t = (steps - steps[0]) / max(steps[-1] - steps[0], 1.0)
    signal = np.column_stack([root * values, root * t, root])
    return CostLinear().fit(signal).error(start, end)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 120),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
    sparse=st.booleans(),
    weighted=st.booleans(),
)
def test_matches_costlinear_on_random_segments(seed, n, scale, sparse, weighted):
    rng = np.random.default_rng(seed)
    steps = np.cumsum(rng.integers(1, 6, n)) if sparse else np.arange(n)
    values = scale * (rng.standard_normal(n).cumsum() + 3.0)
    weights = rng.uniform(0.1, 4.0, n) if weighted else np.ones(n)
    cost = PiecewiseLinearCost(min_size=3).fit(np.column_stack([values, steps, weights]))
    starts = rng.integers(0, n - 3, 10)
    ends = np.minimum(starts + rng.integers(3, n, 10), n)
    expected = np.array([reference(values, steps.astype(float), weights, s, e) for s, e in zip(starts, ends)])
    tolerance = 1e-9 * (scale**2) * n + 1e-12
    np.testing.assert_allclose(cost.errors(starts, ends), expected, rtol=1e-7, atol=tolerance)
    np.testing.assert_allclose([cost.error(s, e) for s, e in zip(starts, ends)], expected, rtol=1e-7, atol=tolerance)


def prais_winsten(values, steps, weights, phi: float, start: int, end: int) -> float:
    """Weighted SSE of the AR(1) GLS line on ``[start, end)``: explicit transformed rows, ``lstsq``."""
    y, t, w = values[start:end], steps[start:end], weights[start:end]
    root = np.sqrt(1.0 - phi**2)
    design = np.vstack([[root, root * t[0]], np.column_stack([np.full(len(y) - 1, 1.0 - phi), t[1:] - phi * t[:-1]])])
    response = np.concatenate([[root * y[0]], y[1:] - phi * y[:-1]])
    scale = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * scale[:, None], response * scale, rcond=None)
    return float(np.sum(w * (response - design @ coef) ** 2))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 120),
    phi=st.sampled_from([0.0, 0.3, 0.7, 0.95]),
    sparse=st.booleans(),
    weighted=st.booleans(),
)
def test_matches_prais_winsten_under_ar1_noise(seed, n, phi, sparse, weighted):
    rng = np.random.default_rng(seed)
    steps = (np.cumsum(rng.integers(1, 6, n)) if sparse else np.arange(n)).astype(float)
    values = rng.standard_normal(n).cumsum() + 3.0
    weights = rng.uniform(0.1, 4.0, n) if weighted else np.ones(n)
    cost = PiecewiseLinearCost(min_size=3, phi=phi).fit(np.column_stack([values, steps, weights]))
    starts = rng.integers(0, n - 3, 10)
    ends = np.minimum(starts + rng.integers(3, n, 10), n)
    expected = [prais_winsten(values, steps, weights, phi, s, e) for s, e in zip(starts, ends)]
    np.testing.assert_allclose(cost.errors(starts, ends), expected, rtol=1e-7, atol=1e-9 * n)
    np.testing.assert_allclose([cost.error(s, e) for s, e in zip(starts, ends)], expected, rtol=1e-7, atol=1e-9 * n)


def test_two_columns_mean_unit_weights_and_a_line_costs_nothing():
    steps = np.arange(20.0)
    values = 0.5 + 0.25 * steps  # a straight line: residual 0
    cost = PiecewiseLinearCost().fit(np.column_stack([values, steps]))
    assert cost.error(0, 20) == pytest.approx(0.0, abs=1e-12)
    noisy = values + np.r_[0.1, -0.1] .repeat(10)  # +0.1 on the first half, -0.1 on the second
    cost = PiecewiseLinearCost().fit(np.column_stack([noisy, steps]))
    assert cost.error(0, 10) == pytest.approx(0.0, abs=1e-12)  # a constant offset is still a line
    assert cost.error(0, 20) > 0.0


def test_too_short_segment_raises_not_enough_points():
    cost = PiecewiseLinearCost(min_size=3).fit(np.column_stack([np.arange(10.0), np.arange(10.0)]))
    with pytest.raises(NotEnoughPoints):
        cost.error(4, 6)
