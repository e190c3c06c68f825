"""``contradictory_rambling``: the output contradicts itself or what it was shown.

SEAL's ``is_contradictory_rambling`` (``repetition_hallucination.py``), on policy text only; any of:

1. a negative or uncertain phrase ("does not match", "not specified", "cannot verify", …) together
   with a positive or proceeding one ("matches the required", "meets the criteria", "proceed",
   "confirm", "buy now", …) or an ``<action>`` that clicks "buy now";
2. "only result" while the current observation reports ``Total results: N`` with N > 1;
3. "not … match" and "match(es) … criteria/required" in the same (whitespace-collapsed) output.

The rule is loose on purpose (SEAL's own); expect some false positives on long reasoning.
"""

from __future__ import annotations

import re

import polars as pl

from entropy_lens.detectors.base import excerpt, register, sparse_findings
from entropy_lens.detectors.view import ascii_text, candidates, policy_view, python_case, python_like, to_response
from entropy_lens.environments import current_observation

_NEGATIVE = (
    r"(?:does not match|doesn't match|not match|not specified|not given|not available|not listed"
    r"|cannot verify|need to verify|no .* match|not the exact|not clear)"
)
_POSITIVE = (
    r"(?:matches? the required|meets? the criteria|within the required criteria|fits? the criteria"
    r"|only action left|click on ['\"]?buy now|proceed|confirm|buy now)"
)
_ONLY = r"\bonly result\b"
_NOT_MATCH = r"(?:does not|doesn't|not).*?\bmatch"
_MATCHES = r"\bmatches?\b.*?(?:criteria|required)"
#: A word any of the three rules needs, lowercased: the first, cheap test on ASCII outputs (``_lower``).
_WORDS = r"not|n't|verify|no |only result"
_TOTAL = re.compile(r"Total results:\s*(\d+)", re.IGNORECASE)
_ACTION = re.compile(r"<action>\s*(.*?)\s*</action>", re.IGNORECASE | re.DOTALL)


@register
class ContradictoryRambling:
    """Flags SEAL's contradiction rules; score = number of rules that fire."""

    name = "contradictory_rambling"

    def __init__(self):
        self._negative, self._positive = re.compile(_NEGATIVE, re.IGNORECASE), re.compile(_POSITIVE, re.IGNORECASE)
        self._only = re.compile(_ONLY, re.IGNORECASE)
        self._not_match, self._matches = (
            re.compile(_NOT_MATCH, re.IGNORECASE | re.DOTALL),
            re.compile(_MATCHES, re.IGNORECASE | re.DOTALL),
        )

    def detect(self, rollouts: pl.DataFrame) -> pl.DataFrame:
        view = policy_view(rollouts)
        rows, (policy, prompt, seg_p, seg_r) = candidates(
            view,
            ~ascii_text() | pl.col("_lower").str.contains(_WORDS),
            *("_policy", "prompt", "_seg_policy", "_seg_response"),
            confirm=python_case(pl.col("_policy")).str.contains(
                python_like(f"(?i){_NEGATIVE}|{_ONLY}|(?s:{_NOT_MATCH})")
            ),
        )
        hits = {}
        for i, row in enumerate(rows):
            fired = self._rules(policy[i], prompt[i])
            if fired:
                evidence, span = fired[0]
                hits[row] = (float(len(fired)), evidence, to_response(span, seg_p[i], seg_r[i]))
        return sparse_findings(view, hits)

    def _rules(self, text: str, prompt: str) -> list[tuple[str, tuple[int, int]]]:
        """``(evidence, span)`` of every rule that fires on one output."""
        fired = []
        negative, positive = self._negative.search(text), self._positive.search(text)
        action = _ACTION.search(text)
        buys = action is not None and "buy now" in " ".join(action.group(1).lower().split())
        if negative and (positive or buys):
            other = positive or action
            span = (min(negative.start(), other.start()), max(negative.end(), other.end()))
            fired.append((f"'{negative.group()}' yet '{excerpt(other.group(), 60)}'", span))
        only = self._only.search(text)
        total = _TOTAL.search(current_observation(prompt))
        if only and total and int(total.group(1)) > 1:
            fired.append((f"'only result' but the page shows {total.group(1)} results", only.span()))
        not_match = self._not_match.search(text)
        matches = not_match and self._matches.search(" ".join(text.split()))
        if not_match and matches:
            fired.append((f"'{excerpt(not_match.group(), 60)}' yet '{excerpt(matches.group(), 60)}'", not_match.span()))
        return fired
