"""The fine-tune's output folder, in verl's checkpoint layout so ``analyze`` and ``recompute`` read it.

::

    OUT/seal_run.json                      settings, source checkpoint and rollouts, groups and labels
    OUT/metrics.jsonl                      verl ``file``-logger lines, one per step
    OUT/old_logprobs.safetensors           log-probs of the starting policy (recomputed once)
    OUT/latest_checkpointed_iteration.txt  the last complete save (verl's tracker file)
    OUT/global_step_N/actor/huggingface/   HF model + tokenizer (``from_pretrained`` loads it)
    OUT/global_step_N/actor/seal_head.safetensors   the head, ``ProjZModule`` names (``net.*``)
    OUT/global_step_N/actor/trainer_state.pt        optimizer, RNG states and step (for resuming)

A save is written into a hidden temp folder and renamed into place, then the tracker is updated,
so an interrupted save leaves the previous one intact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import torch

from entropy_lens.errors import InvalidInput, OutputExists
from entropy_lens.outputs import write_atomically, write_text
from entropy_lens.seal.head import SealHead, save_head

TRACKER = "latest_checkpointed_iteration.txt"
RUN_FILE = "seal_run.json"
METRICS_FILE = "metrics.jsonl"
OLD_LOGPROBS = "old_logprobs.safetensors"
_OURS = re.compile(rf"^(?:{re.escape(RUN_FILE)}|{re.escape(METRICS_FILE)}|{re.escape(OLD_LOGPROBS)}|{re.escape(TRACKER)}"
                   r"|global_step_\d+|\.global_step_\d+\.tmp|\..*\.tmp)$")


def check_out(out: Path) -> Path:
    """``out`` is new, empty, or an earlier SEAL fine-tune (to resume).

    Raises:
        OutputExists: a file, or a folder holding files this command did not write.
    """
    if out.exists() and not out.is_dir():
        raise OutputExists(out, "exists and is not a folder; choose another --out")
    foreign = sorted(p.name for p in out.iterdir() if not _OURS.match(p.name)) if out.is_dir() else []
    if foreign:
        raise OutputExists(out, f"holds files a SEAL fine-tune did not write ({', '.join(foreign[:3])}); choose a new --out")
    return out


def latest_step(out: Path) -> int | None:
    """The step of the last complete save, or None."""
    tracker = out / TRACKER
    if not tracker.is_file():
        return None
    text = tracker.read_text().strip()
    if not text.isdigit() or not (step_dir(out, int(text)) / "actor" / "trainer_state.pt").is_file():
        raise InvalidInput(tracker, f"names step '{text}', which has no complete save; remove the folder to start over")
    return int(text)


def step_dir(out: Path, step: int) -> Path:
    return out / f"global_step_{step}"


def save(out: Path, step: int, model, tokenizer, head: SealHead, trainer_state: dict) -> Path:
    """Write one checkpoint atomically (temp folder, rename, then the tracker)."""
    final = step_dir(out, step)
    tmp = out / f".global_step_{step}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    actor = tmp / "actor"
    model.save_pretrained(actor / "huggingface", safe_serialization=True)
    tokenizer.save_pretrained(actor / "huggingface")
    save_head(head, actor / "seal_head.safetensors")
    torch.save(trainer_state, actor / "trainer_state.pt")
    if final.exists():  # a save of the same step from an interrupted run: replace it whole
        old = out / f".global_step_{step}.old.tmp"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old)
    else:
        os.replace(tmp, final)
    write_text(out / TRACKER, f"{step}\n")
    return final


def load_trainer_state(out: Path, step: int) -> dict:
    """Optimizer state, RNG states and step of a save (safe unpickling: tensors and plain types)."""
    return torch.load(step_dir(out, step) / "actor" / "trainer_state.pt", map_location="cpu", weights_only=True)


def save_old_logprobs(path: Path, per_output: list[torch.Tensor]) -> None:
    """The starting policy's log-probs, one [n_policy] tensor per output, as one flat safetensors file."""
    from safetensors.torch import save_file

    flat = torch.cat(per_output) if per_output else torch.zeros(0)
    sizes = torch.tensor([len(t) for t in per_output], dtype=torch.int64)
    write_atomically(path, lambda tmp: save_file({"logprob": flat.contiguous(), "n_policy": sizes}, str(tmp)))


def load_old_logprobs(path: Path) -> list[torch.Tensor]:
    """What ``save_old_logprobs`` wrote."""
    from safetensors.torch import load_file

    saved = load_file(str(path))
    return list(torch.split(saved["logprob"], saved["n_policy"].tolist()))


class MetricsLog:
    """verl's ``file`` logger: one ``{"step": N, "data": {...}}`` JSON line per step (NaN → null)."""

    def __init__(self, path: Path, *, keep_until: int | None = None):
        self.path = path
        if keep_until is not None and path.is_file():  # resuming: drop steps after the last save
            kept = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= keep_until]
            write_text(path, "".join(line + "\n" for line in kept))
        elif keep_until is None:
            write_text(path, "")

    def log(self, step: int, data: dict[str, float]) -> None:
        values = {k: (v if v == v and abs(v) != float("inf") else None) for k, v in data.items()}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, "data": values}, separators=(",", ":")) + "\n")
