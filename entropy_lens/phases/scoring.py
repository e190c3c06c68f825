"""Scores of detected change points against ground truth (for tests and ``bench/phases_eval.py``).

* ``f1_with_margin``: one true set, ruptures' ``precision_recall`` (a hit is ``|t̂ − t| < margin``,
  each prediction matched once, the series end excluded).
* ``tcpd_f1`` and ``tcpd_cover``: TCPDBench's protocol for several annotators (van den Burg &
  Williams, "An Evaluation of Change Point Detection Algorithms", arXiv:2003.06222, §4 and
  TCPDBench ``analysis/scripts/metrics.py``, described in ../shared/research/perf_methods.md §3):
  index 0 counts as a change point in every set; a true change point is matched to the nearest
  unused prediction within ``margin`` (inclusive); precision is against the union of the
  annotations, recall is averaged over annotators; cover is Arbelaez's segmentation covering,
  averaged over annotators.
* ``agreement``: ``watch``'s alarms against ``phases``' eruptions of the same run, both ways.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from ruptures.metrics import precision_recall

#: An alarm and an offline eruption agree when their onsets are at most this many logged points apart.
AGREEMENT_POINTS = 5


def f1_with_margin(true: Sequence[int], predicted: Sequence[int], n: int, margin: int) -> float:
    """F1 of ``predicted`` change points against ``true`` ones (positions or steps below ``n``).

    Both empty: 1. Exactly one empty: 0.
    """
    true, predicted = sorted(set(true)), sorted(set(predicted))
    if not true and not predicted:
        return 1.0
    if not true or not predicted:
        return 0.0
    precision, recall = precision_recall(true + [n], predicted + [n], margin=margin)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def true_positives(true: Iterable[int], predicted: Iterable[int], margin: int = 5) -> set[int]:
    """True change points matched by a prediction within ``margin`` (each prediction used once).

    >>> sorted(true_positives({1, 10, 20, 23}, {3, 8, 20}))
    [1, 10, 20]
    """
    unused = set(predicted)
    hits = set()
    for target in sorted(true):
        near = [(abs(target - guess), guess) for guess in unused if abs(target - guess) <= margin]
        if near:
            unused.remove(min(near)[1])
            hits.add(target)
    return hits


def tcpd_f1(annotations: Sequence[Sequence[int]], predicted: Iterable[int], margin: int = 5) -> float:
    """TCPDBench's F1 of ``predicted`` against several annotators' change points."""
    truths = [set(a) | {0} for a in annotations]
    guesses = set(predicted) | {0}
    union = set().union(*truths)
    precision = len(true_positives(union, guesses, margin)) / len(guesses)
    recall = sum(len(true_positives(t, guesses, margin)) / len(t) for t in truths) / len(truths)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _partition(points: Iterable[int], n: int) -> list[tuple[int, int]]:
    """Segments ``[start, end)`` cut at ``points`` (0 and ``n`` added)."""
    cuts = sorted({0, n} | {p for p in points if 0 < p < n})
    return list(zip(cuts[:-1], cuts[1:]))


def _jaccard(a: tuple[int, int], b: tuple[int, int]) -> float:
    overlap = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return overlap / (max(a[1], b[1]) - min(a[0], b[0]))


def covering(true: Iterable[int], predicted: Iterable[int], n: int) -> float:
    """Arbelaez covering of the true partition by the predicted one: Σ |A|/n · max Jaccard."""
    segments = _partition(predicted, n)
    return sum((a[1] - a[0]) * max(_jaccard(a, b) for b in segments) for a in _partition(true, n)) / n


def tcpd_cover(annotations: Sequence[Sequence[int]], predicted: Iterable[int], n: int) -> float:
    """TCPDBench's cover: ``covering`` averaged over annotators."""
    predicted = list(predicted)
    return sum(covering(a, predicted, n) for a in annotations) / len(annotations)


@dataclass(frozen=True)
class Agreement:
    """``watch`` against ``phases`` on one run (or summed over runs)."""

    alarms: int  #: alarms raised
    matched: int  #: alarms whose onset is an offline eruption's onset (within ``AGREEMENT_POINTS``)
    eruptions: int  #: offline eruptions starting after the detector's warm-up
    raised: int  #: of those, eruptions with an alarm whose onset is within ``AGREEMENT_POINTS`` of theirs

    def __add__(self, other: Agreement) -> Agreement:
        return Agreement(*(a + b for a, b in zip(vars(self).values(), vars(other).values())))


def agreement(steps: np.ndarray, alarm_onsets: Sequence[int], offline_onsets: Sequence[int], warmup: int) -> Agreement:
    """Alarms matching offline eruptions, and offline eruptions (onset after the first ``warmup``
    logged points) with an alarm; onsets are steps, compared as positions in ``steps`` (``[n]``,
    sorted), so sparse logging counts logged points."""
    alarms, offline = (np.searchsorted(steps, np.asarray(o, dtype=np.int64)) for o in (alarm_onsets, offline_onsets))
    near = np.abs(alarms[:, None] - offline[None, :]) <= AGREEMENT_POINTS  # [alarms, offline]
    late = offline >= warmup
    return Agreement(len(alarms), int(near.any(axis=1).sum()), int(late.sum()), int(near.any(axis=0)[late].sum()))


def watch_agreement(steps: np.ndarray, values: np.ndarray) -> Agreement:
    """A default ``OnlineEruptionDetector`` fed the series point by point, against ``find_phases`` on
    the whole series (``[n]`` each; NaN, repeated and unsorted steps as ``signal.prepare`` takes them)."""
    from entropy_lens.phases.detect import find_phases
    from entropy_lens.phases.online import OnlineEruptionDetector
    from entropy_lens.phases.signal import prepare

    series = prepare(steps, values)
    detector = OnlineEruptionDetector()
    alarms = [a.onset_step for s, v in zip(series.steps, series.values) if (a := detector.update(int(s), float(v)))]
    offline = [c.onset_step for c in find_phases(series.steps, series.values).cycles]
    return agreement(series.steps, alarms, offline, detector.warmup)
