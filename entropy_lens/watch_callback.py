"""``watch`` inside training: a ``transformers`` / TRL ``TrainerCallback`` that raises the eruption
alarm into the trainer's own logs.

TRL's ``GRPOTrainer`` (and the other TRL trainers that compute it) logs the mean token entropy of
its completions under ``entropy`` at every logging step. ``EruptionCallback`` feeds that value into
``phases.OnlineEruptionDetector`` — the same detector, and so the same definition of an eruption,
as ``entropy-lens watch`` and ``entropy-lens phases`` — and, when an eruption starts, adds
``entropy_lens/eruption_onset`` (the onset step), ``entropy_lens/eruption_baseline`` and
``entropy_lens/eruption_value`` to that log record (so W&B, TensorBoard and ``trainer_state.json``
carry it) and warns through ``transformers``' logger::

    from entropy_lens.watch_callback import EruptionCallback
    trainer = GRPOTrainer(..., callbacks=[EruptionCallback()])

This module imports ``transformers`` (the ``model`` extra); nothing else in ``entropy_lens``
imports this module, so the rest of the package does not need it.
"""

from __future__ import annotations

import math

from transformers import TrainerCallback
from transformers.utils import logging

from entropy_lens.phases.online import Alarm, OnlineEruptionDetector

LOGGER = logging.get_logger("entropy_lens")

#: Keys the callback adds to the log record of the step where an eruption starts.
ONSET_KEY, BASELINE_KEY, VALUE_KEY = (
    "entropy_lens/eruption_onset",
    "entropy_lens/eruption_baseline",
    "entropy_lens/eruption_value",
)


def alarm_record(alarm: Alarm) -> dict[str, float]:
    """The keys an alarm adds to the trainer's log record."""
    return {ONSET_KEY: alarm.onset_step, BASELINE_KEY: alarm.baseline, VALUE_KEY: alarm.value}


def alarm_message(metric: str, alarm: Alarm) -> str:
    """The warning line, as ``entropy-lens watch`` prints it."""
    rise = (alarm.value - alarm.baseline) / alarm.sigma if alarm.sigma > 0 else math.inf
    return (
        f"step {alarm.step}: {metric} eruption started at step {alarm.onset_step} "
        f"({alarm.baseline:.3g} → {alarm.value:.3g}, +{rise:.1f}σ)"
    )


class EruptionCallback(TrainerCallback):
    """Flags entropy eruptions while training (``on_log``); ``alarms`` lists every ``Alarm`` so far.

    Args:
        metric: the log key to follow (``entropy`` in TRL's trainers).
        detector: the online detector (a fresh ``OnlineEruptionDetector`` by default).
    """

    def __init__(self, metric: str = "entropy", detector: OnlineEruptionDetector | None = None) -> None:
        self.metric, self.detector, self.alarms = metric, detector or OnlineEruptionDetector(), []

    def on_log(self, args, state, control, logs=None, **kwargs):
        value = (logs or {}).get(self.metric)
        if value is None or not math.isfinite(float(value)):
            return
        alarm = self.detector.update(int(state.global_step), float(value))
        if alarm is None:
            return
        self.alarms.append(alarm)
        record = alarm_record(alarm)
        logs.update(record)  # the callbacks after this one (W&B, TensorBoard) log it with the step
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(record)  # and trainer_state.json keeps it
        LOGGER.warning(alarm_message(self.metric, alarm))
