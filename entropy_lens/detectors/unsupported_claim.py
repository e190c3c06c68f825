"""``unsupported_claim``: structured facts stated as observed that nothing observed supports.

SEAL's ``fake_structured_product_facts`` (``repetition_hallucination.py``, WebShop): the output
lists ``field: value`` lines for product attributes (fabric, material, fit, colour, size, price,
sleeve, outsole, sole, optionally ``… type``); it is flagged when it states at least two such facts
and at least one value (lowercased, whitespace collapsed, stripped of `` .;,'"``; here also cut
before a tag such as ``</think>`` on the same line) is not a substring of the evidence. Evidence = what the environment showed: verl-agent's current
observation plus the prior observations and actions (``environments.observations``), and any
environment text inside a concatenated output. The task instruction is never evidence: copying
the requested constraints into a fact list is the hallucination. Vague values (not given, not
specified, n.a., na, unknown) are not claims.
"""

from __future__ import annotations

import re

import polars as pl

from entropy_lens.detectors.base import excerpt, register, sparse_findings
from entropy_lens.detectors.view import ascii_text, candidates, policy_view, python_case, python_like, to_response
from entropy_lens.environments import observations

_FIELDS = r"fabric|material|fit|colou?r|size|price|sleeve|outsole|sole"
_FACT = re.compile(
    rf"^\s*(?:[-*]\s*)?(?P<field>(?:{_FIELDS})(?:\s+type)?)\s*[:\-]\s*(?P<value>.+?)\s*$", re.IGNORECASE | re.MULTILINE
)
_CANDIDATE = rf"(?im)^\s*(?:[-*]\s*)?(?:{_FIELDS})(?:\s+type)?\s*[:\-]"
#: What starts a fact line in lowercased ASCII text, after a line break (or at the start): a cheap
#: first test (only non-newline whitespace after the last break, an optional bullet, a field name).
_LINE_START = rf"[\t\x0b\x0c\r\x1c-\x1f ]*(?:[-*][\s\x1c-\x1f]*)?(?:{_FIELDS})"
_VAGUE = {"not given", "not specified", "n.a.", "na", "unknown"}
_TAG = re.compile(r"</?[A-Za-z_][\w-]*>")
_TOKEN = re.compile(r"[a-z0-9.]+")


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _value(raw: str, cut_tags: bool = True) -> str:
    """A fact's value as SEAL compares it, here cut before a tag on the same line (``</think>``)
    unless ``cut_tags`` is off (SEAL's own reading)."""
    return _normal(_TAG.split(raw, maxsplit=1)[0] if cut_tags else raw).strip(" .;,'\"")


@register
class UnsupportedClaim:
    """Flags ≥ ``min_facts`` stated facts of which at least one is unsupported; score = unsupported
    count. ``cut_tags=False`` reads values exactly as SEAL does, a trailing ``</think>`` included."""

    name = "unsupported_claim"

    def __init__(self, min_facts: int = 2, cut_tags: bool = True):
        self.min_facts, self.cut_tags = min_facts, cut_tags

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = policy_view(rollouts)
        rows, (policy, prompt, shown, seg_p, seg_r) = candidates(
            view,
            ~ascii_text()
            | pl.col("_lower").str.contains("\n" + _LINE_START)
            | pl.col("_lower").str.contains("^" + _LINE_START),
            *("_policy", "prompt", "_env_text", "_seg_policy", "_seg_response"),
            confirm=python_case(pl.col("_policy")).str.count_matches(python_like(_CANDIDATE)) >= self.min_facts,
        )
        hits = {}
        for i, row in enumerate(rows):
            facts = [(m, _value(m.group("value"), self.cut_tags)) for m in _FACT.finditer(policy[i])]
            if len(facts) < self.min_facts:
                continue
            evidence = _normal(observations(prompt[i]) + " " + (shown[i] or ""))
            unsupported = [
                (m, value)
                for m, value in facts
                if value and value not in _VAGUE and _TOKEN.search(value) and value not in evidence
            ]
            if unsupported:
                m, value = unsupported[0]
                more = f" (+{len(unsupported) - 1} more)" if len(unsupported) > 1 else ""
                text = f"{_normal(m.group('field'))}: '{excerpt(value, 80)}' is not in the observations{more}"
                hits[row] = (float(len(unsupported)), text, to_response(m.span(), seg_p[i], seg_r[i]))
        return sparse_findings(view, hits)
