"""rLLM episode JSON (fixture written as rLLM's EpisodeLogger does) and the real Strands trajectory."""

import json
from pathlib import Path

import pytest

from entropy_lens import read_run
from entropy_lens.errors import InvalidInput
from entropy_lens.readers.rllm import RllmEpisodeReader
from entropy_lens.readers.rllm_strands import RllmStrandsReader

RUN = Path(__file__).resolve().parent.parent / "fixtures" / "rllm"
EPISODES = RUN / "logs" / "frozenlake" / "qwen2.5-1.5b-grpo" / "episodes"
STRANDS = "rllm_strands_trajectory/examples/strands/strands_outputs/strands_trajectory_20250904_014601.json"


@pytest.fixture(scope="module")
def run():
    return read_run(RUN)


def test_one_row_per_step_and_batch_summary_ignored(run):
    assert run.source_format == "rllm"
    assert [s.reader for s in run.sources] == ["rllm-episode"] * 3
    # episodes of 2, 3 and 2 steps; batch_summary.json is not an episode
    assert run.rollouts.height == 7
    assert run.rollouts.group_by("split").len().sort("split").rows() == [("train", 5), ("val", 2)]
    assert sorted(run.rollouts["step"].unique()) == [3, 5]


def test_fields_map_to_canonical_columns(run):
    rows = run.rollouts.filter(run.rollouts["step"] == 3).sort("traj_id", "turn").to_dicts()
    solved = [r for r in rows if r["success"]]
    assert [r["turn"] for r in solved] == [0, 1]
    # trajectory reward np.sum([0, 1]) was written by default=str as the string "1"
    assert {r["reward"] for r in solved} == {1.0}
    assert {r["group_id"] for r in rows} == {"4021"}  # episode id "4021:<rollout>"
    assert solved[1]["response"] == "Now go down twice toward G.\n```Down```"
    # the prompt of turn 1 is the chat before it: rules, observation 0, answer 0, observation 1
    assert solved[1]["prompt"].startswith("system: You are walking on a frozen lake.")
    assert "assistant: The hole is below me, go right first.\n```Right```" in solved[1]["prompt"]
    assert solved[1]["prompt"].endswith("Please give the next action.")
    extra = json.loads(solved[1]["extra"])
    assert extra["episode"]["termination_reason"] == "env_done"
    assert extra["step"]["action"] == 2 and extra["step"]["done"] is True


def test_thought_missing_from_content_is_put_back(tmp_path):
    folder = tmp_path / "episodes" / "train_step_7_epoch_1"
    folder.mkdir(parents=True)
    step = {
        "observation": "2+2?",
        "thought": "Add them.",
        "action": "4",
        "reward": 1.0,
        "done": True,
        "model_response": "4",
        "chat_completions": [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4", "reasoning": "Add them."},
        ],
    }
    episode = {
        "training_step": 7,
        "episode_id": "t9:0",
        "is_correct": True,
        "trajectories": [{"name": "solver", "uid": "u1", "reward": 1.0, "steps": [step]}],
    }
    path = folder / "episode_hash0badc0de_idt9_0.json"
    path.write_text(json.dumps(episode, indent=2))
    row = RllmEpisodeReader().read(path).frame.row(0, named=True)
    assert row["response"] == "<think>Add them.</think>4"
    assert row["prompt"] == "user: 2+2?"
    assert (row["step"], row["split"], row["group_id"]) == (7, "train", "t9")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"training_step": 1, "is_correct": true, "trajectories": {}}', "'trajectories' is not a list"),
        ('{"training_step": 1, "is_correct": 1, "trajectories": []}', "'is_correct' is not a boolean"),
    ],
)
def test_broken_episode_names_the_file(tmp_path, text, reason):
    folder = tmp_path / "train_step_1_epoch_0"
    folder.mkdir()
    path = folder / "episode_hash00000000_idx_0.json"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=reason) as info:
        RllmEpisodeReader().read(path)
    assert info.value.path == path


def test_real_strands_trajectory(external):
    path = external / STRANDS
    assert RllmStrandsReader().sniff(path) and not RllmEpisodeReader().sniff(path)
    frame = read_run(path).rollouts.sort("turn")
    assert frame.height == 2  # SOURCES.md: 2 steps, reward 0.0
    assert frame["reward"].to_list() == [0.0, 0.0]
    assert frame["traj_id"].unique().to_list() == ["strands_task_001_0"]
    first, second = frame.to_dicts()
    assert first["prompt"] == "user: who won the 2025 France Tennis Open?"
    assert json.loads(first["response"].split("\n")[1]) == {
        "name": "google_search",
        "arguments": {"query": "2025 France Tennis Open winner"},
    }
    # the final answer was generated after the search result: it is part of the prompt
    assert "Carlos Alcaraz defeated Jannik Sinner" in second["prompt"]
    assert second["response"].startswith("The 2025 French Open men's singles title was won by Carlos Alcaraz")
