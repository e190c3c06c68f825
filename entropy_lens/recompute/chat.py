"""Putting back the chat template a dump stripped from a prompt.

verl (``_maybe_log_val_generations``, the rollout ``dump``), verl-agent and others decode prompts
with ``skip_special_tokens=True``: a ChatML prompt ``<|im_start|>system\\nS<|im_end|>\\n
<|im_start|>user\\nU<|im_end|>\\n<|im_start|>assistant\\n`` is dumped as ``system\\nS\\nuser\\nU\\n
assistant\\n``. Scoring that text is scoring a different sequence from the one the policy saw.

The prompt is split at bare role lines into messages, rendered with the tokenizer's own chat
template, and the rendering is kept only if decoding it without special tokens gives back the
dumped text exactly: the restoration is proven, never guessed. Prompts that already hold the
template's special tokens, prompts without role lines, and tokenizers without a template are left
as they are. One ambiguity is inherent in the stripped text: a line of a message that reads exactly
``user`` (or another role name) is taken for a turn boundary.
"""

from __future__ import annotations

import re

_ROLE_LINE = re.compile(r"(?:^|\n)(system|user|assistant|tool)\n")


def stripped_messages(prompt: str) -> list[dict] | None:
    """Messages of a prompt dumped without special tokens (``None`` if it does not start with a role line).

    A trailing empty ``assistant`` turn (the generation prompt) is left out.

    >>> stripped_messages("system\\nBe brief.\\nuser\\nHi\\nassistant\\n")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    """
    marks = list(_ROLE_LINE.finditer(prompt))
    if not marks or marks[0].start() != 0:
        return None
    messages = [
        {"role": mark.group(1), "content": prompt[mark.end() : after.start() if after else len(prompt)]}
        for mark, after in zip(marks, marks[1:] + [None])
    ]
    if messages[-1]["role"] == "assistant" and not messages[-1]["content"]:
        messages.pop()
    return messages or None


def restore_prompt(tokenizer, prompt: str) -> str | None:
    """The templated text whose special-token-free decoding is ``prompt``, else ``None``."""
    if not getattr(tokenizer, "chat_template", None):
        return None
    messages = stripped_messages(prompt)
    if messages is None or messages[-1]["role"] == "assistant":
        return None
    try:
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    except Exception:  # noqa: BLE001 — a template that rejects these roles: keep the dumped text
        return None
    ids = tokenizer([text], add_special_tokens=False)["input_ids"][0]
    return text if tokenizer.decode(ids, skip_special_tokens=True) == prompt else None
