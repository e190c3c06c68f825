"""Tool calls written by the policy, checked against the tool schemas its prompt declares.

Formats: Qwen2.5 / Hermes ``<tool_call>{"name": …, "arguments": {…}}</tool_call>`` and, without
tags, a bare OpenAI-style call object ``{"name": …, "arguments": …}`` (``arguments`` may be an
object or a JSON string of one, as in OpenAI's ``function.arguments``). A call is invalid when it
does not parse, names a tool the prompt does not declare (Relign's tool-selection hallucination),
or its arguments do not fit the tool's JSON schema (tool-usage hallucination; checked with
``jsonschema``).
"""

from __future__ import annotations

import json
import re

import jsonschema

_TAGGED = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_BARE = re.compile(r'\{\s*"name"\s*:')


def tool_call_problems(text: str, schemas: dict[str, dict | None]) -> list[tuple[str, tuple[int, int]]]:
    """Every problem with the tool calls in ``text``: ``(reason, span)``, in text order."""
    problems = []
    tagged = list(_TAGGED.finditer(text))
    for m in tagged:
        if not m.group().endswith("</tool_call>"):
            problems.append(("unterminated <tool_call>", m.span()))
            continue
        try:
            call = json.loads(m.group(1))
        except json.JSONDecodeError as error:
            problems.append((f"tool call is not valid JSON ({error.msg})", m.span()))
            continue
        reason = check_call(call, schemas)
        if reason:
            problems.append((reason, m.span()))
    if not tagged:
        problems += [(reason, span) for call, span in _bare_calls(text) if (reason := check_call(call, schemas))]
    return problems


def _bare_calls(text: str) -> list[tuple[dict, tuple[int, int]]]:
    """Untagged ``{"name": …}`` objects in the text that parse as JSON."""
    decoder, calls, end = json.JSONDecoder(), [], 0
    for m in _BARE.finditer(text):
        if m.start() < end:
            continue
        try:
            call, end = decoder.raw_decode(text, m.start())
        except json.JSONDecodeError:
            continue
        calls.append((call, (m.start(), end)))
    return calls


def check_call(call, schemas: dict[str, dict | None]) -> str | None:
    """Why one decoded call is invalid, or None when it is fine."""
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        return "tool call without a tool name"
    name = call["name"]
    if name not in schemas:
        return f"unknown tool '{name}'"
    arguments = call.get("arguments", call.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as error:
            return f"arguments of '{name}' are not valid JSON ({error.msg})"
    if not isinstance(arguments, dict):
        return f"arguments of '{name}' are not an object"
    schema = schemas[name]
    if not schema:
        return None
    error = _first_error(schema, arguments)
    return f"arguments do not fit '{name}': {error}" if error else None


def _first_error(schema: dict, arguments: dict) -> str | None:
    try:
        validator = jsonschema.validators.validator_for(schema)(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    except jsonschema.exceptions.SchemaError:
        return None  # a malformed schema in the prompt is not the policy's fault
    return error.message if error else None
