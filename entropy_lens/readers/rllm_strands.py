"""rLLM Strands-agent trajectory JSON → ``rollouts``.

Strands trajectories (rLLM ``examples/strands``, e.g. ``strands_trajectory_20250904_014601.json``):
``{task, reward, steps[{step_index, observation, model_response, action, reward, done,
chat_completions, step_type, tool_name, tool_args, tool_result}], tool_calls_summary, metadata}``.
Their ``model_response`` is empty: the output is the ``action`` (a tool call, or an assistant
message). They come from agent runs outside training: ``step`` 0, ``split`` ``val``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from entropy_lens.readers import chat
from entropy_lens.readers.base import Table, head
from entropy_lens.readers.records import extra_json, number, remaining
from entropy_lens.readers.rllm import as_dict, as_list, chat_context, read_document


def _action_text(action) -> str:
    """A Strands action as the policy's output: the assistant text, or the tool call."""
    if isinstance(action, dict) and action.get("type") == "tool_call":
        call = {"function": {"name": action.get("tool_name"), "arguments": action.get("tool_args")}}
        return chat.tool_call_text(call)
    if isinstance(action, dict) and action.get("role") == "assistant":
        return chat.output_of(action)
    return chat.text_of(action)


def _strands_context(trajectory: dict, steps: list, turn: int) -> str:
    """Task chat before this step, then the earlier tool calls and their results."""
    item = steps[turn]
    messages = as_list(item.get("chat_completions") or [], f"steps[{turn}].chat_completions")
    context = chat_context(messages, item.get("observation") or trajectory.get("task"))
    for earlier in steps[:turn]:
        if isinstance(earlier, dict) and earlier.get("step_type") == "tool_call":
            call = _action_text(earlier.get("action"))
            context += f"\n\nassistant: {call}\n\ntool: {chat.text_of(earlier.get('tool_result'))}"
    return context


def strands_rows(trajectory: dict, path: Path) -> list[dict]:
    """Canonical rows of one Strands trajectory (one per step).

    Raises:
        BadRecord: a needed field is missing or mistyped.
    """
    steps = as_list(trajectory.get("steps"), "'steps'")
    metadata = trajectory.get("metadata") if isinstance(trajectory.get("metadata"), dict) else {}
    traj_id = str(metadata.get("episode_id") or path.stem)
    task = chat.text_of(trajectory.get("task"))
    reward = number(trajectory, "reward")
    rows = []
    for turn, item in enumerate(steps):
        item = as_dict(item, f"steps[{turn}]")
        response = item.get("model_response")
        if not isinstance(response, str) or not response:
            response = _action_text(item.get("action"))
        rows.append(
            {
                "step": 0,
                "sample_id": f"{traj_id}:{turn}",
                "traj_id": traj_id,
                "group_id": hashlib.sha1(task.encode("utf-8")).hexdigest()[:12],
                "turn": turn,
                "prompt": _strands_context(trajectory, steps, turn),
                "response": response,
                "reward": reward,
                "split": "val",
                "extra": extra_json(
                    {
                        "trajectory": remaining(trajectory, ("steps", "reward")),
                        "step": remaining(item, ("chat_completions", "model_response")),
                    }
                ),
            }
        )
    return rows


class RllmStrandsReader:
    """rLLM Strands-agent trajectory JSON (``strands_trajectory_<time>.json``)."""

    name = "rllm-strands"
    kind = "rollouts"

    def sniff(self, path: Path) -> bool:
        if path.suffix != ".json":
            return False
        start = head(path)
        return '"step_index"' in start and '"chat_completions"' in start and '"steps"' in start

    def read(self, path: Path) -> Table:
        return read_document(path, strands_rows)
