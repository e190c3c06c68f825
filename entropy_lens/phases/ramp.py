"""The online alarm's statistics: a robust matched filter for a ramp in AR(1) innovations.

The newest points, predicted by the in-control reference (``reference.Reference``), become
standardised innovations ``z_t = (r_t − φ·r_{t−1}) / σ_e`` (``r = x − p``), independent from step to
step when nothing happens. A ramp starting after point ``k`` adds ``s·g_t`` to them,
``g_t = m_t − φ·m_{t−1}`` with ``m_t = step_t − step_k``; the likelihood ratio against "no ramp",
maximised over the rate ``s``, is the matched filter ``T_k = Σ g·ψ(z) / √(κ·Σ g²)`` (Gaussian
innovations: ``T_k²`` is the drop in residual sum of squares). ``ψ`` keeps one heavy-tailed value or
spike from raising it: ``z`` is clipped to ``±cap``, except points in a run of at least ``run``
consecutive values above ``run_floor`` (a ramp climbs; noise rarely stays high), which keep up to
``run_cap``; ``κ = E[ψ(u)²]`` makes ``T_k`` unit-variance whatever the tails (the score-test variance
of an M-estimator: Huber, Robust Statistics, 1981, §3.2; the ramp GLR: Lai, "Sequential changepoint
detection in quality control and dynamical systems", JRSS B 57, 1995). The noise's φ comes from the
Gnanadesikan–Kettenring robust correlation (Biometrics 28, 1972).
"""

from __future__ import annotations

import numpy as np

from entropy_lens.phases.signal import MAD_TO_SIGMA


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
