"""The penalised piecewise-linear search, its binned fast path and the local ramp fit."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_lens.phases.segment import breakpoints, fit_lines, penalty, pelt, ramp, weighted_signal
from entropy_lens.phases.signal import Noise, noise_of, prepare
from entropy_lens.synthetic import planted_eruption


def planted(n: int, **options):
    curves, truth = planted_eruption(n, 4, **options)
    series = prepare(curves["step"].to_numpy(), curves["entropy"].to_numpy())
    return series, truth


def test_penalty_is_bic_on_the_innovation_variance():
    white = penalty(Noise(0.1, 0.0), 300)
    assert white == pytest.approx(3 * 0.01 * np.log(300))
    assert penalty(Noise(0.1, 0.5), 300) == pytest.approx(0.75 * white)  # σ²(1 − φ²)
    assert penalty(Noise(0.1, 0.9), 300) == pytest.approx(0.19 * white)
    assert penalty(Noise(0.1, 0.0), 300, sensitivity=2.0) == pytest.approx(white / 2)


def test_pelt_finds_the_planted_ramp_and_decay_breakpoints():
    series, truth = planted(300, noise=0.03)
    bkps = breakpoints(series.steps, series.clean, series.spread, noise_of(series.clean))
    for cycle in truth.cycles:
        assert min(abs(b - cycle.onset) for b in bkps) <= 2
        assert min(abs(b - (cycle.peak + 1)) for b in bkps) <= 2
    assert bkps[-1] == series.n


def test_binned_search_places_breakpoints_at_full_resolution():
    series, truth = planted(6000, n_cycles=3, rise=60, decay=300, descent=300, noise=0.05)
    bkps = breakpoints(series.steps, series.clean, series.spread, noise_of(series.clean), max_points=600)
    exact = [c.onset for c in truth.cycles] + [c.peak + 1 for c in truth.cycles]
    for position in exact:
        assert min(abs(b - position) for b in bkps) <= 6  # bins are 10 points wide
    assert any(b % 10 for b in bkps[:-1])  # not only bin edges


def test_flat_noise_has_no_breakpoint():
    rng = np.random.default_rng(0)
    values = 0.4 + 0.05 * rng.standard_normal(400)
    series = prepare(np.arange(400), values)
    assert breakpoints(series.steps, series.clean, series.spread, noise_of(series.clean)) == [400]


def test_ramp_recovers_a_rise_the_search_merged_into_a_jump():
    rng = np.random.default_rng(2)
    values = np.concatenate([np.full(40, 0.5), np.linspace(0.5, 1.5, 9)[1:], np.linspace(1.5, 0.6, 50)])
    values += 0.02 * rng.standard_normal(len(values))
    signal = weighted_signal(np.arange(len(values)), values, np.ones(len(values)))
    onset, top = ramp(signal, 0, 44, len(values), 10)
    assert abs(onset - 40) <= 1 and abs(top - 47) <= 1


def test_fit_lines_levels_follow_each_segment():
    steps = np.arange(0, 40, 2)  # logged every 2 steps
    values = np.where(steps < 20, 1.0, 1.0 + 0.1 * (steps - 20))
    lines = fit_lines(steps, values, np.ones(len(steps)), [10, 20])
    assert lines[0].level_start == pytest.approx(1.0) and lines[0].slope == pytest.approx(0.0, abs=1e-12)
    assert lines[1].slope == pytest.approx(0.1) and lines[1].level_end == pytest.approx(2.8)


def test_pelt_on_a_tiny_series_returns_one_segment():
    values = np.array([1.0, 2.0, 1.0, 2.0, 1.0])
    assert breakpoints(np.arange(5), values, np.ones(5), Noise(0.1, 0.0)) == [5]
    assert pelt(weighted_signal(np.arange(5), values, np.ones(5)), pen=1e6) == [5]
