"""The text-only control: the same held-out probe on a bag of words of the same outputs.

A hidden-state probe can score well because correct and incorrect outputs differ on the surface
(an ``<action>`` that succeeds is spelled differently from one that fails). The control fits the
same logistic probe, with the same folds, on TF-IDF features of the policy-written text
(scikit-learn ``TfidfVectorizer``: word unigrams and bigrams, sublinear term frequency). What the
model adds is the hidden-state AUROC minus this one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from entropy_lens.environments import policy_spans
from entropy_lens.separation.score import MIN_PER_CLASS, fold_count, held_out_probe


def policy_text(response: str | None) -> str:
    """The parts of an output the policy wrote (environment text cut, as everywhere else)."""
    response = response or ""
    return "\n".join(response[a:b] for a, b in policy_spans(response)[0])


def text_probe_auroc(responses: Sequence[str | None], labels: np.ndarray, *, seed: int = 0) -> float | None:
    """Held-out AUROC of a logistic probe on TF-IDF features of the outputs' policy text (None when a class
    has fewer than ``MIN_PER_CLASS`` members or the texts hold no word)."""
    y = np.asarray(labels, dtype=bool)
    if min(int(y.sum()), int((~y).sum())) < MIN_PER_CLASS:
        return None
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    try:
        features = vectorizer.fit_transform([policy_text(r) for r in responses]).tocsr()
    except ValueError:  # empty vocabulary
        return None
    probe = held_out_probe(features, y, fold_count(y), seed, lambda: LogisticRegression(max_iter=2000))
    return float(roc_auc_score(y, probe))
