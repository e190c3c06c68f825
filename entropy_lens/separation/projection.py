"""2-D projections of pooled hidden states, correct against incorrect, small enough for the report.

PCA by default (as the paper's ``draw_fig.py`` does for its fair view); t-SNE optional, after a
PCA to at most 50 dimensions (the same practice there). At most ``MAX_POINTS`` outputs are kept
per projection, an even sample of each class's share, so the page stays small for long runs.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

#: outputs drawn per projection (a 10-checkpoint report stays well under its 5 MB budget)
MAX_POINTS = 300
METHODS = ("pca", "tsne")


def projection_2d(features: np.ndarray, labels: np.ndarray, *, method: str = "pca", seed: int = 0) -> dict | None:
    """``{method, x, y, correct, explained}`` (coordinates rounded to 4 digits), None with < 3 usable rows."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    keep = np.flatnonzero(~np.isnan(features).any(axis=1))
    if len(keep) > MAX_POINTS:
        keep = np.sort(np.random.default_rng(seed).choice(keep, MAX_POINTS, replace=False))
    if len(keep) < 3:
        return None
    x = np.asarray(features[keep], dtype=np.float64)
    pca = PCA(n_components=min(2 if method == "pca" else 50, *x.shape), random_state=seed)
    z = pca.fit_transform(x)
    explained = [round(float(v), 4) for v in pca.explained_variance_ratio_[:2]]
    if method == "tsne":
        perplexity = min(30.0, (len(keep) - 1) / 3)
        z = TSNE(2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=seed).fit_transform(z)
        explained = None
    z = np.pad(z, ((0, 0), (0, max(0, 2 - z.shape[1]))))
    return {
        "method": method,
        "x": np.round(z[:, 0], 4).tolist(),
        "y": np.round(z[:, 1], 4).tolist(),
        "correct": np.asarray(labels, dtype=bool)[keep].tolist(),
        "explained": explained,
    }
