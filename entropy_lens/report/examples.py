"""Flagged outputs, cut into plain-text pieces around their evidence.

Model output is untrusted (it may hold ``<script>``, markup, ``</textarea>``…). Nothing here
builds HTML: a response becomes ``before`` / ``match`` / ``after`` strings, and the template
puts ``match`` inside ``<mark>`` with autoescaping on, so the evidence is highlighted without
any of the text ever being read as markup.
"""

from __future__ import annotations

from entropy_lens.report.series import is_number, whole

CONTEXT = 280  #: characters shown on each side of the evidence in the excerpt
MATCH_MAX = 600  #: longest piece of evidence shown in the excerpt
SHORT = 1200  #: a response up to this long is shown whole, without a collapsed copy
FULL_MAX = 20_000  #: characters of the full response kept in the collapsed copy
EVIDENCE_MAX = 300  #: characters of the ``evidence`` field shown
#: What each detector's ``score`` counts or measures (the report never shows a bare "score",
#: which reads like the reward).
SCORE_LABELS = {
    "sentence_dup": "share of sentences repeated",
    "sentence_dup_rate": "share of sentences repeated",
    "char_run": "run length",
    "fabricated_observation": "feedback markers written",
    "invalid_action": "action problems",
    "unsupported_claim": "unsupported facts",
    "contradictory_rambling": "contradiction rules fired",
    "hallucination": "hallucination kinds flagged",
    "seq_rep_4": "share of 4-grams repeated",
    "compression_ratio": "compression ratio",
}


def evidence_span(response: str, start, end, evidence) -> tuple[int, int] | None:
    """Character span ``[start, end)`` of the evidence in ``response``, or None.

    The offsets are used when they are valid; otherwise the first occurrence of the
    ``evidence`` text, when it occurs.
    """
    start, end = whole(start), whole(end)
    if start is not None and end is not None and 0 <= start < end <= len(response):
        return start, end
    if isinstance(evidence, str) and evidence and evidence in response:
        found = response.index(evidence)
        return found, found + len(evidence)
    return None


def pieces(text: str, span: tuple[int, int] | None, lo: int, hi: int) -> dict:
    """``text[lo:hi]`` split at ``span`` into ``before``, ``match`` and ``after``.

    Also says whether text was cut off at the front (``cut_start``) or the back (``cut_end``).
    """
    start, end = span if span else (hi, hi)
    start, end = min(max(start, lo), hi), min(max(end, lo), hi)
    return {
        "before": text[lo:start],
        "match": text[start:end],
        "after": text[end:hi],
        "match_cut": False,
        "lo": lo,
        "shown": hi - lo,
        "cut_start": lo > 0,
        "cut_end": hi < len(text),
    }


def excerpt(text: str, span: tuple[int, int] | None) -> dict:
    """The evidence with ``CONTEXT`` characters around it (or the opening, without a span)."""
    if span is None:
        return pieces(text, None, 0, min(len(text), 2 * CONTEXT))
    start, end = span
    shown_end = min(end, start + MATCH_MAX)
    cut = pieces(text, (start, shown_end), max(0, start - CONTEXT), min(len(text), shown_end + CONTEXT))
    cut["match_cut"] = shown_end < end
    return cut


def example(item: dict) -> dict:
    """One flagged output ready for the template."""
    response = item.get("response") if isinstance(item.get("response"), str) else ""
    evidence = item.get("evidence")
    span = evidence_span(response, item.get("span_start"), item.get("span_end"), evidence)
    short = len(response) <= SHORT
    score = item.get("score")
    return {
        "sample_id": item.get("sample_id"),
        "step": whole(item.get("step")),
        "split": item.get("split"),
        "score": (int(score) if float(score).is_integer() else score) if is_number(score) else None,
        "score_label": SCORE_LABELS.get(item.get("detector"), "detector score"),
        "phase": item.get("phase") if isinstance(item.get("phase"), str) else None,
        "evidence": str(evidence)[:EVIDENCE_MAX] if evidence not in (None, "") else None,
        "length": len(response),
        "highlighted": span is not None,
        "excerpt": pieces(response, span, 0, len(response)) if short else excerpt(response, span),
        "full": None if short else pieces(response, span, 0, min(len(response), FULL_MAX)),
        "tokens": item.get("tokens") if isinstance(item.get("tokens"), list) else None,
        "tokens_under": item.get("tokens_under"),
    }


def grouped(examples: list[dict], order: list[str]) -> list[dict]:
    """Examples by detector, ``order`` first: ``[{"detector", "items": [example, …]}, …]``."""
    groups: dict[str, list[dict]] = {}
    for item in examples:
        if isinstance(item, dict):
            name = item.get("detector") if isinstance(item.get("detector"), str) else "unlabelled"
            groups.setdefault(name, []).append(example(item))
    names = [n for n in order if n in groups] + [n for n in groups if n not in order]
    return [{"detector": name, "items": groups[name]} for name in names]
