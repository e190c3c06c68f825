"""Inputs of the SEAL tests: the demo run's tiny checkpoint and small verl rollout dumps."""

from __future__ import annotations

import json
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_run"
CHECKPOINT = DEMO / "checkpoints" / "verl_agent_alfworld" / "grpo_tinyllama_demo" / "global_step_150"
TEMPLATE_PROMPT = (
    "system\nYou are a helpful assistant.\nuser\nYou are in the middle of a room. Your task is to: {task}.\n"
    "Your admissible actions of the current situation are: ['look'\n 'inventory'].\nassistant\n"
)


def write_dump(folder: Path, step: int, rows: list[dict]) -> Path:
    """A verl ``rollout_data_dir`` file, keys in verl's order (``input``, ``output``, ``score``, ``step``, extras)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{step}.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            entry = {"input": row["input"], "output": row["output"], "score": row["score"], "step": step}
            entry |= {k: v for k, v in row.items() if k not in entry}
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return path
