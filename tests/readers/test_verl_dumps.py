"""verl rollout/validation dumps and the SEAL verl-agent validation dump."""

import json
from pathlib import Path

import pytest

from paths import EXTERNAL
from entropy_lens.errors import InvalidInput
from entropy_lens.readers.verl_dumps import (
    VerlAgentValDumpReader,
    VerlRolloutDumpReader,
    dump_split,
    group_hash,
    name_step,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verl"


def test_real_rollout_dump():
    path = EXTERNAL / "verl_rollout_dump_zyqiu6" / "1.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not present (real third-party files; see tests/paths.py)")
    reader = VerlRolloutDumpReader()
    table = reader.read(path)
    frame = table.frame
    assert reader.sniff(path) and table.problems == [] and frame.height == 128
    assert set(frame["step"]) == {1} and set(frame["split"]) == {"train"}
    assert frame["reward"].mean() == 0.015625 and frame["sample_id"][7] == "train/1/7"
    assert frame["extra"].null_count() == 128 and frame["success"].null_count() == 128  # no extra keys
    assert frame["prompt"][0].startswith("system\nYou are Qwen") and frame["group_id"].n_unique() == 128


def test_fixture_dump_maps_reward_extras():
    frame = VerlRolloutDumpReader().read(FIXTURES / "run" / "rollout_data" / "2.jsonl").frame
    assert frame.height == 4 and frame["turn"].null_count() == 4
    assert frame["success"].to_list() == [True, False, True, False]
    assert frame["reward"].to_list() == [1.0, 0.0, 1.0, 0.0]
    assert frame["group_id"].n_unique() == 2  # two GRPO samples per prompt
    assert json.loads(frame["extra"][0]) == {"gts": "72", "pred": "72"}
    assert frame["traj_id"].to_list() == frame["sample_id"].to_list()


def test_ids_from_multi_turn_keys(tmp_path):
    folder = tmp_path / "val_generations"
    folder.mkdir()
    lines = [
        {"input": "obs", "output": "act", "score": 0.0, "step": 5,
         "uid": "g1", "traj_uid": "t1", "step_index": 0},
        {"input": "obs", "output": "act", "score": 1, "step": 5, "acc": 0.5, "traj_id": 9, "turn": 1.0},
        {"input": ["not", "text"], "output": "x", "score": 1.0, "step": 5},
    ]
    (folder / "5.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    table = VerlRolloutDumpReader().read(folder / "5.jsonl")
    first, second = table.frame.rows(named=True)
    assert (first["group_id"], first["traj_id"], first["turn"], first["split"]) == ("g1", "t1", 0, "val")
    assert (second["traj_id"], second["turn"], second["success"]) == ("9", 1, None)
    assert second["group_id"] == group_hash("val", 5, "obs") and json.loads(second["extra"]) == {"acc": 0.5}
    assert [(p.line, p.reason) for p in table.problems] == [(3, "field 'input' is not a string (list)")]


def test_split_and_sniff(tmp_path):
    folders = ("validation_data", "val_dump", "eval", "rollout_data", "retrieval")
    assert [dump_split(Path(n)) for n in folders] == ["val", "val", "val", "train", "train"]
    reader = VerlRolloutDumpReader()
    other = tmp_path / "3.jsonl"
    other.write_text('{"prompt": "p", "completion": "c"}\n')
    named = tmp_path / "gen_3.jsonl"
    named.write_text('{"input": "p", "output": "c", "score": 1.0, "step": 3}\n')
    assert not reader.sniff(other) and not reader.sniff(named)


def test_seal_validation_dump():
    path = FIXTURES / "seal" / "qwen7grpo_step400_alfworld.json"
    reader = VerlAgentValDumpReader()
    frame = reader.read(path).frame
    assert reader.sniff(path) and name_step(path) == 400 and frame.height == 6
    assert set(frame["split"]) == {"val"} and set(frame["step"]) == {400}
    assert frame["turn"].to_list() == [0, 1, 2, 0, 1, 2] and frame["traj_id"].n_unique() == 2
    assert frame["reward"].to_list() == [10.0] * 3 + [0.0] * 3 and frame["group_id"].null_count() == 6
    assert frame["sample_id"][4] == "val/400/qwen7grpo_step400_alfworld/4"


def test_seal_dump_bad_entries_and_other_lists(tmp_path):
    reader = VerlAgentValDumpReader()
    path = tmp_path / "run_step20_webshop.json"
    path.write_text(json.dumps([["p", "r", 1.0, "t"], ["p", "r", "high", "t"], ["p", "r"]]))
    table = reader.read(path)
    assert table.frame.height == 1 and [p.reason for p in table.problems] == [
        "entry 1: score is not a number", "entry 2: not a [prompt, response, score, traj_uid] list"]
    mlflow = tmp_path / "val_step20.json"
    mlflow.write_text(json.dumps([{"input": "p", "output": "r", "score": 1.0}]))
    unnamed = tmp_path / "generations.json"
    unnamed.write_text(json.dumps([["p", "r", 1.0, "t"]]))
    assert not reader.sniff(mlflow) and not reader.sniff(unnamed)
    path.write_text(json.dumps([[1, 2, 3, 4]]))
    with pytest.raises(InvalidInput):
        reader.read(path)
