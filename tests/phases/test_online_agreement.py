"""``watch`` and ``phases`` on the real runs of the hand readings: one definition of an eruption.

On the same prefix the two agree by construction: every alarm's onset is the newest eruption onset of
``find_phases`` on the points logged up to the alarm. Against ``find_phases`` on the whole run (which
has seen what came after) the agreement is measured both ways with ``scoring.agreement`` and held to
what docs/phases.md reports (bench/phases_eval.py section 5).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from entropy_lens import read_run
from entropy_lens.phases import OnlineEruptionDetector, find_phases
from entropy_lens.phases.scoring import AGREEMENT_POINTS, Agreement, agreement, watch_agreement
from entropy_lens.phases.signal import prepare
from test_real_readings import READINGS

#: Runs up to this many points (58 of the 70; the longer ones take minutes each on CI).
MAX_POINTS = 300


@pytest.fixture(scope="module")
def series(external) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every reading's entropy series of at most ``MAX_POINTS`` points, prepared."""
    found = []
    for reading in json.loads(READINGS.read_text())["readings"]:
        table = read_run(external / reading["file"], run=reading["run"]).series(reading["metric"])
        prepared = prepare(table["step"].to_numpy(), table["value"].to_numpy())
        if prepared.n <= MAX_POINTS:
            found.append((prepared.steps, prepared.values))
    return found


def test_agreement_counts_onsets_within_the_window():
    steps = np.arange(0, 200, 2)  # logged every 2 steps: the window counts logged points
    found = agreement(steps, [60, 120 + 2 * AGREEMENT_POINTS + 2], [60 + 2 * AGREEMENT_POINTS, 120, 10], warmup=20)
    assert found == Agreement(alarms=2, matched=1, eruptions=2, raised=1)  # the eruption at step 10 is in the warm-up
    assert found + found == Agreement(4, 2, 4, 2)


@pytest.mark.slow
def test_every_alarm_is_the_newest_eruption_of_its_own_prefix(series):
    checked = 0
    for steps, values in series:
        detector = OnlineEruptionDetector()
        for step, value in zip(steps, values):
            alarm = detector.update(int(step), float(value))
            if alarm is not None:
                end = int(np.searchsorted(steps, alarm.step)) + 1
                assert find_phases(steps[:end], values[:end]).cycles[-1].onset_step == alarm.onset_step
                checked += 1
    assert checked >= 15


@pytest.mark.slow
def test_alarms_and_whole_run_eruptions_agree_both_ways(series):
    """docs/phases.md: on the 58 runs of at most 300 points, 10 of 17 alarms are eruptions of the
    whole run and 10 of its 22 eruptions after the warm-up get an alarm; the rest are rises the
    prefix reads differently from the whole run (hindsight) or that the ramp statistic never looks at."""
    total = sum((watch_agreement(steps, values) for steps, values in series), Agreement(0, 0, 0, 0))
    assert len(series) == 58
    assert total.matched >= 10 and total.alarms - total.matched <= 7, total
    assert total.raised >= 10 and total.eruptions == 22, total
