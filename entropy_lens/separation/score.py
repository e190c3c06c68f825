"""How well hidden states separate correct from incorrect outputs (n × d features → numbers).

Held-out scores are the headline: with d in the thousands and n in the hundreds, in-sample
scores (and silhouette) mislead (see research/perf_methods.md §5).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, silhouette_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


#: fewest outputs of each class a score is computed from (a fold needs one of each to test on)
MIN_PER_CLASS = 2


def fold_count(y: np.ndarray, folds: int = 5) -> int:
    """Cross-validation folds for labels ``y``: ``folds``, fewer when a class is smaller."""
    return min(folds, int(y.sum()), int((~y).sum()))


def separation_scores(
    features: np.ndarray, labels: np.ndarray, *, folds: int = 5, seed: int = 0, silhouette_sample: int = 1000
) -> dict:
    """Separation of ``labels`` (bool [n]) in ``features`` ([n, d]); rows with NaN are dropped.

    Returns:
        ``n``, ``n_correct``, ``n_incorrect`` and ``probe_auroc`` (held-out logistic probe),
        ``diff_means_auroc`` (held-out projection on μ₊ − μ₋), ``fisher_ratio``
        (Σ_j (μ₊ⱼ − μ₋ⱼ)² / (σ²₊ⱼ + σ²₋ⱼ)), ``cosine_gap`` (mean within- minus between-class
        cosine of the centred rows), ``seal_ratio`` (the paper's statistic), ``silhouette`` (cosine,
        sampled) and ``folds``; scores are ``None`` with a ``reason`` when a class has fewer than
        ``MIN_PER_CLASS`` members.
    """
    keep = ~np.isnan(features).any(axis=1)
    x, y = np.asarray(features, dtype=np.float64)[keep], np.asarray(labels, dtype=bool)[keep]
    counts = {"n": int(len(y)), "n_correct": int(y.sum()), "n_incorrect": int((~y).sum())}
    if min(counts["n_correct"], counts["n_incorrect"]) < MIN_PER_CLASS:
        return counts | {"reason": "needs at least two correct and two incorrect outputs"}
    splits = fold_count(y, folds)
    probe, means = _held_out_scores(x, y, splits, seed)
    return counts | {
        "probe_auroc": float(roc_auc_score(y, probe)),
        "diff_means_auroc": float(roc_auc_score(y, means)),
        "fisher_ratio": fisher_ratio(x, y),
        "cosine_gap": cosine_gap(x, y),
        "seal_ratio": seal_ratio(x, y),
        "silhouette": float(
            silhouette_score(x, y, metric="cosine", sample_size=min(len(y), silhouette_sample), random_state=seed)
        ),
        "folds": splits,
    }


def held_out_probe(x, y: np.ndarray, splits: int, seed: int, make_model) -> np.ndarray:
    """Out-of-fold probabilities of ``make_model()`` (a fresh classifier per fold; same folds for any ``x``)."""
    probe = np.empty(len(y))
    for train, test in StratifiedKFold(splits, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        model = make_model()
        model.fit(x[train], y[train])
        probe[test] = model.predict_proba(x[test])[:, 1]
    return probe


def _held_out_scores(x: np.ndarray, y: np.ndarray, splits: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold scores of a logistic probe and of the difference-of-means direction."""
    probe = held_out_probe(x, y, splits, seed, lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)))
    means = np.empty(len(y))
    for train, test in StratifiedKFold(splits, shuffle=True, random_state=seed).split(x, y):
        direction = x[train][y[train]].mean(axis=0) - x[train][~y[train]].mean(axis=0)
        means[test] = x[test] @ direction
    return probe, means


def fisher_ratio(x: np.ndarray, y: np.ndarray) -> float:
    """Diagonal Fisher ratio Σ_j (μ₊ⱼ − μ₋ⱼ)² / (σ²₊ⱼ + σ²₋ⱼ) (dimensions with zero variance skipped)."""
    gap = x[y].mean(axis=0) - x[~y].mean(axis=0)
    spread = x[y].var(axis=0) + x[~y].var(axis=0)
    used = spread > 0
    return float((gap[used] ** 2 / spread[used]).sum())


def cosine_gap(x: np.ndarray, y: np.ndarray) -> float:
    """Mean within-class minus mean between-class cosine similarity of the centred rows.

    SEAL's embedding statistic (paper code ``draw_fig.py``: intra- vs inter-class cosine). The
    cosine distance between the two centred class means is no substitute: centred on the global
    mean, the two class means always point in exactly opposite directions (distance 2).
    Pairwise means come from sums of unit vectors, O(n·d): for a class A of unit rows u,
    mean_{i≠j∈A} cos = (‖Σu‖² − |A|) / (|A|(|A|−1)), and between A and B, (Σ_A u)·(Σ_B u) / (|A||B|).
    """
    centred = x - x.mean(axis=0)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    units = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)
    sum_pos, sum_neg = units[y].sum(axis=0), units[~y].sum(axis=0)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    intra_pos = (sum_pos @ sum_pos - n_pos) / (n_pos * (n_pos - 1))
    intra_neg = (sum_neg @ sum_neg - n_neg) / (n_neg * (n_neg - 1))
    inter = sum_pos @ sum_neg / (n_pos * n_neg)
    return float((intra_pos + intra_neg) / 2 - inter)


def seal_ratio(x: np.ndarray, y: np.ndarray) -> float:
    """The paper's own separation statistic: 2·inter − (intra₊ + intra₋) (lower = better separated).

    From the SEAL repository's plotting code (``draw_fig.py``, ``cal_similarity``, commit 8fa2889):
    mean cosine similarity of the raw (uncentred) embeddings over all pairs between the classes
    (inter) and within each class, self-pairs included (intra). With unit rows u,
    mean cos(A, B) = (Σ_A u)·(Σ_B u) / (|A||B|), so the whole statistic is O(n·d).
    """
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    units = np.divide(x, norms, out=np.zeros_like(x, dtype=np.float64), where=norms > 0)
    sum_pos, sum_neg = units[y].sum(axis=0), units[~y].sum(axis=0)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    inter = sum_pos @ sum_neg / (n_pos * n_neg)
    return float(2 * inter - (sum_pos @ sum_pos / n_pos**2 + sum_neg @ sum_neg / n_neg**2))
