"""What the environment showed the policy: the evidence a stated fact may rest on.

verl-agent prompts hold the current observation (``… your current observation is: …`` up to the
admissible-action list) and the recent history (``Prior to this step … [Observation k: '…',
Action k: '…']`` up to ``You are now at step``). The task instruction is never evidence: copying
the requested constraints into a list of facts is exactly the hallucination SEAL counts.
"""

from __future__ import annotations

import re

_CURRENT_OBS = re.compile(r"current observation is:\s*(.*?)\nYour admissible actions", re.IGNORECASE | re.DOTALL)
_PRIOR = re.compile(
    r"Prior to this step.*?corresponding actions you took:\s*(.*?)\nYou are now at step", re.IGNORECASE | re.DOTALL
)
_TASK_LINE = re.compile(
    r"^.*(?:Your task is to:|Your question:|Question:|Instruction:).*$", re.IGNORECASE | re.MULTILINE
)


def current_observation(prompt: str | None) -> str:
    """verl-agent's ``current observation is: …`` block of the prompt (``""`` when absent)."""
    found = _CURRENT_OBS.search(prompt or "")
    return found.group(1) if found else ""


def observations(prompt: str | None) -> str:
    """What the environment showed: verl-agent's current observation plus the prior actions, or
    else the prompt without its task-instruction lines (the instruction is never evidence)."""
    prompt = prompt or ""
    current, prior = _CURRENT_OBS.search(prompt), _PRIOR.search(prompt)
    if current or prior:
        return " ".join(m.group(1) for m in (current, prior) if m)
    return _TASK_LINE.sub("", prompt)
