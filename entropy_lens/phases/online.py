"""Online eruption alarm: a robust generalised likelihood-ratio test for a ramp in AR(1) noise.

The in-control reference is the ``window`` points before the newest ``span``; the newest
``span`` points are tested for a ramp that starts at one of them (or at the reference's last
point). The reference's robust line (the medians of its older and newer halves joined; flat
unless it moves by ``TREND_SIGMAS`` σ; when it falls, the median of its ``LATEST`` newest points
instead, so a descent is not projected forward) predicts each tested point ``x`` as ``p``, and
its AR(1) noise (``phi``, innovation σ_e) turns the residuals ``r = x − p`` into standardised
innovations ``z_t = (r_t − φ·r_{t−1}) / σ_e``, independent from step to step when nothing happens.

A ramp starting after point ``k`` adds ``s·m_t`` to the residuals (``m_t = step_t − step_k``), so
``s·g_t`` to the innovations with ``g_t = m_t − φ·m_{t−1}``. The likelihood ratio against "no
ramp", maximised over the rate ``s``, is the matched filter ``T_k = Σ g·ψ(z) / √(κ·Σ g²)``
(Gaussian innovations: ``T_k²`` is the drop in residual sum of squares); the alarm is raised when
``max_k T_k > threshold``, with its onset the ramp's first point. ``ψ`` keeps one heavy-tailed
value or spike from raising it: ``z`` is clipped to ``±cap``, except points in a run of at least
``run`` consecutive values above ``run_floor`` (a ramp climbs; noise rarely stays high), which
keep up to ``run_cap``. ``κ = E[ψ(u)²]`` over the reference's own standardised innovations makes
``T_k`` unit-variance whatever the tails (the score-test variance of an M-estimator: Huber,
Robust Statistics, 1981, §3.2; the ramp GLR: Lai, "Sequential changepoint detection in quality
control and dynamical systems", JRSS B 57, 1995).

``φ`` is the Gnanadesikan–Kettenring robust lag-1 correlation (Biometrics 28, 1972) of the line's
residuals pooled over this reference and the last ``BLOCKS`` stored ones; ``σ_e = MAD(Δx)·√((1 + φ)/2)``
(AR(1): ``Var Δx = 2σ²(1 − φ)``) over the last ``BLOCKS · window`` differences logged outside
eruptions (one window's estimates are off by ±0.15 in φ and ×2 in σ_e). After an alarm the detector
is quiet until the level has fallen half-way back or ``refractory`` points have passed, then restarts
its reference from the latest points, so an explosion that follows a slow rise is flagged again.

One definition of an eruption: the statistic only says *when* to look; *whether* there is an
eruption is decided by ``phases`` itself — ``find_phases`` on the newest ``HISTORY`` points. The
alarm is raised when those offline labels hold an eruption that starts in the tested span (after the
last one flagged), with the offline onset: ``watch`` never flags what ``phases`` would not label.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from entropy_lens.errors import NotEnoughSteps
from entropy_lens.phases.detect import find_phases
from entropy_lens.phases.signal import MAD_TO_SIGMA

REFRESH = 5  #: new reference points before the reference model is fitted again
LATEST = 5  #: newest reference points whose median is the level of a falling reference
TREND_SIGMAS = 4.0  #: a reference line that moves less than this many σ over its span is flat
BLOCKS = 6  #: past references whose residuals are pooled to estimate φ and κ
MAX_PHI = 0.9  #: largest lag-1 correlation the noise model takes
HISTORY = 150  #: newest points ``find_phases`` labels when the ramp statistic triggers


@dataclass(frozen=True)
class Alarm:
    """An eruption's onset, flagged while the run is logging."""

    step: int  #: the step at which the alarm was raised
    onset_step: int  #: first step of the rise that set it off
    value: float  #: the value at ``step``
    baseline: float  #: the reference trend's prediction at ``step``
    sigma: float  #: the reference's noise σ (marginal)
    score: float  #: the ramp statistic ``max_k T_k`` when it fired (in standard deviations)


def robust_scale(x: np.ndarray) -> float:
    """Normal-consistent MAD of ``x`` (σ for Gaussian data)."""
    return MAD_TO_SIGMA * float(np.median(np.abs(x - np.median(x))))


def robust_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Gnanadesikan–Kettenring correlation ``(S(x+y)² − S(x−y)²) / (S(x+y)² + S(x−y)²)``, S the
    MAD scale: near Pearson's on Gaussian pairs, barely moved by a few outlying pairs."""
    plus, minus = robust_scale(x + y) ** 2, robust_scale(x - y) ** 2
    return (plus - minus) / (plus + minus) if plus + minus > 0 else 0.0


def influence(z: np.ndarray, *, cap: float, run: int, run_floor: float, run_cap: float) -> np.ndarray:
    """``ψ(z)`` ``[m]``: ``z`` clipped to ``±cap``, but points in a run of at least ``run``
    consecutive values above ``run_floor`` are clipped at ``run_cap`` only."""
    edges = np.flatnonzero(np.diff(np.r_[0, (z > run_floor).astype(np.int8), 0]))
    sustained = np.zeros(len(z), dtype=bool)
    for start, end in zip(edges[::2], edges[1::2]):
        sustained[start:end] = end - start >= run
    return np.where(sustained, np.minimum(z, run_cap), np.clip(z, -cap, cap))


def ramp_statistic(steps: np.ndarray, z: np.ndarray, phi: float, min_run: int) -> tuple[float, int]:
    """Matched filter for a ramp in AR(1) innovations, maximised over where it starts.

    Args:
        steps: ``[m + 1]`` steps: the point before the tested ones, then the ``m`` tested points.
        z: ``[m]`` (transformed) standardised innovations of the tested points.
        phi: the noise's lag-1 correlation.
        min_run: fewest tested points a ramp may have.

    Returns:
        ``(max_k T_k, k)``: the statistic and the ramp's last flat point (index into ``steps``);
        ``(-inf, 0)`` when no ramp has ``min_run`` points.
    """
    kinks = steps[: len(z) + 1 - min_run]
    if len(kinks) == 0:
        return -np.inf, 0
    ramp = np.clip(steps[None, 1:] - kinks[:, None], 0.0, None)  # [K, m] rise since each kink
    shape = ramp.copy()
    shape[:, 1:] -= phi * ramp[:, :-1]
    statistic = (shape @ z) / np.sqrt((shape * shape).sum(axis=1))
    best = int(np.argmax(statistic))
    return float(statistic[best]), best


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


class OnlineEruptionDetector:
    """Feed points one at a time with ``update``; it returns an ``Alarm`` at an eruption's onset.

    Args:
        threshold: trigger level of the ramp statistic (standard deviations): above it, the
            newest ``HISTORY`` points are labelled by ``find_phases``, which decides.
        cap: ``ψ`` clips a lone standardised innovation to ``±cap``.
        run, run_floor, run_cap: innovations in a run of at least ``run`` consecutive values above
            ``run_floor`` keep up to ``run_cap``.
        window: reference points kept (trend, level, φ); σ_e is fitted on ``BLOCKS·window`` differences.
        span: newest points tested for a ramp (they join the reference when older).
        warmup: points needed before any alarm (and kept when the reference restarts).
        min_run: fewest points of a ramp that can raise an alarm.
        refractory: most points an alarm silences the detector for.
    """

    def __init__(
        self,
        *,
        threshold: float = 3.8,
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
        self._diffs: deque[float] = deque(maxlen=BLOCKS * window)  #: first differences outside eruptions
        self._reference: deque[tuple[int, float]] = deque(maxlen=window)
        self._tested: deque[tuple[int, float]] = deque()
        self._blocks: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=BLOCKS)  # past residual pairs
        self._fresh = 0  #: points that joined the reference since the last stored block
        self._model: Reference | None = None
        self._age = 0  #: points that joined the reference since ``_model`` was fitted
        self._erupting: tuple[float, float, int] | None = None  # (baseline, peak, points since alarm)
        self._history: deque[tuple[int, float]] = deque(maxlen=HISTORY)
        self._flagged = -np.inf  #: onset step of the last eruption flagged

    def update(self, step: int, value: float) -> Alarm | None:
        """Take the next logged point; return an ``Alarm`` when an eruption starts here."""
        if not np.isfinite(value):
            return None
        point = (int(step), float(value))
        self._history.append(point)
        if self._recent and self._erupting is None:
            self._diffs.append(point[1] - self._recent[-1][1])
        self._recent.append(point)
        if self._erupting is not None:
            self._follow(point[1])
            return None
        self._tested.append(point)
        if len(self._tested) > self.span or len(self._reference) < self.warmup:
            self._reference.append(self._tested.popleft())
            self._age, self._fresh = self._age + 1, self._fresh + 1
        if len(self._reference) < self.warmup or not self._tested:
            return None
        return self._test()

    def _psi(self, z: np.ndarray) -> np.ndarray:
        return influence(z, cap=self.cap, run=self.run, run_floor=self.run_floor, run_cap=self.run_cap)

    def _reference_model(self) -> Reference:
        """The reference's ``Reference``, fitted again every ``REFRESH`` new reference points."""
        if self._model is None or self._age >= REFRESH:
            steps, values = (np.array(column, dtype=float) for column in zip(*self._reference))
            half = len(steps) // 2
            run = np.median(steps[half:]) - np.median(steps[:half])
            slope = float((np.median(values[half:]) - np.median(values[:half])) / run) if run > 0 else 0.0
            previous, current = self._pooled_pairs(values - slope * steps)
            phi = float(np.clip(robust_correlation(previous, current), 0.0, MAX_PHI))
            sigma_e = robust_scale(np.array(self._diffs)) * float(np.sqrt((1.0 + phi) / 2.0))
            if abs(slope) * (steps[-1] - steps[0]) < TREND_SIGMAS * sigma_e / np.sqrt(1.0 - phi**2):
                slope = 0.0  # no trend beyond the noise: a flat reference
            intercept = float(np.median(values - slope * steps))
            innovations = current - phi * previous
            innovations = innovations / max(robust_scale(innovations), 1e-12)
            kappa = max(float(np.mean(self._psi(innovations) ** 2)), 0.5)  # 0.5: a flat, quantised reference
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

    def _test(self) -> Alarm | None:
        model = self._reference_model()
        steps, values = (np.array(column, dtype=float) for column in zip(*[self._reference[-1], *self._tested]))
        expected = model.expected(steps)
        residuals = values - expected
        z = (residuals[1:] - model.phi * residuals[:-1]) / model.sigma_e
        score, kink = ramp_statistic(steps, self._psi(z), model.phi, self.min_run)
        score /= np.sqrt(model.kappa)
        if score <= self.threshold:
            return None
        onset = self._labelled_onset(float(steps[0]))
        if onset is None:
            return None
        self._flagged = onset
        baseline, value = float(expected[-1]), float(values[-1])
        alarm = Alarm(int(steps[-1]), onset, value, baseline, model.sigma, float(score))
        self._erupting = (baseline, value, 0)
        self._tested.clear()
        return alarm

    def _labelled_onset(self, since: float) -> int | None:
        """Onset step of an eruption ``find_phases`` labels in the newest ``HISTORY`` points that
        starts at or after step ``since`` and after the last one flagged; ``None`` if there is none."""
        steps, values = (np.array(column) for column in zip(*self._history))
        try:
            cycles = find_phases(steps, values).cycles
        except NotEnoughSteps:
            return None
        onsets = [c.onset_step for c in cycles if c.onset_step >= since and c.onset_step > self._flagged]
        return onsets[0] if onsets else None

    def _follow(self, value: float) -> None:
        """Track the eruption's peak; re-arm once it has fallen half-way or ``refractory`` points passed."""
        baseline, peak, since = self._erupting
        peak, since = max(peak, value), since + 1
        if value <= baseline + 0.5 * (peak - baseline) or since >= self.refractory:
            self._erupting, self._model, self._fresh = None, None, 0
            self._reference.clear()
            self._reference.extend(self._recent)
        else:
            self._erupting = (baseline, peak, since)
