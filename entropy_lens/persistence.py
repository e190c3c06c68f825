"""Whether a degenerate pattern was acquired during eruptions, accumulated across them, and persisted.

Joins two analyses as plain data (it imports neither the phases package nor runs any detector):
the per-step flag shares of ``detectors.scan`` and the eruption cycles of ``phases`` (dicts
``{onset_step, peak_step, end_step, …}``). Every pattern is judged on ``onsets.primary_split``
against its own pre-eruption base rate, whatever its level at the first dump (docs/report.md,
"Persistence"). Per pattern:

* ``onset_step`` — ``detectors.onsets.onset_step`` of its rate series (shown, not judged on);
  ``onset_in_eruption`` — it lies in a cycle's eruption, ``[onset − margin, peak + margin]``,
  ``margin`` the median spacing of the dumped steps; ``cycle`` — that cycle;
* ``base_rate`` — share of outputs flagged over the dumps before the first eruption;
* ``cycles`` — per cycle: the rate over the dumps ``before`` it (after the previous cycle's end),
  ``during`` it (onset to end) and ``after`` it (after its end, before the next onset), the
  ``change`` after − before with its ``z``, whether it ``rose_during`` the cycle, and whether the
  pattern was ``acquired`` there: it rose
  after the cycle and, where the cycle holds a dump, already during it (a rise that starts
  mid-recovery is not the eruption's);
* ``final_rate`` — the rate over the last ``FINAL_DUMPS`` dumps; ``final_change`` against the base;
* ``acquired_in`` — indices of the cycles that raised it; ``persisted`` — raised by an eruption and
  still above the base at the end (the paper's claim, arXiv 2605.27954); ``verdict`` — one phrase.

A rate ``rose`` from ``a`` to ``b`` when ``b − a ≥ MIN_GAP`` and the two-proportion z statistic of the
flag counts is at least ``MIN_Z``. Rates pool the counts (share × outputs) of their dumps.
"""

from __future__ import annotations

import math
from itertools import pairwise
from statistics import median

import polars as pl

from entropy_lens.detectors.base import PATTERNS
from entropy_lens.detectors.onsets import onset_step, primary_split

MIN_GAP = 0.02  #: smallest rise of the flagged share that counts (2 percentage points)
MIN_Z = 3.0  #: two-proportion z a rise needs (about one false rise in 700 comparisons)
FINAL_DUMPS = 3  #: dumps averaged for the final rate (one noisy dump is not the end state)

#: verdict → ``persisted``
VERDICTS = {
    "persisted": True,
    "faded": False,
    "rose outside the eruptions": False,
    "only during eruptions": False,
    "unchanged": False,
    "never flagged": None,
    "no eruption to judge against": None,
    "no dump before the first eruption": None,
    "no dump after an eruption": None,
}


def persistence(per_step: pl.DataFrame, cycles: list[dict]) -> list[dict]:
    """One dict per pattern column of ``per_step`` (``detectors.base.PATTERNS``; keys in the
    module docstring). Numeric companions and group signals are not judged."""
    split = primary_split(per_step)
    rows = per_step.filter(pl.col("split").eq_missing(split)).drop_nulls("step").sort("step")
    steps = rows["step"].to_list() if rows.height else []
    sizes = [float(n or 0) for n in rows["n"].to_list()] if rows.height else []
    gaps = [b - a for a, b in pairwise(steps)]
    margin = median(gaps) if gaps else 0
    ordered = sorted(cycles, key=lambda c: c["onset_step"])
    out = []
    for name in (n for n in PATTERNS if n in per_step.columns):
        rates = [r if r is not None else 0.0 for r in rows[name].to_list()] if rows.height else []
        counts = [r * n for r, n in zip(rates, sizes)]
        out.append({"detector": name, "split": split} | _judge(steps, sizes, counts, ordered, margin))
    return out


def rise(before: tuple[float, float] | None, after: tuple[float, float] | None) -> tuple[float | None, bool | None]:
    """z statistic of ``after`` against ``before`` (each ``(flagged, outputs)``) and whether it rose."""
    if not before or not after or before[1] <= 0 or after[1] <= 0:
        return None, None
    (k1, n1), (k2, n2) = before, after
    gap = k2 / n2 - k1 / n1
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = gap / se if se > 0 else (math.inf if gap > 0 else 0.0)
    return z, gap >= MIN_GAP and z >= MIN_Z


def _rate(window: tuple[float, float] | None) -> float | None:
    return window[0] / window[1] if window and window[1] > 0 else None


def _judge(steps: list[int], sizes: list[float], counts: list[float], cycles: list[dict], margin: float) -> dict:
    """The persistence record of one pattern (without its name and split)."""

    def window(lo: float, hi: float) -> tuple[float, float] | None:
        kept = [(k, n) for s, k, n in zip(steps, counts, sizes) if lo < s < hi]
        return (sum(k for k, _ in kept), sum(n for _, n in kept)) if kept else None

    shares = [k / n if n else 0.0 for k, n in zip(counts, sizes)]
    onset = onset_step(steps, shares)
    index = _cycle_of(onset, cycles, margin)
    base = window(-math.inf, cycles[0]["onset_step"]) if cycles else None
    final = (sum(counts[-FINAL_DUMPS:]), sum(sizes[-FINAL_DUMPS:])) if steps else None
    judged = []
    for i, cycle in enumerate(cycles):
        before = window(cycles[i - 1]["end_step"] if i else -math.inf, cycle["onset_step"])
        during = window(cycle["onset_step"] - 1, cycle["end_step"] + 1)
        after = window(cycle["end_step"], cycles[i + 1]["onset_step"] if i + 1 < len(cycles) else math.inf)
        z, acquired = rise(before, after)
        erupted = rise(before, during)[1]
        if acquired and during is not None:
            acquired = bool(erupted)  # it came with the eruption, not later
        b, a = _rate(before), _rate(after)
        judged.append(
            {"index": i, "onset_step": cycle["onset_step"], "end_step": cycle["end_step"], "before": b,
             "during": _rate(during), "after": a, "change": None if a is None or b is None else a - b,
             "z": z, "rose_during": erupted, "acquired": acquired}
        )
    final_z, final_up = rise(base, final)
    acquired_in = [c["index"] for c in judged if c["acquired"]]
    verdict = _verdict(any(counts), cycles, base, judged, acquired_in, final_up)
    return {
        "onset_step": onset,
        "onset_in_eruption": None if onset is None else index is not None,
        "cycle": None if index is None else {"index": index, **cycles[index]},
        "base_rate": _rate(base),
        "final_rate": _rate(final),
        "final_change": None if base is None or final is None else _rate(final) - _rate(base),
        "final_z": final_z,
        "cycles": judged,
        "acquired_in": acquired_in,
        "persisted": VERDICTS[verdict],
        "verdict": verdict,
    }


def _verdict(flagged: bool, cycles: list, base, judged: list[dict], acquired_in: list[int], final_up) -> str:
    """One of ``VERDICTS``."""
    if not flagged:
        return "never flagged"
    if not cycles:
        return "no eruption to judge against"
    if base is None:
        return "no dump before the first eruption"
    if acquired_in:
        return "persisted" if final_up else "faded"
    if all(c["acquired"] is None for c in judged):
        return "no dump after an eruption"
    if final_up:
        return "rose outside the eruptions"
    return "only during eruptions" if any(c["rose_during"] for c in judged) else "unchanged"


def _cycle_of(onset: int | None, cycles: list[dict], margin: float) -> int | None:
    """Index of the cycle whose eruption (with ``margin``) holds ``onset``, else None."""
    if onset is None:
        return None
    for index, cycle in enumerate(cycles):
        if cycle["onset_step"] - margin <= onset <= cycle["peak_step"] + margin:
            return index
    return None
