"""Token-entropy distributions per phase, and the per-step mechanism numbers against float64 references."""

import numpy as np
import polars as pl
import pytest

from entropy_lens.recompute.distribution import BINS, FORKING_QUANTILE, QUANTILES, entropy_by_phase, recomputed_vs_logged
from entropy_lens.recompute.mechanism import advantages, mechanism_per_step

PHASES = [{"label": "recovery", "start_step": 0, "end_step": 9}, {"label": "eruption", "start_step": 10, "end_step": 19}]


def test_forking_threshold_is_the_run_80th_percentile():
    assert FORKING_QUANTILE == 0.8 and QUANTILES == (0.05, 0.25, 0.5, 0.75, 0.95) and BINS == 30
    rng = np.random.default_rng(0)
    low, high = rng.exponential(0.3, 4000), rng.exponential(1.5, 1000)
    tokens = pl.DataFrame({"step": [3] * 4000 + [15] * 1000, "entropy": np.concatenate([low, high])})
    result = entropy_by_phase(tokens, PHASES)
    threshold = np.quantile(np.concatenate([low, high]), 0.8)
    assert result["forking_threshold"] == pytest.approx(threshold)
    by = {row["phase"]: row for row in result["phases"]}
    assert by["eruption"]["forking_share"] == pytest.approx((high > threshold).mean())
    assert by["eruption"]["forking_share"] > 0.2 > by["recovery"]["forking_share"]
    assert by["recovery"]["quantiles"]["q50"] == pytest.approx(np.median(low))
    assert sum(by["recovery"]["histogram"]) == 4000 and len(result["edges"]) == BINS + 1


def test_a_run_without_phases_is_one_distribution():
    """No phase table (no entropy series): every token falls under "all steps"."""
    tokens = pl.DataFrame({"step": [1, 1, 2], "entropy": [0.5, 1.0, 2.0]})
    (row,) = entropy_by_phase(tokens, [])["phases"]
    assert row["phase"] == "all steps" and row["n_tokens"] == 3 and row["mean"] == pytest.approx(3.5 / 3)


def test_recomputed_vs_logged_gap():
    rows = recomputed_vs_logged(
        pl.DataFrame({"step": [1, 2], "recomputed_entropy": [0.5, 0.7], "checkpoint_step": [1, 1]}),
        pl.DataFrame({"step": [2], "value": [0.4]}),
    )
    assert rows[0]["gap"] is None and rows[1]["gap"] == pytest.approx(0.3)


def test_covariance_and_logprob_gap_match_float64_reference():
    rng = np.random.default_rng(3)
    samples = pl.DataFrame({
        "sample_id": [f"s{i}" for i in range(12)],
        "step": [1] * 8 + [2] * 4,
        "group_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 3 + ["lonely"],
        "reward": rng.choice([0.0, 1.0], 12),
    })
    lengths = rng.integers(2, 9, 12)
    tokens = pl.DataFrame({
        "sample_id": np.repeat(samples["sample_id"].to_numpy(), lengths),
        "logprob": -rng.exponential(1.0, int(lengths.sum())),
    })
    sums = tokens.group_by("sample_id").agg(pl.col("logprob").sum().alias("sum_logprob"))
    samples = samples.join(sums, on="sample_id", maintain_order="left")
    rows = {r["step"]: r for r in mechanism_per_step(tokens, samples)}
    adv = samples.with_columns(advantages(samples))
    assert adv.filter(pl.col("group_id") == "lonely")["advantage"].item() is None
    for step in (1, 2):
        keep = adv.filter((pl.col("step") == step) & pl.col("advantage").is_not_null())
        joined = tokens.join(keep, on="sample_id")
        ref = np.cov(joined["logprob"].to_numpy(), joined["advantage"].to_numpy(), bias=True)[0, 1]
        assert rows[step]["logp_advantage_cov"] == pytest.approx(ref, rel=1e-9, abs=1e-12)
        assert rows[step]["n_cov_tokens"] == joined.height
        at = samples.filter(pl.col("step") == step)
        good, bad = at.filter(pl.col("reward") > 0), at.filter(pl.col("reward") <= 0)
        if good.height and bad.height:
            assert rows[step]["diff_logps"] == pytest.approx(good["sum_logprob"].mean() - bad["sum_logprob"].mean())
