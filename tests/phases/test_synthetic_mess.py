"""The messy-log options of ``planted_eruption`` and the ``planted_collapse`` generator."""

from __future__ import annotations

import numpy as np

from entropy_lens.synthetic import planted_collapse, planted_eruption


def test_default_curves_are_unchanged_by_the_new_options():
    plain, truth = planted_eruption(300, 5)
    same, same_truth = planted_eruption(300, 5, drift=0.0, spike_rate=0.0, missing=0.0, every=1)
    assert plain.equals(same) and truth == same_truth


def test_drift_spikes_gaps_and_sparse_logging():
    base, truth = planted_eruption(400, 2)
    messy, messy_truth = planted_eruption(400, 2, drift=0.5, spike_rate=0.05, missing=0.1, every=4)
    assert messy_truth == truth
    assert messy["step"].to_list() == list(range(4, 401, 4))
    entropy = messy["entropy"].to_numpy()
    assert 0 < np.isnan(entropy).sum() < 40
    shift = np.nanmedian(entropy[-20:]) - np.median(base["entropy"].to_numpy()[-80:])
    assert 0.35 < shift < 0.65  # the drift reaches +0.5 at the end
    spiky, _ = planted_eruption(400, 2, spike_rate=0.05)
    jumps = spiky["entropy"].to_numpy() - base["entropy"].to_numpy()
    assert np.all((jumps == 0) | np.isclose(jumps, 0.6))  # half of the 1.2 amplitude


def test_stable_truth_without_cycles_or_descent():
    _, truth = planted_eruption(300, 0, n_cycles=0, descent=0)
    assert truth.pattern == "stable" and truth.cycles == []
    _, truth = planted_eruption(300, 0, n_cycles=0)
    assert truth.pattern == "collapse"  # the opening descent 1.1 → 0.45 is kept


def test_planted_collapse_falls_towards_its_floor_with_level_dependent_noise():
    curves, truth = planted_collapse(1000, 0, start_level=0.4, floor=0.02, noise=0.1)
    entropy = curves["entropy"].to_numpy()
    assert truth.pattern == "collapse" and truth.cycles == [] and truth.breakpoints == [1000]
    assert np.median(entropy[:20]) > 0.3 and np.median(entropy[-100:]) < 0.03
    assert np.std(np.diff(entropy[:100])) > 5 * np.std(np.diff(entropy[-100:]))


def test_student_t_noise_has_the_stated_std():
    flat, _ = planted_eruption(20000, 5, n_cycles=0, descent=0, baseline=5.0, noise=0.1, noise_df=3.0)
    assert abs(float(np.std(flat["entropy"].to_numpy())) - 0.1) < 0.01  # t(3) alone would give 0.1·√3
