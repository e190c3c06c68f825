"""Where to start a SEAL fine-tune of a diagnosed run (``diagnosis.json``'s ``recommendation``).

Rule: start from the last checkpoint saved at or before the first eruption's onset (the onset is
the last point before the rise, so a save at that step precedes the eruption); when none
precedes it, from the earliest checkpoint. Train on the run's rollouts up to the onset (or up to
the chosen checkpoint, when that is later): the outputs of the policy before it erupted. No
eruption, no checkpoint with weights, or no rollouts: action ``none``, with the reason.

This module only describes the command; it does not import the training arm.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import polars as pl

from entropy_lens.phases import PhaseResult
from entropy_lens.run import Run


def recommend(run: Run, phases: PhaseResult | None) -> dict:
    """``{action, reason, checkpoint, checkpoint_step, rollouts, onset_step, until_step, command}``.

    ``action`` is ``seal`` (run ``command``) or ``none`` (then only ``reason`` is filled).
    """
    if phases is None or not phases.cycles:
        return _none("no entropy eruption was found, so there is nothing for SEAL to prevent")
    onset = min(cycle.onset_step for cycle in phases.cycles)
    saved = run.checkpoints.filter(pl.col("has_weights")).sort("step")
    if saved.is_empty():
        return _none(f"the first eruption starts at step {onset}, but the run saved no checkpoint with weights")
    if not run.n_rollouts:
        return _none(f"the first eruption starts at step {onset}, but the run left no rollouts to fine-tune on")
    before = saved.filter(pl.col("step") <= onset)
    chosen = before.row(-1, named=True) if before.height else saved.row(0, named=True)
    step = chosen["step"]
    if before.height:
        reason = f"step {step} is the last checkpoint at or before the first eruption's onset (step {onset})"
    else:
        reason = f"no checkpoint precedes the first eruption's onset (step {onset}); step {step} is the earliest"
    checkpoint = str(Path(chosen["path"]).resolve())
    rollouts = str(Path(run.path).resolve())
    until = max(onset, step)
    command = shlex.join([
        "entropy-lens", "seal", "--from", checkpoint, rollouts,
        "--out", f"seal-from-step-{step}", "--until-step", str(until),
    ])
    return {
        "action": "seal", "reason": reason, "checkpoint": checkpoint, "checkpoint_step": step,
        "rollouts": rollouts, "onset_step": onset, "until_step": until, "command": command,
    }


def _none(reason: str) -> dict:
    return {
        "action": "none", "reason": reason, "checkpoint": None, "checkpoint_step": None,
        "rollouts": None, "onset_step": None, "until_step": None, "command": None,
    }
