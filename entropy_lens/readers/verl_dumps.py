"""verl rollout / validation dumps and verl-agent's validation dump → ``rollouts`` rows.

**verl** ``RayPPOTrainer._dump_generations`` (``verl/trainer/ppo/ray_trainer.py``, volcengine/verl
b178a3c; same in RAGEN and verl-agent) writes ``<dir>/<global_step>.jsonl`` into
``trainer.rollout_data_dir`` and ``trainer.validation_data_dir``: one
``json.dumps(entry, ensure_ascii=False)`` per sample, keys in the order ``input`` (decoded prompt),
``output`` (decoded response), ``gts`` (absent before 2025 and in RAGEN), ``score`` (summed
token-level score), ``step``, then every ``reward_extra_info`` key (``acc``, ``pred``, ``reward``,
``request_id``, …). Both folders name files by step alone, so the split comes from the folder
name (``val``, ``validation``, ``eval`` at the start of a word → ``val``, else ``train``).

Columns: ``prompt ← input``, ``response ← output``, ``reward ← score``, ``success ← acc`` (or
``success`` / ``won``) when boolean or 0/1, ``traj_id ← traj_uid`` / ``traj_id`` else the sample id,
``group_id ← uid`` else a hash of (split, step, prompt) — GRPO samples of one prompt share it —
``turn ← turn`` / ``step_index`` when whole, ``extra`` ← the keys no column took, as JSON.
``sample_id`` is ``<split>/<step>/<line index>`` (0-based line of the dump file).

**verl-agent as the paper's code patched it** (SEAL ``RayPPOTrainer._maybe_log_val_generations``,
``research/paper.md`` §2) writes one ``json.dump(samples, f)`` per validation: a JSON list of
``[prompt, response, score, traj_uid]``, one entry per environment step, the checkpoint's step in
the file name (``qwen7grpo_step400_alfworld.json``). Rows: split ``val``, ``traj_id ← traj_uid``,
``turn`` = order of the entry within its ``traj_uid``, no group, ``sample_id``
``val/<step>/<file stem>/<entry index>``. The file is one JSON document, so it is loaded whole.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from entropy_lens.errors import InvalidInput
from entropy_lens.readers.base import Table, head
from entropy_lens.readers.records import (
    MAX_STEP,
    RowBatches,
    extra_json,
    finish,
    group_hash,
    load_json,
    number,
    read_jsonl,
    remaining,
    text,
)
from entropy_lens.readers.tabular import json_number
from entropy_lens.run import Problem

_VAL_FOLDER = re.compile(r"(?:^|[^a-z])(?:val|eval)", re.IGNORECASE)
_STEP_STEM = re.compile(r"\d{1,18}")  # fits Int64
_STEP_IN_NAME = re.compile(r"step[_-]?(\d{1,18})(?!\d)", re.IGNORECASE)
_SEAL_LIST = re.compile(r'\s*\[\s*\[\s*"')
_SUCCESS_KEYS = ("acc", "success", "won")
_TRAJ_KEYS = ("traj_uid", "traj_id")
_TURN_KEYS = ("turn", "step_index")


def dump_split(folder: Path) -> str:
    """``val`` for a validation-dump folder (``val_generations``, ``validation``, ``eval``), else ``train``.

    ``val``/``eval`` must start a word, so ``retrieval`` or ``interval`` stay ``train``.
    """
    return "val" if _VAL_FOLDER.search(folder.name) else "train"


def _first(record: dict, keys: tuple[str, ...], convert) -> tuple[str | None, object]:
    """The first of ``keys`` whose value ``convert`` accepts (not ``None``), and that value."""
    for key in keys:
        value = convert(record.get(key))
        if value is not None:
            return key, value
    return None, None


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    return None


def _identifier(value) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _whole(value) -> int | None:
    """A non-negative whole number that fits ``Int64`` (``3`` or ``3.0``), else ``None``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STEP:
        return value
    return None


class VerlRolloutDumpReader:
    """``<rollout_data_dir | validation_data_dir>/<global_step>.jsonl`` sample dumps."""

    name = "verl-rollout-dump"
    kind = "rollouts"

    def sniff(self, path: Path) -> bool:
        return (
            path.suffix == ".jsonl"
            and _STEP_STEM.fullmatch(path.stem) is not None
            and head(path, 64).lstrip().startswith('{"input": ')
        )

    def read(self, path: Path) -> Table:
        step, split = int(path.stem), dump_split(path.parent)

        def to_rows(record: dict, line: int) -> list[dict]:
            sample_id = f"{split}/{step}/{line - 1}"
            prompt = text(record, "input", required=True)
            success_key, success = _first(record, _SUCCESS_KEYS, _flag)
            traj_key, traj_id = _first(record, _TRAJ_KEYS, _identifier)
            group_key, group_id = _first(record, ("uid",), _identifier)
            turn_key, turn = _first(record, _TURN_KEYS, _whole)
            used = ("input", "output", "score", "step", success_key, traj_key, group_key, turn_key)
            return [{
                "step": step,
                "sample_id": sample_id,
                "traj_id": traj_id or sample_id,
                "group_id": group_id or group_hash(split, step, prompt),
                "turn": turn,
                "prompt": prompt,
                "response": text(record, "output", required=True),
                "reward": number(record, "score"),
                "success": success,
                "split": split,
                "extra": extra_json(remaining(record, used)),
            }]

        return read_jsonl(path, to_rows)


def name_step(path: Path) -> int | None:
    """The step in a dump's file name: ``…step400…`` or a bare number, else ``None``."""
    match = _STEP_IN_NAME.search(path.stem)
    if match:
        return int(match.group(1))
    return int(path.stem) if _STEP_STEM.fullmatch(path.stem) else None


def _entry_problem(entry) -> str | None:
    if not isinstance(entry, list) or len(entry) != 4:
        return "not a [prompt, response, score, traj_uid] list"
    prompt, response, score, traj = entry
    if not isinstance(prompt, str) or not isinstance(response, str):
        return "prompt or response is not a string"
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        return "score is not a number"
    return None if _identifier(traj) is not None else "traj_uid is not a string"


class VerlAgentValDumpReader:
    """SEAL's verl-agent validation dump: ``*step<N>*.json``, ``[[prompt, response, score, uid], …]``."""

    name = "verl-agent-val-dump"
    kind = "rollouts"

    def sniff(self, path: Path) -> bool:
        named = path.suffix == ".json" and name_step(path) is not None
        return named and bool(_SEAL_LIST.match(head(path, 64)))

    def read(self, path: Path) -> Table:
        step = name_step(path)
        if step is None:
            raise InvalidInput(path, "no step in the file name (e.g. qwen7grpo_step400_alfworld.json)")
        entries = load_json(path)
        if not isinstance(entries, list):
            raise InvalidInput(path, f"not a JSON list ({type(entries).__name__})")
        problems: list[Problem] = []
        turns: Counter[str] = Counter()
        batches = RowBatches()
        for index, entry in enumerate(entries):
            reason = _entry_problem(entry)
            if reason:
                problems.append(Problem(str(path), None, f"entry {index}: {reason}"))
                continue
            prompt, response, score, traj = entry
            traj_id = _identifier(traj)
            batches.add([{
                "step": step,
                "sample_id": f"val/{step}/{path.stem}/{index}",
                "traj_id": traj_id,
                "turn": turns[traj_id],
                "prompt": prompt,
                "response": response,
                "reward": json_number(score),
                "split": "val",
            }])
            turns[traj_id] += 1
        return finish(path, batches.frame(), problems)
