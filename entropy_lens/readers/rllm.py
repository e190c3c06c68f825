"""rLLM episode JSON → ``rollouts``.

Episode files (rllm-org/rllm ``rllm/utils/episode_logger.py``, ``episode_logging.log_episodes``):
``logs/<project>/<experiment>/episodes/<train|val>_step_<N>_epoch_<E>/episode_hash<task8>_id<episode>.json``,
one pretty-printed episode per file: ``training_step``, ``epoch``, ``episode_id``
(``<task_id>:<rollout_idx>``), ``session_id``, ``task``, ``task_hash``, ``is_correct``,
``termination_reason``, ``metrics``, ``metadata``, ``timing`` and
``trajectories[]{name, uid, reward, num_steps, timing, steps[]{observation, thought, action,
reward, done, model_response, chat_completions, timing}}``. ``chat_completions`` is the message
history *including* the step's own assistant message (``Step.from_model_output``). The same
folder may hold a ``batch_summary.json``, which is not an episode.

One row per step: ``response`` = the step's ``model_response`` (with its ``thought`` put back as
``<think>…</think>`` when the content lacks it), ``prompt`` = the chat context before it (the
observation when there is no chat). ``reward`` = the trajectory reward (the step reward when the
trajectory has none), ``success`` = ``is_correct``, ``group_id`` = the task id (GRPO groups the
rollouts of one task), ``traj_id`` = the trajectory ``uid``.

Strands agent trajectories: ``rllm_strands``.
"""

from __future__ import annotations

import re
from pathlib import Path

from entropy_lens.errors import InvalidInput
from entropy_lens.readers import chat
from entropy_lens.readers.base import Table, head
from entropy_lens.readers.records import (
    BadRecord,
    RowBatches,
    extra_json,
    integer,
    load_json,
    number,
    reason,
    remaining,
)

_EPISODE_NAME = re.compile(r"^episode_hash[0-9a-f]*_id.+\.json$")
_STEP_DIR = re.compile(r"^(train|val)_step_(\d+)_epoch_(\d+)$")
_EPISODE_KEYS = ("training_step", "is_correct", "trajectories")
_STEP_KEYS = ("model_response", "chat_completions", "observation")


def as_list(value, what: str) -> list:
    if not isinstance(value, list):
        raise BadRecord(f"{what} is not a list ({type(value).__name__})")
    return value


def as_dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise BadRecord(f"{what} is not an object ({type(value).__name__})")
    return value


def _split_step(episode: dict, path: Path) -> tuple[str, int]:
    """(split, step) from the step folder name, else from ``training_step`` (split train)."""
    match = _STEP_DIR.match(path.parent.name)
    if match:
        return match.group(1), int(match.group(2))
    if episode.get("training_step") is None:
        raise BadRecord("field 'training_step' is missing and the folder is not <mode>_step_<N>_epoch_<E>")
    return "train", integer(episode["training_step"], "training_step")


def chat_context(messages: list, observation) -> str:
    """The chat before the step's own (last) assistant message; the observation if no chat."""
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "assistant":
        messages = messages[:-1]
    return chat.render(messages) if messages else chat.text_of(observation)


def _response(step: dict) -> str:
    response = step.get("model_response")
    if not isinstance(response, str):
        raise BadRecord(f"field 'model_response' is not a string ({type(response).__name__})")
    thought = step.get("thought")
    if isinstance(thought, str) and thought and thought not in response:
        return f"<think>{thought}</think>{response}"
    return response


def _group(episode: dict) -> str | None:
    episode_id = episode.get("episode_id")
    if isinstance(episode_id, str) and episode_id:
        return episode_id.split(":")[0]
    task_hash = episode.get("task_hash")
    return str(task_hash) if task_hash is not None else None


def episode_rows(episode: dict, path: Path) -> list[dict]:
    """Canonical rows of one rLLM episode (one per trajectory step).

    Raises:
        BadRecord: a needed field is missing or mistyped.
    """
    split, step = _split_step(episode, path)
    success = episode.get("is_correct")
    if success is not None and not isinstance(success, bool):
        raise BadRecord("field 'is_correct' is not a boolean")
    episode_extra = remaining(episode, _EPISODE_KEYS)
    rows = []
    for index, traj in enumerate(as_list(episode.get("trajectories"), "'trajectories'")):
        traj = as_dict(traj, f"trajectories[{index}]")
        traj_id = str(traj.get("uid") or f"{episode.get('episode_id')}#{index}")
        traj_reward = number(traj, "reward")
        for turn, item in enumerate(as_list(traj.get("steps", []), f"trajectories[{index}].steps")):
            item = as_dict(item, f"trajectories[{index}].steps[{turn}]")
            messages = item.get("chat_completions") or []
            step_reward = number(item, "reward")
            rows.append(
                {
                    "step": step,
                    "sample_id": f"{traj_id}:{turn}",
                    "traj_id": traj_id,
                    "group_id": _group(episode),
                    "turn": turn,
                    "prompt": chat_context(as_list(messages, "'chat_completions'"), item.get("observation")),
                    "response": _response(item),
                    "reward": traj_reward if traj_reward is not None else step_reward,
                    "success": success,
                    "split": split,
                    "extra": extra_json(
                        {
                            "episode": episode_extra,
                            "trajectory": remaining(traj, ("uid", "steps")),
                            "step": remaining(item, _STEP_KEYS),
                        }
                    ),
                }
            )
    return rows


class RllmEpisodeReader:
    """rLLM ``episodes/<mode>_step_<N>_epoch_<E>/episode_hash…_id….json`` files."""

    name = "rllm-episode"
    kind = "rollouts"

    def sniff(self, path: Path) -> bool:
        if path.suffix != ".json":
            return False
        if _EPISODE_NAME.match(path.name):
            return True
        start = head(path)
        return '"training_step"' in start and '"trajectories"' in start and '"is_correct"' in start

    def read(self, path: Path) -> Table:
        return read_document(path, episode_rows)


def read_document(path: Path, to_rows) -> Table:
    """One whole-file JSON object → rows; any bad field makes the file unusable.

    Raises:
        InvalidInput: not JSON, not an object, or a needed field is missing or mistyped.
    """
    document = load_json(path)
    if not isinstance(document, dict):
        raise InvalidInput(path, f"not a JSON object ({type(document).__name__})")
    try:
        rows = to_rows(document, path)
    except (BadRecord, RecursionError) as exc:
        raise InvalidInput(path, reason(exc)) from None
    batches = RowBatches()
    batches.add(rows)
    return Table(kind="rollouts", frame=batches.frame())
