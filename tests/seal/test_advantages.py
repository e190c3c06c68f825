"""Groups, advantages and SEAL labels of logged rollouts; singletons are announced, never labelled silently."""

import math

import polars as pl
import pytest

from entropy_lens.readers import read_run
from entropy_lens.readers.records import group_hash
from entropy_lens.seal.advantages import advantages_and_labels

from seal_fixtures import DEMO


def _rows(groups, rewards, *, success=None, traj=None, prompts=None, step=1):
    n = len(rewards)
    prompts = prompts or [f"p{g}" for g in groups]
    return pl.DataFrame({
        "step": [step] * n, "sample_id": [f"s{i}" for i in range(n)],
        "traj_id": traj or [f"s{i}" for i in range(n)], "group_id": groups, "prompt": prompts,
        "reward": rewards, "success": success if success is not None else [None] * n, "split": ["train"] * n,
    }, schema_overrides={"success": pl.Boolean, "reward": pl.Float64})


def test_grpo_groups_from_uid():
    # group a: rewards 1, 0, 0, 0 → mean 0.25, population std √0.1875: +1.732 / −0.577
    table, summary = advantages_and_labels(_rows(["a"] * 4 + ["b"] * 2, [1, 0, 0, 0, 2, 2]))
    adv = table["advantage"].to_list()
    assert adv[0] == pytest.approx(0.75 / math.sqrt(0.1875), rel=1e-4)
    assert adv[1] == pytest.approx(-0.25 / math.sqrt(0.1875), rel=1e-4)
    assert adv[4] == adv[5] == 0.0  # all-equal group: advantage 0, labelled correct (the paper's rule)
    assert table["label"].to_list() == [True, False, False, False, True, True]
    assert summary["group_source"] == "uid" and summary["advantage"] == "grpo"
    assert summary["n_singleton_groups"] == 0 and summary["warning"] is None


def test_gigpo_step_term_where_trajectories_have_several_turns():
    # one group, two trajectories of two turns; turn 1 shares the anchor prompt "start"
    rows = _rows(["g"] * 4, [1, 1, 0, 0], traj=["t1", "t1", "t2", "t2"], prompts=["start", "mid1", "start", "mid2"])
    table, summary = advantages_and_labels(rows)
    episode = 0.5 / 0.5  # (1 − 0.5) / std 0.5
    step = 1 - 0.5  # mean_norm over the two "start" outputs
    assert summary["advantage"] == "grpo+gigpo-step"
    assert table["advantage"][0] == pytest.approx(episode + step, rel=1e-4)
    assert table["advantage"][1] == pytest.approx(episode, rel=1e-4)  # its own anchor group: step term 0
    assert table["advantage"][2] == pytest.approx(-episode - step, rel=1e-4)


def test_singletons_are_announced_and_labelled_by_success():
    rows = _rows(["a", "b", "c", "d", "e", "e"], [0, 0, 1, 0, 1, 0], success=[True, False, True, False, None, None])
    table, summary = advantages_and_labels(rows)
    assert summary["n_singleton_groups"] == 4 and summary["n_groups"] == 5
    assert table["label"].to_list() == [True, False, True, False, True, False]
    assert table["label_source"].to_list() == ["success"] * 4 + ["advantage"] * 2
    assert summary["warning"].startswith("4 of 5 groups are singletons")
    # the plain advantage rule: every singleton A = 0 → correct, plus the winner of group e
    assert summary["advantage_rule_correct_share"] == pytest.approx(5 / 6)
    assert summary["correct_share"] == pytest.approx(3 / 6)
    # policy loss of singletons: the step's batch as baseline, mean 1/3, std √(2/9): −1/√2 and +√2
    assert table["advantage"][0] == pytest.approx(-1 / math.sqrt(2), rel=1e-4)
    assert table["advantage"][2] == pytest.approx(math.sqrt(2), rel=1e-4)


def test_singletons_without_success_use_reward_above_the_step_median():
    table, _ = advantages_and_labels(_rows(["a", "b", "c", "d"], [0.0, 0.0, 0.0, 5.0]))
    # median 0: strictly above it is correct, so equal rewards do not all count as correct
    assert table["label"].to_list() == [False, False, False, True]
    assert set(table["label_source"]) == {"reward>step-median"}


def test_groups_from_identical_prompts_are_reported_as_such():
    prompts = ["same", "same", "other"]
    groups = [group_hash("train", 1, p) for p in prompts]
    _, summary = advantages_and_labels(_rows(groups, [1, 0, 1], prompts=prompts))
    assert summary["group_source"] == "prompt" and summary["n_singleton_groups"] == 1


def test_demo_run_singletons_do_not_become_correct_silently():
    train = read_run(DEMO).rollouts.filter(pl.col("split") == "train")
    table, summary = advantages_and_labels(train)
    assert summary["n_singleton_groups"] == 1124 and summary["n_groups"] == 1427
    assert summary["group_source"] == "prompt"
    assert summary["advantage_rule_correct_share"] > 0.85  # what the plain rule would have said
    success_share = train["success"].mean()  # 0.45
    assert abs(summary["correct_share"] - success_share) < 0.1
    assert "1124 of 1427 groups are singletons" in summary["warning"]
