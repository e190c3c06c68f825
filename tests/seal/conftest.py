"""Fixtures of the SEAL tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from seal_fixtures import TEMPLATE_PROMPT, write_dump


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """Two steps × two tasks × a GRPO group of 3 (``uid``), rewards 0/1: 12 short outputs."""
    root = tmp_path_factory.mktemp("small_run")
    for step in (1, 2):
        rows = []
        for task, uid in (("find the key", f"u{step}a"), ("open the door", f"u{step}b")):
            for k, score in enumerate((1.0, 0.0, 0.0) if step == 1 else (0.0, 1.0, 1.0)):
                action = ("look", "inventory", "look")[k]
                rows.append({
                    "input": TEMPLATE_PROMPT.format(task=task),
                    "output": f"<think>I should {action} now.</think>\n<action>{action}</action>",
                    "score": score, "uid": uid, "acc": bool(score),
                })
        write_dump(root / "rollout_data", step, rows)
    return root
