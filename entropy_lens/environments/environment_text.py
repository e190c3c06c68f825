"""Which parts of a concatenated output the environment wrote, not the policy.

Dumps that keep one row per trajectory (verl multi-turn, Search-R1) concatenate the turns: chat
turns of the user/tool (raw ``<|im_start|>user … <|im_end|>`` / Llama-3 headers, or decoded without
special tokens as bare ``user`` / ``assistant`` lines, as verl dumps them), Search-R1's
``<information>…</information>`` after ``</search>`` and its fixed invalid-action feedback,
``<tool_response>`` after ``</tool_call>``. ``policy_spans`` cuts them out.
"""

from __future__ import annotations

import re

#: Search-R1's fixed feedback after an output without a valid tag.
_SEARCH_R1_RETRY = r"My previous action is invalid\. If I want to search, .*?Let me try again\."
_ENV_TEXT = re.compile(
    r"<\|im_start\|>(?:user|tool|system)\b.*?(?:<\|im_end\|>|(?=<\|im_start\|>)|\Z)"
    r"|<\|start_header_id\|>(?:user|ipython|tool|system)<\|end_header_id\|>.*?(?:<\|eot_id\|>|(?=<\|start_header_id\|>)|\Z)"
    r"|^(?:user|tool)\n(?=<tool_response>|<information>).*?(?=^assistant\n|\Z)"
    r"|(?<=</search>)\s*<information>.*?(?:</information>|\Z)"
    r"|(?<=</tool_call>)\s*<tool_response>.*?(?:</tool_response>|\Z)"
    rf"|{_SEARCH_R1_RETRY}",
    re.DOTALL | re.MULTILINE,
)
#: Chat-template header that opens a policy turn, and end-of-turn tokens that close it (template
#: text around the policy's, cut where a dump concatenates turns).
_POLICY_HEADER = re.compile(
    r"\s*(?:<\|im_start\|>assistant\n?|<\|start_header_id\|>assistant<\|end_header_id\|>\s*|assistant\n)"
)
_TURN_END = re.compile(r"(?:<\|im_end\|>|<\|eot_id\|>)?\s*$")
#: Cheap test (Rust regex) for outputs that may hold environment text.
CONCATENATED = (
    r"<\|im_start\|>|<\|start_header_id\|>|\n(?:user|tool)\n<(?:tool_response|information)>"
    r"|</search>\s*<information>|</tool_call>\s*<tool_response>|My previous action is invalid\. If I want to search"
)


def policy_spans(response: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Split one output into policy spans and environment spans (char offsets, in order).

    Outputs without environment text give ``([(0, len(response))], [])``.
    """
    env = [m.span() for m in _ENV_TEXT.finditer(response) if m.end() > m.start()]
    if not env:
        return ([(0, len(response))] if response.strip() else []), []
    policy, cursor = [], 0
    for start, end in env + [(len(response), len(response))]:
        header = _POLICY_HEADER.match(response, cursor, start)
        begin = header.end() if header else cursor
        finish = _TURN_END.search(response, begin, start).start()
        if response[begin:finish].strip():
            policy.append((begin, finish))
        cursor = end
    return policy, env
