"""Rollout text → token ids and the mask of tokens the policy wrote (what SEAL and the policy loss train).

* **Prompt.** Dumps often hold the prompt decoded *without* special tokens, so a chat-templated
  prompt reads ``system\\n…\\nuser\\n…\\nassistant\\n``. Where the checkpoint's tokenizer has a chat
  template and the prompt carries none of its special tokens, the bare role lines are read back
  into messages and the template is applied again (``add_generation_prompt=True``); a prompt with
  no role lines becomes one user message. A prompt that still holds special tokens is used as is.
* **Response.** ``environments.policy_spans`` (the cut the detectors use) splits a concatenated
  multi-turn output into the policy's text and the environment's (observations, tool results,
  user turns). Each piece is tokenised on its own, in order: environment pieces are context
  (mask 0), policy pieces are trained (mask 1); template text between turns is context too. Where the template was applied, the end-of-turn
  token (``eos``) the dump stripped is appended to the output as a policy token: the policy
  wrote it, and learns to stop.
* **Length.** Sequences beyond ``max_length`` lose the start of their prompt, as in ``recompute``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from entropy_lens.environments import policy_spans

#: Role lines of a chat prompt decoded without its special tokens (verl dumps).
_ROLE_LINE = re.compile(r"(?m)^(system|user|assistant|tool)\n")


@dataclass(frozen=True)
class Encoded:
    """One output to train on: prompt and output token ids, and which of them the policy wrote."""

    sample_id: str
    input_ids: list[int]
    policy: list[bool]  #: per position; True where the policy wrote the token (trained)

    @property
    def n_policy(self) -> int:
        return sum(self.policy)


def stripped_messages(prompt: str) -> list[dict] | None:
    """Messages of a chat prompt whose special tokens were stripped, else None.

    >>> stripped_messages("system\\nBe brief.\\nuser\\nHi\\nassistant\\n")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    """
    parts = _ROLE_LINE.split(prompt)
    if len(parts) < 3 or parts[0].strip():
        return None
    messages = [{"role": role, "content": body.rstrip("\n")} for role, body in zip(parts[1::2], parts[2::2])]
    if messages[-1]["role"] == "assistant" and not messages[-1]["content"].strip():
        messages.pop()  # the generation prompt
    return messages or None


def chat_prompt(tokenizer, prompt: str) -> tuple[str, bool]:
    """``(text, templated)``: the prompt with the checkpoint's chat template applied where it was stripped."""
    template = getattr(tokenizer, "chat_template", None)
    special = [t for t in getattr(tokenizer, "all_special_tokens", []) if len(t) > 1]
    if not template or any(token in prompt for token in special):
        return prompt, False
    messages = stripped_messages(prompt) or [{"role": "user", "content": prompt}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True), True


def encode_rollouts(
    tokenizer, sample_ids: Sequence[str], prompts: Sequence[str], responses: Sequence[str], *, max_length: int = 4096
) -> list[Encoded]:
    """Token ids and policy masks of every rollout (see the module docstring for the rules)."""
    encoded = []
    for sample_id, prompt, response in zip(sample_ids, prompts, responses):
        text, templated = chat_prompt(tokenizer, prompt or "")
        head = tokenizer(text, add_special_tokens=not templated)["input_ids"]
        ids, policy = _response_tokens(tokenizer, response or "")
        if templated and tokenizer.eos_token_id is not None and any(policy):
            ids, policy = ids + [tokenizer.eos_token_id], policy + [True]
        ids, policy = ids[: max_length - 1], policy[: max_length - 1]
        head = head[-(max_length - len(ids)) :] or [tokenizer.bos_token_id or tokenizer.eos_token_id or 0]
        encoded.append(Encoded(str(sample_id), list(head) + ids, [False] * len(head) + policy))
    return encoded


def _response_tokens(tokenizer, response: str) -> tuple[list[int], list[bool]]:
    """The output's tokens in order, policy pieces marked True, environment pieces False."""
    policy, _ = policy_spans(response)
    pieces, cursor = [], 0
    for start, end in policy:  # text between policy spans (observations, turn headers) is context
        pieces += [(cursor, start, False), (start, end, True)]
        cursor = end
    pieces.append((cursor, len(response), False))
    ids: list[int] = []
    mask: list[bool] = []
    for start, end, written in pieces:
        if start == end:
            continue
        piece = tokenizer(response[start:end], add_special_tokens=False)["input_ids"]
        ids += piece
        mask += [written] * len(piece)
    return ids, mask
