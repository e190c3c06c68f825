"""Tool schemas of chat tool-calling prompts (Qwen2.5 / Hermes template).

OpenAI-style schemas ``{"type": "function", "function": {"name", "parameters"}}`` inside
``<tools>…</tools>`` (one JSON object per line), or a bare JSON list of them anywhere in the prompt.
"""

from __future__ import annotations

import json
import re

_TOOLS_BLOCK = re.compile(r"<tools>(.*?)</tools>", re.DOTALL)
_JSON_START = re.compile(r'(?m)^\s*[\[{]|\{\s*"type"\s*:\s*"function"')


def tool_schemas(prompt: str) -> dict[str, dict | None]:
    """Tool name → JSON-schema of its parameters, from OpenAI-style schemas in the prompt."""
    blocks = [m.group(1) for m in _TOOLS_BLOCK.finditer(prompt)]  # Qwen's text also mentions "<tools></tools>"
    text = "\n".join(blocks) if any(b.strip() for b in blocks) else prompt
    decoder, found, end = json.JSONDecoder(), {}, 0
    for start in _JSON_START.finditer(text):
        at = text.index(start.group().strip()[0], start.start())
        if at < end:
            continue
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            continue
        for entry in value if isinstance(value, list) else [value]:
            spec = entry.get("function", entry) if isinstance(entry, dict) else None
            if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                found[spec["name"]] = spec.get("parameters")
    return found
