"""Recomputed token entropy as a distribution: per phase quantiles, histograms and forking tokens.

*Forking tokens* are the high-entropy minority at which a reasoning path branches (Wang et al.,
"Beyond the 80/20 Rule", arXiv 2506.01939, who take the top 20% of token entropies). Here the
threshold is the run's own ``FORKING_QUANTILE`` of recomputed policy-token entropy over every
scored token, and each phase reports the share of its tokens above it: 0.2 overall by
construction, so a phase above 0.2 forks more often than the run as a whole.
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: quantile of all recomputed policy-token entropies above which a token counts as forking
FORKING_QUANTILE = 0.8
#: quantiles reported per phase
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: histogram bins, shared by every phase (equal widths from 0 to the largest entropy)
BINS = 30


def phase_labels(steps: pl.Series, phases: list[dict]) -> pl.Series:
    """The phase label of each step (``{label, start_step, end_step}`` segments; null outside them)."""
    label = pl.lit(None, pl.Utf8)
    for phase in reversed(phases):
        inside = pl.col("step").is_between(phase["start_step"], phase["end_step"])
        label = pl.when(inside).then(pl.lit(phase["label"])).otherwise(label)
    return pl.DataFrame({"step": steps}).with_columns(label.alias("phase"))["phase"]  # a literal broadcasts


def entropy_by_phase(tokens: pl.DataFrame, phases: list[dict]) -> dict | None:
    """``tokens``: ``step, entropy`` of policy tokens. Quantiles, histogram and forking share per phase."""
    values = tokens["entropy"].drop_nulls().drop_nans().to_numpy().astype(np.float64)
    if values.size == 0:
        return None
    threshold = float(np.quantile(values, FORKING_QUANTILE))
    edges = np.linspace(0.0, max(float(values.max()), 1e-9), BINS + 1)
    labelled = tokens.with_columns(phase_labels(tokens["step"], phases).fill_null("all steps" if not phases else "outside"))
    rows = []
    for (phase,), group in labelled.group_by(["phase"], maintain_order=True):
        entropy = group["entropy"].drop_nulls().drop_nans().to_numpy().astype(np.float64)
        if entropy.size == 0:
            continue
        rows.append({
            "phase": phase,
            "n_tokens": int(entropy.size),
            "quantiles": {f"q{round(q * 100):02d}": float(np.quantile(entropy, q)) for q in QUANTILES},
            "mean": float(entropy.mean()),
            "histogram": np.histogram(entropy, bins=edges)[0].tolist(),
            "forking_share": float((entropy > threshold).mean()),
        })
    return {
        "forking_quantile": FORKING_QUANTILE,
        "forking_threshold": threshold,
        "edges": np.round(edges, 5).tolist(),
        "phases": rows,
    }


def recomputed_vs_logged(recomputed: pl.DataFrame, logged: pl.DataFrame) -> list[dict]:
    """Per step: recomputed token-mean entropy, the logged ``entropy`` metric, and the gap (recomputed − logged).

    ``recomputed``: ``step, recomputed_entropy, checkpoint_step``; ``logged``: ``step, value``.
    """
    joined = recomputed.join(logged.rename({"value": "logged_entropy"}), on="step", how="left")
    return joined.with_columns(gap=pl.col("recomputed_entropy") - pl.col("logged_entropy")).sort("step").to_dicts()
