"""``invalid_action``: the policy's action is not one the environment admits.

Per policy turn, by environment (``environments``):

* ALFWorld / WebShop / Sokoban: the action in ``<action>…</action>`` (verl-agent) or
  ``<answer>…</answer>`` (RAGEN), whichever the prompt asks for; invalid when missing or empty, or
  (lowercased, as verl-agent's projections compare) not in the admissible list. List items with a
  ``<…>`` placeholder are templates (WebShop's ``search[<your query>]``); RAGEN's ``a || b`` is
  several actions. Tags the format does not know (``</th>``, ``<suck>``) are named in the evidence.
* search agents: a turn without ``<search>`` query or ``<answer>``, or with an empty one.
* chat tool calling: ``tool_calls.tool_call_problems`` (unknown tool, arguments that do not parse
  or do not fit the schema).

Other environments have no action grammar and are never flagged.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from entropy_lens.detectors.action_match import PLACEHOLDER, quick_verdicts
from entropy_lens.detectors.base import register, sparse_findings
from entropy_lens.detectors.tool_calls import tool_call_problems
from entropy_lens.detectors.view import candidates, policy_view, segments, to_response
from entropy_lens.environments import ACTION_ENVS, action_tag_expr, tool_schemas

_KNOWN_TAGS = {"think", "action", "answer", "search", "information", "tool_call", "tool_response", "predict"}
_TAG = re.compile(r"</?\s*[A-Za-z_][\w-]*\s*>")
_SEARCH = re.compile(r"<search>(.*?)</search>|<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_ACTION = {tag: re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL | re.IGNORECASE) for tag in ("action", "answer")}


@register
class InvalidAction:
    """Flags outputs with a missing, malformed or inadmissible action; score = number of problems."""

    name = "invalid_action"

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = policy_view(rollouts).with_columns(
            _context=pl.when(pl.col("_env") == "tool")
            .then(pl.col("prompt"))
            .otherwise(action_tag_expr(pl.col("prompt")))
        )
        quick = quick_verdicts(view)
        rows, (policy, env, context, actions, seg_p, seg_r) = candidates(
            view.with_columns(_decided=quick["decided"]),
            pl.col("_env").is_in(sorted(ACTION_ENVS | {"search", "tool"})) & ~pl.col("_decided"),
            *("_policy", "_env", "_context", "admissible_actions", "_seg_policy", "_seg_response"),
        )
        flagged = quick.with_row_index().drop_nulls("evidence")
        hits = {
            row: (1.0, evidence, (start, end))
            for row, evidence, start, end in zip(
                *(flagged[c].to_list() for c in ("index", "evidence", "span_start", "span_end"))
            )
        }
        for i, row in enumerate(rows):
            problems = []
            for offset, text in segments(policy[i], seg_p[i]):
                found = _turn_problems(text, env[i], context[i], actions[i])
                problems += [(reason, (offset + a, offset + b)) for reason, (a, b) in found]
            if problems:
                reason, span = problems[0]
                more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
                hits[row] = (float(len(problems)), reason + more, to_response(span, seg_p[i], seg_r[i]))
        return sparse_findings(view, hits)


def _turn_problems(text: str, env: str, context: str, actions: list[str] | None) -> list[tuple[str, tuple[int, int]]]:
    """Problems of one policy turn, as ``(reason, span in the turn)``; ``context`` is the prompt
    for tool calling, else the action tag."""
    whole = (0, len(text))
    if env == "tool":
        return tool_call_problems(text, _schemas(context))
    if env == "search":
        found = [m for m in _SEARCH.finditer(text)]
        if not found:
            return [("no <search> query and no <answer>" + _unknown_tags(text), whole)]
        empty = [m for m in found if not (m.group(1) or m.group(2) or "").strip()]
        return [("empty <search> or <answer>", empty[0].span())] if empty else []
    tag = context
    m = _ACTION[tag].search(text)
    if m is None:
        return [(f"no <{tag}>…</{tag}>" + _unknown_tags(text), whole)]
    chosen = _normal(m.group(1))
    if not chosen:
        return [(f"empty <{tag}>", m.span())]
    if not actions:
        return []
    wrong = [part for part in (_normal(p) for p in chosen.split("||")) if not _allowed(part, tuple(actions))]
    return [(f"'{wrong[0]}' is not an admissible action", m.span(1))] if wrong else []


def _normal(action: str) -> str:
    return " ".join(action.lower().split()).strip(" '\"`.")


@lru_cache(maxsize=4096)
def _admissible(actions: tuple[str, ...]) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    """An admissible list as exact actions and templates (the pieces around ``<…>`` placeholders)."""
    pieces = [tuple(re.split(PLACEHOLDER, _normal(a))) for a in actions]
    return frozenset(p[0] for p in pieces if len(p) == 1), tuple(p for p in pieces if len(p) > 1)


def _allowed(action: str, actions: tuple[str, ...]) -> bool:
    """Whether ``action`` is listed, or fills a template with non-empty text at every placeholder."""
    exact, templates = _admissible(actions)
    return action in exact or any(_fills(action, pieces) for pieces in templates)


def _fills(action: str, pieces: tuple[str, ...]) -> bool:
    if not (action.startswith(pieces[0]) and action.endswith(pieces[-1])):
        return False
    position, end = len(pieces[0]), len(action) - len(pieces[-1])
    for piece in pieces[1:-1]:
        found = action.find(piece, position + 1, end)
        if found < 0:
            return False
        position = found + len(piece)
    return end > position


@lru_cache(maxsize=1024)
def _schemas(prompt: str) -> dict:
    return tool_schemas(prompt)


def _unknown_tags(text: str) -> str:
    """``"; unexpected tags </th>, <suck>"`` for tags outside the known agent formats, else ``""``."""
    odd: dict[str, str] = {}
    for tag in _TAG.findall(text):
        name = tag.strip("</> \t").lower()
        if name not in _KNOWN_TAGS:
            odd.setdefault(name, tag)
    return f"; unexpected tags {', '.join(list(odd.values())[:4])}" if odd else ""
