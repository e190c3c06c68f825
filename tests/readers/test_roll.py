"""ROLL column-oriented rollout dumps and stdout-tracker metrics (fixtures written as ROLL does)."""

import json
import math
from pathlib import Path

import pytest

from entropy_lens import read_run
from entropy_lens.errors import InvalidInput
from entropy_lens.readers.roll import RollDumpReader, RollStdoutReader

RUN = Path(__file__).resolve().parent.parent / "fixtures" / "roll"


@pytest.fixture(scope="module")
def run():
    return read_run(RUN)


def test_readers_and_counts(run):
    assert {s.reader for s in run.sources} == {"roll-dump", "roll-stdout"}
    # RLVR: 2 prompts x 2 samples; agentic: trajectories of 2 and 3 assistant turns
    assert run.rollouts.group_by("step").len().sort("step").rows() == [(2, 4), (5, 5)]


def test_rlvr_columns_become_rows(run):
    rlvr = run.rollouts.filter(run.rollouts["step"] == 2).sort("sample_id")
    assert rlvr["group_id"].to_list() == ["gsm8k-0", "gsm8k-0", "gsm8k-1", "gsm8k-1"]
    assert rlvr["reward"].to_list() == [1.0, 0.0, 1.0, 1.0]
    assert set(rlvr["split"]) == {"train"}
    extra = json.loads(rlvr["extra"][0])
    assert extra["ground_truth"] == "72" and extra["tag"] == "math_rule"


def test_agentic_trajectories_split_into_turns(run):
    agentic = run.rollouts.filter(run.rollouts["step"] == 5).sort("traj_id", "turn")
    assert agentic.group_by("split").len().sort("split").rows() == [("train", 2), ("val", 3)]
    train = agentic.filter(agentic["split"] == "train").to_dicts()
    assert [r["reward"] for r in train] == [10.0, 10.0]  # episode reward on every turn
    assert train[1]["response"] == "<think>The box is to my right.</think><answer>Down</answer>"
    assert train[1]["prompt"].startswith("system: You are solving the Sokoban puzzle.")
    assert train[1]["prompt"].endswith("You have 1 actions left.")
    assert train[0]["group_id"] == "SimpleSokoban/0"
    assert json.loads(train[0]["extra"])["reward_info"]["step_rewards"] == [0.0, 10.0]


def test_stdout_metrics(run):
    entropy = run.series("critic/entropy/mean")
    assert entropy["step"].to_list() == [0, 1, 2]
    assert entropy["value"].to_list() == pytest.approx([0.61, 0.56, 0.51])
    assert math.isnan(run.series("actor/approxkl").filter(entropy["step"] == 1)["value"][0])


def test_unequal_columns_are_rejected(tmp_path):
    path = tmp_path / "rollout_dump_data.step_4.jsonl"
    path.write_text(json.dumps({"responses": ["a", "b"], "scores": [1.0]}) + "\n")
    with pytest.raises(InvalidInput, match="columns differ in length"):
        RollDumpReader().read(path)


@pytest.mark.parametrize("step", [2**63, 3.402823669209385e38])
def test_a_step_beyond_int64_is_rejected_naming_the_file(tmp_path, step):
    # found by the fuzz test: polars raised its own overflow error instead
    path = tmp_path / "rollout_dump_data.step_4.jsonl"
    path.write_text(json.dumps({"responses": ["a"], "scores": [1.0], "global_step": [step]}) + "\n")
    with pytest.raises(InvalidInput, match="beyond the 64-bit integer range") as info:
        RollDumpReader().read(path)
    assert str(path) in str(info.value)


def test_bad_metrics_lines_are_counted(tmp_path):
    path = tmp_path / "stdout.log"
    path.write_text(
        'metrics_tag: {"step": 1, "metrics": {"critic/entropy/mean": 0.5, "note": "text"}}\n'
        'metrics_tag: {"step": "x", "metrics": {}}\n'
        'metrics_tag: {"step": 2, "metr\n'
    )
    reader = RollStdoutReader()
    assert reader.sniff(path)
    table = reader.read(path)
    assert table.frame.rows() == [(1, "critic/entropy/mean", 0.5)]
    assert [p.line for p in table.problems] == [2, 3]


def test_log_without_metrics_is_not_claimed(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("step:1 - actor/entropy:0.5\n")
    assert not RollStdoutReader().sniff(path)
