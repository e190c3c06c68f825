"""``find_phases``: one metric series → change points, phases, eruption cycles and the pattern.

Pipeline: ``signal.prepare`` (order, drop NaN and repeated steps, remove spikes) →
``signal.noise_of`` (robust σ and lag-1 correlation) → ``segment.breakpoints`` (ruptures Pelt,
piecewise-linear cost, BIC-like penalty) → ``segment.fit_lines`` → ``label.label`` (eruptions from
``rises`` under the thresholds of ``rules``, decays, cycles, the run pattern).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from entropy_lens.errors import NotEnoughSteps
from entropy_lens.phases.label import Cycle, Phase, label
from entropy_lens.phases.segment import breakpoints, fit_lines, fitted_values
from entropy_lens.phases.signal import noise_of, prepare
from entropy_lens.phases.verdict import verdict
from entropy_lens.run import Run

#: Fewest logged points (after dropping NaN) a series needs.
MIN_POINTS = 10


@dataclass
class PhaseResult:
    """Phases of one metric series; every step is a logged step (an int), not a position.

    Attributes:
        metric: the series' name.
        n_steps: logged points used (after dropping NaN and repeated steps).
        change_points: first step of every segment after the first.
        phases: labelled step ranges covering the series in order.
        cycles: eruption cycles in order.
        pattern: ``exploded`` | ``cyclical`` | ``single-eruption`` | ``collapse`` | ``stable``.
        noise_sigma: robust noise std of the series (metric units).
        verdict: one sentence with its numbers (``verdict.verdict``), the report's headline.
        steps: ``[n]`` the logged steps used.
        fitted: ``[n]`` the piecewise-linear fit at those steps (for plots).
    """

    metric: str
    n_steps: int
    change_points: list[int]
    phases: list[Phase]
    cycles: list[Cycle]
    pattern: str
    noise_sigma: float
    verdict: str = ""
    steps: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))
    fitted: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def to_dict(self) -> dict:
        """The JSON contract of DESIGN §2 (``phases --json`` and ``diagnosis.json``)."""
        return {
            "metric": self.metric,
            "n_steps": self.n_steps,
            "change_points": list(self.change_points),
            "phases": [asdict(p) for p in self.phases],
            "cycles": [asdict(c) for c in self.cycles],
            "pattern": self.pattern,
            "noise_sigma": self.noise_sigma,
            "verdict": self.verdict,
        }

    def to_pandas(self) -> dict:
        """``phases`` and ``cycles`` as pandas DataFrames, one row per phase / cycle."""
        import pandas as pd

        return {
            "phases": pd.DataFrame([asdict(p) for p in self.phases], columns=[f.name for f in fields(Phase)]),
            "cycles": pd.DataFrame([asdict(c) for c in self.cycles], columns=[f.name for f in fields(Cycle)]),
        }


def find_phases(
    steps: np.ndarray, values: np.ndarray, *, metric: str = "entropy", sensitivity: float = 1.0
) -> PhaseResult:
    """Segment one series into eruption / decay / recovery phases.

    Args:
        steps: ``[m]`` logged steps; sparse, unsorted and repeated steps (restarts) are fine.
        values: ``[m]`` values; NaN/inf are dropped.
        metric: name carried into the result.
        sensitivity: >1 finds more, smaller eruptions; <1 fewer (divides the penalty and the
            eruption threshold's square).

    Raises:
        NotEnoughSteps: fewer than ``MIN_POINTS`` usable points.
        ValueError: ``sensitivity`` is not positive, or the arrays differ in length.
    """
    if not sensitivity > 0:
        raise ValueError(f"sensitivity must be positive, got {sensitivity}")
    series = prepare(steps, values)
    if series.n < MIN_POINTS:
        raise NotEnoughSteps(metric, series.n, MIN_POINTS)
    noise = noise_of(series.clean)
    bkps = breakpoints(series.steps, series.clean, series.spread, noise, sensitivity=sensitivity)
    lines = fit_lines(series.steps, series.clean, series.spread, bkps)
    phases, cycles, pattern = label(series, lines, noise, sensitivity)
    return PhaseResult(
        metric=metric,
        n_steps=series.n,
        change_points=[int(series.steps[b]) for b in bkps[:-1]],
        phases=phases,
        cycles=cycles,
        pattern=pattern,
        noise_sigma=noise.sigma,
        verdict=verdict(metric, series.steps, series.values, cycles, pattern, phases[-1].label),
        steps=series.steps,
        fitted=fitted_values(lines, series.steps),
    )


def phases_of_run(run: Run, metric: str = "entropy", *, sensitivity: float = 1.0) -> PhaseResult:
    """``find_phases`` on one metric of a run (canonical or raw name).

    Raises:
        MissingMetric: the run never logs ``metric``.
        NotEnoughSteps: too few logged points.
    """
    table = run.series(metric)
    steps, values = table["step"].to_numpy(), table["value"].to_numpy()
    usable = prepare(steps, values).n
    if usable < MIN_POINTS:
        raise NotEnoughSteps(metric, usable, MIN_POINTS, run.path)
    return find_phases(steps, values, metric=metric, sensitivity=sensitivity)
