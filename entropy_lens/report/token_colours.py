"""The examples' tokens coloured by their recomputed entropy (``analyze --model`` / ``--checkpoints``).

An example may carry ``tokens``: its output as pieces ``{"text", "entropy"}`` (``entropy``: nats
of each policy token in the piece, None for environment text), from
``recompute.example_tokens``. The pieces that fall in the example's excerpt (at most
``MAX_TOKENS``) are shown, each policy piece in one of ``len(PALETTE)`` colours:

* **linear in nats**, so equal steps of colour are equal steps of entropy anywhere on the scale;
* **from 0**, a token the model was certain of (the lightest colour), **to the highest entropy
  among the tokens shown** (the darkest), one scale for every example on the page so colours
  compare across examples, and no shown token falls outside it;
* a piece of several tokens (one character spread over byte tokens) takes its highest entropy.

Environment text is context: shown uncoloured. Nothing here builds HTML: the template writes
the spans, with autoescaping, from the plain text and the colour index.
"""

from __future__ import annotations

import math

#: Paul Tol's colour-blind-safe sequential "YlOrBr" (light → dark): darker means higher entropy.
PALETTE = ("#FFFFE5", "#FFF7BC", "#FEE391", "#FEC44F", "#FB9A29", "#EC7014", "#CC4C02", "#993404", "#662506")
#: Colours from this index on take white text: the first where white has more WCAG contrast than black.
LIGHT_TEXT_FROM = 7
MAX_TOKENS = 600  #: pieces shown per example (an excerpt of at most ~1,200 characters)


def window(pieces: list[dict], lo: int, hi: int) -> dict:
    """The pieces overlapping characters ``[lo, hi)`` of the output (at most ``MAX_TOKENS``)."""
    shown, offset, first = [], 0, None
    for index, piece in enumerate(pieces):
        end = offset + len(piece["text"])
        if end > lo and offset < hi:
            first = index if first is None else first
            shown.append(piece)
        offset = end
    kept = shown[:MAX_TOKENS]
    last = (first or 0) + len(kept)
    return {"pieces": kept, "cut_start": bool(first), "cut_end": last < len(pieces)}


def peak(piece: dict) -> float | None:
    """The piece's highest token entropy (None for environment text or no finite value)."""
    values = [v for v in piece.get("entropy") or [] if isinstance(v, (int, float)) and math.isfinite(v)]
    return max(values) if values else None


def shade(value: float, top: float) -> int:
    """Index into ``PALETTE`` of entropy ``value`` on the scale ``[0, top]`` (equal-width steps)."""
    if top <= 0:
        return 0
    return min(int(len(PALETTE) * max(value, 0.0) / top), len(PALETTE) - 1)


def title(piece: dict) -> str:
    """The tooltip: ``0.41 nats``, or every token's value for a multi-token piece."""
    values = piece["entropy"]
    if len(values) == 1:
        return f"{values[0]:.2f} nats"
    return f"{len(values)} tokens of one character: " + ", ".join(f"{v:.2f}" for v in values) + " nats"


def spans(pieces: list[dict], top: float) -> list[dict]:
    """Template items ``{"text", "shade", "title"}``; consecutive environment pieces merged, ``shade`` None."""
    items: list[dict] = []
    for piece in pieces:
        value = peak(piece)
        if value is None:
            if items and items[-1]["shade"] is None:
                items[-1]["text"] += piece["text"]
            else:
                items.append({"text": piece["text"], "shade": None, "title": "environment text: context, not scored"})
            continue
        items.append({"text": piece["text"], "shade": shade(value, top), "title": title(piece)})
    return items


def legend(top: float) -> list[dict]:
    """One entry per colour: ``{"colour", "lo", "hi"}`` in nats (only the first when ``top`` is 0)."""
    step = top / len(PALETTE)
    entries = [{"colour": c, "lo": i * step, "hi": (i + 1) * step} for i, c in enumerate(PALETTE)]
    return entries if top > 0 else entries[:1]


def colour_examples(groups: list[dict], scored: bool) -> dict:
    """Give every example with ``tokens`` its coloured excerpt (``e["tokens"]``); the page's legend.

    ``scored``: whether the diagnosis recomputed anything (``separation``). Returns ``{"legend",
    "top", "checkpoints", "n_examples", "n_tokens", "n_grouped", "reason"}``; ``reason`` says why no
    token is coloured; ``n_grouped``: pieces of several tokens (one character).
    """
    windows = []
    for group in groups:
        for item in group["items"]:
            if item.get("tokens"):
                x = item["excerpt"]
                item["tokens"] = window(item["tokens"], x["lo"], x["lo"] + x["shown"])
                windows.append(item)
    values = [v for item in windows for v in map(peak, item["tokens"]["pieces"]) if v is not None]
    top = max(values) if values else 0.0
    for item in windows:
        item["tokens"]["spans"] = spans(item["tokens"]["pieces"], top)
        item["tokens"]["context"] = any(s["shade"] is None for s in item["tokens"]["spans"])
    if not windows:
        reason = ("no token entropies were recomputed for these examples" if scored else
                  "no checkpoint was scored (entropy-lens analyze --model CKPT, or --checkpoints all, recomputes them)")
        return {"legend": [], "top": None, "checkpoints": [], "n_examples": 0, "reason": reason}
    checkpoints = list(dict.fromkeys(str(item.get("tokens_under")) for item in windows if item.get("tokens_under")))
    coloured = [p for item in windows for p in item["tokens"]["pieces"] if peak(p) is not None]
    return {"legend": legend(top), "top": top, "checkpoints": checkpoints, "n_examples": len(windows),
            "n_tokens": sum(len(p["entropy"]) for p in coloured),
            "n_grouped": sum(len(p["entropy"]) > 1 for p in coloured), "reason": None}
