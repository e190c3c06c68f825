"""Group signals (GRPO-group diversity, near-identical groups, turn echo) against the references
over Python sets (``detector_reference.group_diversity`` / ``turn_echo``), on groups that mix
pure-ASCII outputs (numpy tokens) and other outputs (polars tokens), in order or interleaved."""

from __future__ import annotations

import detector_reference as ref
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entropy_lens.detectors import scan
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

WORDS = st.sampled_from(["go", "to", "the", "fridge", "1", ".", "!", "é", "İ", "日本", "abcdefghij", " ", "\n", "\x1c"])
OUTPUTS = st.lists(WORDS, max_size=24).map(" ".join)
GROUPS = st.lists(st.lists(OUTPUTS, min_size=1, max_size=5), min_size=1, max_size=6)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GROUPS, st.randoms(use_true_random=False))
def test_group_signals_match_the_reference(groups, random):
    rows = [
        {
            "step": 3,
            "split": "train",
            "sample_id": f"{g}/{t}",
            "group_id": f"g{g}",
            "traj_id": f"g{g}",
            "turn": t,
            "response": text,
        }
        for g, outputs in enumerate(groups)
        for t, text in enumerate(outputs)
    ]
    if random.random() < 0.5:  # groups and turns interleaved, as some dumps order them
        random.shuffle(rows)
    found = scan(conform(pl.DataFrame(rows), ROLLOUTS_SCHEMA), detectors=["seq_rep_4"]).per_step.row(0, named=True)
    scores = [d for d in (ref.group_diversity(outputs) for outputs in groups) if d is not None]
    assert found["n_groups"] == len(scores)
    if scores:
        assert found["group_diversity"] == pytest.approx(sum(scores) / len(scores), abs=1e-12)
        assert found["near_identical_groups"] == pytest.approx(sum(d <= 0.1 for d in scores) / len(scores), abs=1e-12)
    else:
        assert found["group_diversity"] is None
    shares = [share for outputs in groups for share in ref.turn_echo(dict(enumerate(outputs)))]
    assert found["turn_echo"] == (pytest.approx(sum(shares) / len(shares), abs=1e-12) if shares else None)
