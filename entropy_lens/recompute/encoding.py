"""Rollout text → the token sequence the policy saw, with the tokens the policy itself wrote marked.

Two things a dump loses are put back before scoring:

* **the chat template** (``chat.restore_prompt``): verl and most agent frameworks decode prompts
  without special tokens, so ``<|im_start|>user\\n…<|im_end|>`` reads ``user\\n…``;
* **who wrote what** in a concatenated multi-turn output: environment text (tool responses,
  Search-R1 ``<information>`` blocks, user/tool turns) is context, not policy. The split is
  ``environments.policy_spans`` — the same one the detectors use — so recompute never scores or
  pools text the detectors treat as the environment's.

Each piece of the response is tokenised on its own and the pieces are concatenated, as the
multi-turn frameworks build their sequences turn by turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from entropy_lens.environments import policy_spans
from entropy_lens.recompute.chat import restore_prompt


@dataclass(frozen=True)
class Encoded:
    """One sequence to score: prompt tokens, then the output's tokens (policy and environment)."""

    sample_id: str
    input_ids: list[int]
    #: token spans ``[start, end)`` the policy wrote (start ≥ 1: position 0 has no prediction)
    policy: tuple[tuple[int, int], ...]
    #: position of the output's first token (after the prompt)
    response_start: int = 0

    def policy_mask(self) -> np.ndarray:
        """[T] bool: True at the positions of policy tokens."""
        mask = np.zeros(len(self.input_ids), dtype=bool)
        for start, end in self.policy:
            mask[start:end] = True
        return mask


def encode(
    tokenizer,
    sample_ids: Sequence[str],
    prompts: Sequence[str],
    responses: Sequence[str],
    *,
    max_length: int = 8192,
    chat_template: bool = True,
) -> tuple[list[Encoded], int]:
    """Tokenise every ``prompt + response``; returns the sequences and how many prompts got their
    chat template back.

    The prompt carries the tokenizer's special tokens (restored chat template, or BOS); the
    response's pieces none. Sequences longer than ``max_length`` lose the start of their prompt;
    an output longer than ``max_length − 1`` tokens loses its end.
    """
    restored_cache: dict[str, tuple[list[int], bool]] = {}
    encoded, restored = [], 0
    for sample_id, prompt, response in zip(sample_ids, prompts, responses):
        if prompt not in restored_cache:  # GRPO groups share prompts: tokenise each once
            restored_cache[prompt] = _prompt_ids(tokenizer, prompt, chat_template)
        head, was_restored = restored_cache[prompt]
        restored += was_restored
        tail, spans = _response_ids(tokenizer, response)
        encoded.append(_fit(tokenizer, str(sample_id), head, tail, spans, max_length))
    return encoded, restored


def _prompt_ids(tokenizer, prompt: str, chat_template: bool) -> tuple[list[int], bool]:
    text = restore_prompt(tokenizer, prompt) if chat_template else None
    if text is not None:
        return tokenizer([text], add_special_tokens=False)["input_ids"][0], True
    return tokenizer([prompt], add_special_tokens=True)["input_ids"][0], False


def _response_ids(tokenizer, response: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids of ``response`` and the token spans of its policy-written parts."""
    policy, _ = policy_spans(response)
    if policy == [(0, len(response))] or not response:
        ids = tokenizer([response], add_special_tokens=False)["input_ids"][0] if response else []
        return ids, [(0, len(ids))]
    pieces, cursor = [], 0
    for start, end in policy:
        pieces += [(response[cursor:start], False), (response[start:end], True)]
        cursor = end
    pieces.append((response[cursor:], False))
    pieces = [(text, is_policy) for text, is_policy in pieces if text]
    tokenised = tokenizer([text for text, _ in pieces], add_special_tokens=False)["input_ids"]
    ids, spans = [], []
    for (_, is_policy), piece in zip(pieces, tokenised):
        if is_policy and piece:
            spans.append((len(ids), len(ids) + len(piece)))
        ids += piece
    return ids, spans


def _fit(tokenizer, sample_id: str, head: list[int], tail: list[int], spans, max_length: int) -> Encoded:
    """Cut to ``max_length`` (prompt start first, then output end) and shift spans to sequence positions."""
    tail = tail[: max_length - 1]
    if len(head) + len(tail) > max_length:
        head = head[len(head) + len(tail) - max_length :]
    if not head:  # position 0 has no prediction: keep one token to condition on
        head = [tokenizer.bos_token_id or tokenizer.eos_token_id or 0]
    offset = len(head)
    policy = tuple(
        (offset + start, offset + min(end, len(tail))) for start, end in spans if start < min(end, len(tail))
    )
    return Encoded(sample_id, list(head) + list(tail), policy, offset)
