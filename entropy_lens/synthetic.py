"""Training curves with planted phases and their ground truth (for tests, examples and the demo).

The shape follows the cyclical-entropy-eruption picture: an opening descent, then cycles of
eruption (a sharp rise over ``rise`` steps), decay (a gradual decline over ``decay`` steps back
towards the baseline) and recovery (low and flat until the next eruption). Co-signals move with
it: reward dips and its group std collapses during an eruption, responses get longer and the
gradient norm spikes at the onset.

Shapes (``shape``, ``decay_shape``): an eruption rises as a ``ramp`` (linear over ``rise`` steps),
a ``jump`` (the whole amplitude within ``JUMP_STEPS`` steps, then the decay) or an ``exponential``
climb (slow, then steep: ``(e^{kx} − 1)/(e^k − 1)``, k = ``EXP_RATE``); it decays ``linear``-ly,
``exponential``-ly (time constant a fifth of ``decay``) or as a ``plateau`` that crashes in its
last ``CRASH_SHARE`` (truth: ``plateau`` then ``decay``). ``descent=0`` gives a flat baseline;
``later`` scales every eruption after the first to a share of the first's amplitude drawn from
that range (``(0.1, 1.0)``: second eruptions at 0.1–1× the first).

Real logs are messier, and the generator can add it (for ``bench/phases_eval.py``): a drifting
baseline, single-step spikes, NaN gaps and sparse logging (every k-th step). Those extras draw
from their own random stream, so the default curves stay what they always were.
``planted_collapse`` gives the single-turn reasoning-RL shape: a fall towards zero, no eruption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

JUMP_STEPS = 2  #: a ``jump`` eruption reaches its peak within this many steps
EXP_RATE = 4.0  #: curvature ``k`` of an ``exponential`` rise
CRASH_SHARE = 0.2  #: a ``plateau`` decay crashes within this last share of ``decay`` steps
SHAPES, DECAYS = ("ramp", "jump", "exponential"), ("linear", "exponential", "plateau")


@dataclass(frozen=True)
class PlantedCycle:
    """One planted cycle, as step indices (0-based positions in the full series: step = index + 1)."""

    onset: int  #: first step of the eruption
    peak: int  #: step of the maximum (end of the rise)
    end: int  #: last step of the decay; recovery starts after it
    amplitude: float  #: peak level minus the pre-eruption baseline (nats)


@dataclass(frozen=True)
class PlantedTruth:
    """Ground truth of a planted series."""

    cycles: list[PlantedCycle]
    #: ruptures convention: the end index (exclusive) of every segment, the last one = ``n``
    breakpoints: list[int]
    #: (label, first index, last index) covering the series: recovery / eruption / decay
    phases: list[tuple[str, int, int]]
    pattern: str


def _noise(rng: np.random.Generator, n: int, scale: float, phi: float, df: float | None) -> np.ndarray:
    """AR(1) noise with marginal std ``scale``; Student-t innovations when ``df`` is given, rescaled
    to unit variance (``t_df`` has variance ``df/(df−2)``; for ``df ≤ 2``, infinite, ``scale`` is its scale)."""
    shocks = rng.standard_t(df, n) * (np.sqrt((df - 2.0) / df) if df > 2 else 1.0) if df else rng.standard_normal(n)
    shocks = shocks * scale * np.sqrt(1.0 - phi**2)
    out = np.empty(n)
    out[0] = shocks[0] / np.sqrt(1.0 - phi**2) if phi else shocks[0]
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def _place_onsets(rng: np.random.Generator, n: int, n_cycles: int, descent: int, span: int) -> list[int]:
    """Onsets spread over the run after the opening descent, each cycle fitting before the next."""
    room = n - descent - span
    if n_cycles == 0 or room <= 0:
        return []
    period = room / n_cycles
    onsets = []
    for k in range(n_cycles):
        jitter = rng.uniform(0.1, 0.5) * max(period - span, 0)
        onsets.append(int(descent + k * period + jitter))
    return onsets


def planted_eruption(
    n_steps: int = 300,
    seed: int = 0,
    *,
    n_cycles: int = 2,
    start_level: float = 1.1,
    baseline: float = 0.45,
    amplitude: float = 1.2,
    rise: int = 8,
    decay: int = 45,
    descent: int = 40,
    noise: float = 0.03,
    noise_phi: float = 0.0,
    noise_df: float | None = None,
    drift: float = 0.0,
    spike_rate: float = 0.0,
    missing: float = 0.0,
    every: int = 1,
    shape: str = "ramp",
    decay_shape: str = "linear",
    later: tuple[float, float] | None = None,
) -> tuple[pl.DataFrame, PlantedTruth]:
    """A run's per-step curves with ``n_cycles`` planted eruption cycles.

    Args:
        n_steps: steps in the run (1..n).
        seed: random seed; the same seed gives the same curves.
        n_cycles: eruption cycles, spread evenly (with jitter) after the opening descent.
        start_level, baseline: entropy at step 1 and between eruptions (nats).
        amplitude: mean rise of an eruption (each cycle draws ×0.8–1.2).
        rise, decay, descent: steps of each eruption's rise, its decay, and the opening descent.
        noise, noise_phi, noise_df: AR(1) noise std, its lag-1 correlation, Student-t
            degrees of freedom (None: Gaussian).
        drift: change of the baseline over the whole run (a linear trend, nats).
        spike_rate: share of steps with a one-step upward spike of half the amplitude.
        missing: share of entropy values replaced by NaN, in gaps of 1–5 steps.
        every: log every k-th step only (steps k, 2k, …); truth indices stay full-series.
        shape: ``ramp``, ``jump`` or ``exponential`` rise (``SHAPES``).
        decay_shape: ``linear``, ``exponential`` or ``plateau`` (then a crash) decay (``DECAYS``).
        later: eruptions after the first get the first's amplitude × U(later) (own random stream).

    Returns:
        ``(curves, truth)``: ``curves`` has columns ``step``, ``entropy``, ``reward``,
        ``reward_std``, ``response_length``, ``grad_norm``; ``truth`` the planted cycles,
        breakpoints and phases (indices into the full series, step = index + 1).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype=float)
    clean = np.full(n_steps, baseline)
    clean[:descent] = start_level + (baseline - start_level) * t[:descent] / max(descent, 1)
    onsets = _place_onsets(rng, n_steps, n_cycles, descent, rise + decay)
    cycles: list[PlantedCycle] = []
    phases: list[tuple[str, int, int]] = []
    cursor = 0
    scales = np.random.default_rng([seed, 2]).uniform(*later, len(onsets)) if later else None
    for k, onset in enumerate(onsets):
        amp = amplitude * rng.uniform(0.8, 1.2)
        if scales is not None and cycles:
            amp = cycles[0].amplitude * scales[k]
        peak = onset + (min(JUMP_STEPS, rise) if shape == "jump" else rise)
        end = onset + rise + decay
        clean[onset : peak + 1] = baseline + amp * _rise_shape(shape, (t[onset : peak + 1] - onset) / (peak - onset))
        clean[peak : end + 1] = baseline + amp * _decay_shape(decay_shape, (t[peak : end + 1] - peak) / (end - peak))
        phases += [("recovery", cursor, onset - 1), ("eruption", onset, peak)]
        crash = end - int(CRASH_SHARE * (end - peak)) if decay_shape == "plateau" else peak + 1
        phases += [("plateau", peak + 1, crash - 1)] if crash > peak + 1 else []
        phases.append(("decay", crash, end))
        cycles.append(PlantedCycle(onset, peak, end, float(amp)))
        cursor = end + 1
    phases.append(("recovery", cursor, n_steps - 1))
    entropy = np.clip(clean + _noise(rng, n_steps, noise, noise_phi, noise_df), 1e-4, None)
    breakpoints = [p[2] + 1 for p in phases]
    falls = clean[-1] <= 0.5 * clean[0]
    pattern = "cyclical" if len(cycles) >= 2 else ("single-eruption" if cycles else ("collapse" if falls else "stable"))
    truth = PlantedTruth(cycles, breakpoints, phases, pattern)
    curves = _with_cosignals(rng, t, clean, baseline, descent, entropy)
    mess = _Mess(drift, 0.5 * amplitude, spike_rate, missing, every)
    return mess.apply(np.random.default_rng([seed, 1]), curves), truth


def _rise_shape(shape: str, x: np.ndarray) -> np.ndarray:
    """Share of the amplitude reached at ``x`` ∈ [0, 1] of the rise."""
    if shape == "exponential":
        return np.expm1(EXP_RATE * x) / np.expm1(EXP_RATE)
    if shape in ("ramp", "jump"):
        return x
    raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")


def _decay_shape(shape: str, x: np.ndarray) -> np.ndarray:
    """Share of the amplitude left at ``x`` ∈ [0, 1] of the decay."""
    if shape == "exponential":
        return np.exp(-5.0 * x)
    if shape == "plateau":
        return np.clip((1.0 - x) / CRASH_SHARE, 0.0, 1.0)
    if shape == "linear":
        return 1.0 - x
    raise ValueError(f"decay_shape must be one of {DECAYS}, got {shape!r}")


@dataclass(frozen=True)
class _Mess:
    """What real logs add to a clean planted run (see ``planted_eruption``'s arguments)."""

    drift: float
    spike_size: float
    spike_rate: float
    missing: float
    every: int

    def apply(self, rng: np.random.Generator, curves: pl.DataFrame) -> pl.DataFrame:
        n = curves.height
        entropy = curves["entropy"].to_numpy().copy()
        entropy += self.drift * np.arange(n) / max(n - 1, 1)
        entropy[rng.random(n) < self.spike_rate] += self.spike_size
        if self.missing:
            starts = np.flatnonzero(rng.random(n) < self.missing / 3.0)
            for start, length in zip(starts, rng.integers(1, 6, len(starts))):
                entropy[start : start + length] = np.nan
        curves = curves.with_columns(pl.Series("entropy", np.clip(entropy, 1e-4, None)))
        return curves.filter(pl.col("step") % self.every == 0) if self.every > 1 else curves


def planted_collapse(
    n_steps: int = 300, seed: int = 0, *, start_level: float = 0.4, floor: float = 0.02, noise: float = 0.05
) -> tuple[pl.DataFrame, PlantedTruth]:
    """Entropy falling towards zero, no eruption (verl GSM8K runs look like this).

    ``entropy = floor + (start − floor)·exp(−8t/n)`` with noise proportional to the level
    (``noise`` is the relative std), as real logs show: noisy while high, quiet near the floor.

    Returns:
        ``(curves, truth)`` as ``planted_eruption``; truth has no cycle, pattern ``collapse``.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype=float)
    clean = floor + (start_level - floor) * np.exp(-8.0 * t / n_steps)
    entropy = np.clip(clean * (1.0 + _noise(rng, n_steps, noise, 0.3, None)), 1e-4, None)
    truth = PlantedTruth([], [n_steps], [("recovery", 0, n_steps - 1)], "collapse")
    return _with_cosignals(rng, t, clean, floor, n_steps, entropy), truth


def _with_cosignals(
    rng: np.random.Generator,
    t: np.ndarray,
    clean: np.ndarray,
    baseline: float,
    descent: int,
    entropy: np.ndarray,
) -> pl.DataFrame:
    """Reward, reward std, response length and grad norm that move with the planted entropy."""
    n = len(t)
    excess = np.clip(clean - baseline, 0, None)
    excess[:descent] = 0.0  # the opening descent is learning, not an eruption
    learning = 1.0 - np.exp(-t / (0.3 * n))
    reward = np.clip(0.2 + 0.6 * learning - 0.35 * excess + rng.normal(0, 0.03, n), 0, 1)
    reward_std = np.clip(0.45 - 0.25 * learning + 0.25 * excess + rng.normal(0, 0.02, n), 0.01, None)
    length = 180 + 60 * learning + 220 * excess + rng.normal(0, 8, n)
    rising = np.clip(np.diff(clean, prepend=clean[0]), 0, None)
    grad_norm = 0.35 + 8.0 * rising + rng.gamma(2.0, 0.05, n)
    return pl.DataFrame(
        {
            "step": np.arange(1, n + 1, dtype=np.int64),
            "entropy": entropy,
            "reward": reward,
            "reward_std": reward_std,
            "response_length": length,
            "grad_norm": grad_norm,
        }
    )
