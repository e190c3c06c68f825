"""Online eruption alarm: ``find_phases`` on the run so far, looked at when a ramp statistic rises.

One definition of an eruption: whether there is one, and where it starts, is decided by ``phases``
itself — ``find_phases`` on the points logged so far (the newest ``HISTORY``: the whole prefix of any
run up to that length). An alarm is raised when the newest eruption of those labels starts within the
span the statistic tested (after the last alarm); it carries the offline onset. ``watch`` never
flags what ``phases`` would not label on the same prefix. The confirmation delay is ``find_phases``'
own: it labels a rise once its segments and medians show it at the series' end (3–5 points into a
ramp of 1.5σ per step; docs/phases.md).

Labelling the prefix costs 5–230 ms, so it is not done at every point: a robust ramp statistic
(``ramp.ramp_statistic`` on the newest ``span`` points against the in-control ``reference``) says
*when* to look — whenever it exceeds ``threshold``. After an alarm the detector is quiet until the
level has fallen half-way back or ``refractory`` points have passed, then restarts its reference from
the latest points, so an explosion that follows a slow rise is flagged again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from entropy_lens.errors import NotEnoughSteps
from entropy_lens.phases.detect import find_phases
from entropy_lens.phases.ramp import influence, ramp_statistic
from entropy_lens.phases.reference import ReferenceWindow

HISTORY = 5000  #: newest points ``find_phases`` labels when the ramp statistic triggers


@dataclass(frozen=True)
class Alarm:
    """An eruption's onset, flagged while the run is logging."""

    step: int  #: the step at which the alarm was raised
    onset_step: int  #: first step of the rise, as ``find_phases`` places it on the points so far
    value: float  #: the value at ``step``
    baseline: float  #: the reference trend's prediction at ``step``
    sigma: float  #: the reference's noise σ (marginal)
    score: float  #: the ramp statistic ``max_k T_k`` when it fired (in standard deviations)


class OnlineEruptionDetector:
    """Feed points one at a time with ``update``; it returns an ``Alarm`` when ``find_phases`` on the
    points so far labels a new eruption.

    Args:
        threshold: level of the ramp statistic (standard deviations) above which the points so far
            are labelled by ``find_phases``, which decides.
        cap: ``ψ`` clips a lone standardised innovation to ``±cap``.
        run, run_floor, run_cap: innovations in a run of at least ``run`` consecutive values above
            ``run_floor`` keep up to ``run_cap``.
        window: reference points kept (trend, level, φ); σ_e is fitted on ``BLOCKS·window`` differences.
        span: newest points tested for a ramp (they join the reference when older).
        warmup: points needed before any alarm (and kept when the reference restarts).
        min_run: fewest points of a ramp that can raise the statistic.
        refractory: most points an alarm silences the detector for.
    """

    def __init__(
        self,
        *,
        threshold: float = 3.0,
        cap: float = 3.0,
        run: int = 3,
        run_floor: float = 2.0,
        run_cap: float = 8.0,
        window: int = 50,
        span: int = 8,
        warmup: int = 20,
        min_run: int = 2,
        refractory: int = 20,
    ):
        self.threshold, self.cap, self.run, self.run_floor, self.run_cap = threshold, cap, run, run_floor, run_cap
        self.window, self.span, self.warmup, self.min_run, self.refractory = window, span, warmup, min_run, refractory
        self._recent: deque[tuple[int, float]] = deque(maxlen=warmup)
        self._reference = ReferenceWindow(window, self._psi)
        self._tested: deque[tuple[int, float]] = deque()
        self._erupting: tuple[float, float, int] | None = None  # (baseline, peak, points since alarm)
        self._history: deque[tuple[int, float]] = deque(maxlen=HISTORY)
        self._alarmed = -np.inf  #: step of the last alarm

    def update(self, step: int, value: float) -> Alarm | None:
        """Take the next logged point; return an ``Alarm`` when an eruption is labelled here."""
        if not np.isfinite(value):
            return None
        point = (int(step), float(value))
        self._history.append(point)
        if self._recent and self._erupting is None:
            self._reference.diffs.append(point[1] - self._recent[-1][1])
        self._recent.append(point)
        if self._erupting is not None:
            self._follow(point[1])
            return None
        self._tested.append(point)
        if len(self._tested) > self.span or len(self._reference.points) < self.warmup:
            self._reference.add(self._tested.popleft())
        if len(self._reference.points) < self.warmup or not self._tested:
            return None
        return self._test()

    def _psi(self, z: np.ndarray) -> np.ndarray:
        return influence(z, cap=self.cap, run=self.run, run_floor=self.run_floor, run_cap=self.run_cap)

    def _test(self) -> Alarm | None:
        """The ramp statistic on the tested span; above ``threshold``, ``find_phases`` decides."""
        model = self._reference.model()
        steps, values = (np.array(c, dtype=float) for c in zip(*[self._reference.points[-1], *self._tested]))
        expected = model.expected(steps)
        residuals = values - expected
        z = (residuals[1:] - model.phi * residuals[:-1]) / model.sigma_e
        score = ramp_statistic(steps, self._psi(z), model.phi, self.min_run)[0] / np.sqrt(model.kappa)
        if score <= self.threshold:
            return None
        onset = self._labelled_onset(float(steps[0]))
        if onset is None:
            return None
        baseline, value = float(expected[-1]), float(values[-1])
        alarm = Alarm(int(steps[-1]), onset, value, baseline, model.sigma, float(score))
        self._alarmed, self._erupting = alarm.step, (baseline, value, 0)
        self._tested.clear()
        return alarm

    def _labelled_onset(self, since: float) -> int | None:
        """Onset step of the newest eruption ``find_phases`` labels in the points so far, if it starts
        at or after step ``since`` (the tested span: the rise the statistic saw) and after the last
        alarm; ``None`` otherwise."""
        steps, values = (np.array(column) for column in zip(*self._history))
        try:
            cycles = find_phases(steps, values).cycles
        except NotEnoughSteps:
            return None
        onset = cycles[-1].onset_step if cycles else None
        return onset if onset is not None and onset >= since and onset > self._alarmed else None

    def _follow(self, value: float) -> None:
        """Track the eruption's peak; re-arm once it has fallen half-way or ``refractory`` points passed."""
        baseline, peak, since = self._erupting
        peak, since = max(peak, value), since + 1
        if value <= baseline + 0.5 * (peak - baseline) or since >= self.refractory:
            self._erupting = None
            self._reference.restart(self._recent)
        else:
            self._erupting = (baseline, peak, since)
