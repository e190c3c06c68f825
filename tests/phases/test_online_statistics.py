"""Reference tests for the online alarm's statistics: each against a float64 brute-force definition."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_lens.phases.ramp import influence, ramp_statistic, robust_correlation


def ramp_statistic_by_least_squares(steps, z, phi, min_run):
    """Per kink: fit ``z ≈ b·g`` by ``lstsq``; ``T = sign(b)·√(RSS₀ − RSS₁)`` (the Gaussian GLR)."""
    best = (-np.inf, 0)
    for kink in range(len(z) + 1 - min_run):
        rise = [max(float(s - steps[kink]), 0.0) for s in steps[1:]]
        shape = np.array([rise[0]] + [rise[t] - phi * rise[t - 1] for t in range(1, len(rise))])
        (b,), *_ = np.linalg.lstsq(shape[:, None], z, rcond=None)
        statistic = np.sign(b) * np.sqrt(max(z @ z - np.sum((z - b * shape) ** 2), 0.0))
        if statistic > best[0]:
            best = (statistic, kink)
    return best


@pytest.mark.parametrize("seed", range(20))
def test_ramp_statistic_matches_least_squares_on_random_inputs(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 14))
    steps = np.cumsum(rng.integers(1, 6, m + 1)).astype(float)  # gaps: sparse logging
    z = rng.standard_normal(m) + rng.uniform(0, 1) * np.arange(m)
    phi, min_run = float(rng.uniform(0, 0.9)), int(rng.integers(1, 3))
    statistic, kink = ramp_statistic(steps, z, phi, min_run)
    expected, expected_kink = ramp_statistic_by_least_squares(steps, z, phi, min_run)
    assert statistic == pytest.approx(expected, rel=1e-9, abs=1e-9) and kink == expected_kink


def test_ramp_statistic_needs_min_run_points():
    assert ramp_statistic(np.arange(3.0), np.ones(2), 0.0, 3) == (-np.inf, 0)
    # one point after a kink at step 0: T = z; phi does not change a one-point ramp
    assert ramp_statistic(np.array([0.0, 1.0]), np.array([2.5]), 0.6, 1) == (pytest.approx(2.5), 0)


def test_influence_clips_lone_values_and_keeps_sustained_runs():
    z = np.array([5.0, -5.0, 1.0, 2.5, 2.5, 2.5, 9.0, 1.0, 2.5, 2.5])
    psi = influence(z, cap=3.0, run=3, run_floor=2.0, run_cap=8.0)
    # the lone 5 and −5 are clipped; the run of four values above 2 keeps 9 up to 8; a run of 2 is not sustained
    np.testing.assert_array_equal(psi, [3.0, -3.0, 1.0, 2.5, 2.5, 2.5, 8.0, 1.0, 2.5, 2.5])


def test_robust_correlation_matches_pearson_on_gaussian_pairs_and_ignores_outliers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(20000)
    y = 0.6 * x + 0.8 * rng.standard_normal(20000)
    assert robust_correlation(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=0.02)
    y[rng.random(20000) < 0.02] += 50.0  # 2% gross outliers: Pearson collapses, the robust one barely moves
    assert np.corrcoef(x, y)[0, 1] < 0.2 and robust_correlation(x, y) == pytest.approx(0.6, abs=0.05)
    assert robust_correlation(np.zeros(5), np.zeros(5)) == 0.0
