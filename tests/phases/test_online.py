"""``OnlineEruptionDetector``: alarms within 5 steps of planted onsets, ≤ 1 false alarm per 1,000 stable steps."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_lens.phases import OnlineEruptionDetector, find_phases
from entropy_lens.phases.online import HISTORY
from entropy_lens.synthetic import planted_eruption


def alarms_of(steps, values, detector=None):
    detector = detector or OnlineEruptionDetector()
    return [alarm for step, value in zip(steps, values) if (alarm := detector.update(int(step), float(value)))]


def delays_of(seed, **noise):
    """Alarm step minus planted onset step for each planted eruption of one run (None: missed)."""
    curves, truth = planted_eruption(600, seed, n_cycles=3, **noise)
    alarms = alarms_of(curves["step"], curves["entropy"])
    delays = []
    for cycle in truth.cycles:
        hits = [a.step - (cycle.onset + 1) for a in alarms if cycle.onset - 4 <= a.step <= cycle.end + 1]
        delays.append(min(hits) if hits else None)
    return delays, alarms, truth


def test_alarm_soon_after_planted_onsets():
    """Every planted eruption is flagged once, 1–8 steps after its onset, most (bench: 90%) within 5; the onset
    reported is ``find_phases``' (within 3 steps of the planted one)."""
    delays = []
    for seed in range(5):
        found, alarms, truth = delays_of(seed, noise=0.1)
        assert len(alarms) == 3 and all(d is not None and 1 <= d <= 8 for d in found), (seed, found)
        delays += found
        for alarm, cycle in zip(alarms, truth.cycles):
            assert abs(alarm.onset_step - (cycle.onset + 1)) <= 3
            assert alarm.value > alarm.baseline + 2 * alarm.sigma and alarm.score > OnlineEruptionDetector().threshold
    assert np.mean([d <= 5 for d in delays]) >= 0.75, delays


@pytest.mark.parametrize(
    "noise", [dict(noise_phi=0.5), dict(spike_rate=0.03), dict(noise_df=3.0)], ids=["AR(0.5)", "spikes", "t(3)"]
)
def test_correlated_noise_and_spikes_still_alarm_soon(noise):
    delays = [d for seed in range(4) for d in delays_of(seed, noise=0.1, **noise)[0]]
    assert all(d is not None and d <= 8 for d in delays), delays
    assert np.mean([d <= 5 for d in delays]) >= 0.75, delays


@pytest.mark.parametrize("seed", range(3))
def test_alarms_agree_with_the_offline_labels_of_the_same_points(seed):
    """One definition: each alarm's onset is the newest eruption onset of ``find_phases`` on the points
    the detector had (the whole prefix: fewer than ``HISTORY``), and every eruption ``find_phases``
    labels in the whole run after the warm-up was flagged at its onset."""
    curves, _ = planted_eruption(600, seed, n_cycles=3, noise=0.1)
    steps, values = curves["step"].to_numpy(), curves["entropy"].to_numpy()
    alarms = alarms_of(steps, values)
    for alarm in alarms:
        end = int(np.searchsorted(steps, alarm.step)) + 1
        prefix = find_phases(steps[max(end - HISTORY, 0) : end], values[max(end - HISTORY, 0) : end])
        assert end < HISTORY and alarm.onset_step == prefix.cycles[-1].onset_step
    offline = [c.onset_step for c in find_phases(steps, values).cycles]
    assert len(offline) == len(alarms) == 3
    assert all(abs(a.onset_step - o) <= 2 for a, o in zip(alarms, offline)), (alarms, offline)


def test_at_most_one_false_alarm_per_thousand_stable_steps():
    false, steps = 0, 0
    for seed, noise in enumerate(
        [dict(drift=0.3), dict(spike_rate=0.03, drift=0.3), dict(noise_phi=0.7, noise_df=3.0, noise=0.17)] * 2
    ):
        curves, _ = planted_eruption(4000, seed, n_cycles=0, descent=0, **({"noise": 0.1} | noise))
        false, steps = false + len(alarms_of(curves["step"], curves["entropy"])), steps + 4000
    assert false <= steps / 1000


def test_quiet_through_an_opening_descent_and_ignores_nan():
    values = np.r_[np.linspace(1.2, 0.4, 80), np.full(200, 0.4)] + 0.02 * np.random.default_rng(2).standard_normal(280)
    values[[50, 51, 150]] = np.nan
    assert alarms_of(np.arange(280), values) == []


def test_rearms_after_a_plateau_that_never_decays():
    rng = np.random.default_rng(3)
    values = np.r_[np.full(60, 0.3), np.full(120, 1.5), np.full(60, 3.0)] + 0.03 * rng.standard_normal(240)
    alarms = alarms_of(np.arange(240), values)
    assert [a.onset_step for a in alarms] == pytest.approx([60, 180], abs=1)


def test_sparse_logging_uses_the_steps():
    curves, truth = planted_eruption(1500, 0, every=5, rise=40, decay=200, descent=150, noise=0.1)
    alarms = alarms_of(curves["step"], curves["entropy"])
    onsets = [cycle.onset + 1 for cycle in truth.cycles]
    # logged every 5 steps, the 40-step rise is 8 points: flagged within 6 logged points
    assert len(alarms) == 2 and all(0 < a.step - onset <= 30 for a, onset in zip(alarms, onsets))
    assert all(abs(a.onset_step - onset) <= 10 for a, onset in zip(alarms, onsets))


def test_noise_scale_comes_from_the_long_history_of_differences_under_student_t_noise():
    """σ_e from 300 differences, not one window's 49: every alarm's σ is within 15% of the
    float64 value ``1.4826·MAD(Δx)/√2`` of a million draws (one window's estimate is off by up to ×2)."""
    draws = np.diff(0.1 * np.random.default_rng(99).standard_t(3.0, 1_000_000))
    truth = 1.4826 * np.median(np.abs(draws - np.median(draws))) / np.sqrt(2.0)
    for seed in range(10):
        rng = np.random.default_rng(seed)
        values = 0.45 + 0.1 * rng.standard_t(3.0, 420) + np.r_[np.zeros(400), 0.15 * np.arange(1, 21)]
        alarms = alarms_of(np.arange(420), values)
        assert 400 < alarms[-1].step <= 406, (seed, alarms)
        assert alarms[-1].sigma == pytest.approx(truth, rel=0.15), seed


def test_a_spike_at_the_newest_point_is_not_an_eruption_but_two_points_up_are():
    """``medians_confirm``'s end window holds the last 3 points: the Hampel filter cannot remove a spike
    at the newest point (it has no neighbour after it), so one point up is not confirmed; two of the
    last three up are (before this, a lone spike at the end read as an eruption: 1.9 false alarms
    per 1,000 steps with 3% spikes)."""
    rng = np.random.default_rng(5)
    values = 0.45 + 0.03 * rng.standard_normal(100)
    spiked = values.copy()
    spiked[-1] += 0.6
    assert find_phases(np.arange(100), spiked).cycles == []
    risen = values.copy()
    risen[-2:] += 0.6
    assert [c.onset_step for c in find_phases(np.arange(100), risen).cycles] == [97]
