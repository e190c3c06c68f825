"""Pure-Python references, written from the definitions, one text or prompt at a time.

``sentence_dup_rate`` follows SEAL's ``repetition.py`` (WindyLee0822/SEAL) step by step with
Python's ``re``; ``seq_rep`` is Welleck et al.'s seq-rep-n over SEAL's tokenizer; ``compression_ratio``
is Whisper's; ``group_diversity`` and ``turn_echo`` are the group signals (``detectors/groups.py``)
over Python sets; ``recognise`` and ``admissible_actions`` read prompts with Python's ``re`` and
``json``. The vectorised paths in ``entropy_lens`` must agree with these exactly (float64).
``bench/detectors_speed.py`` also uses them for its naive loop.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter

from entropy_lens.environments import ENVIRONMENTS, SOKOBAN_ACTIONS, tool_schemas
from entropy_lens.environments.recognition import _SIGNATURES


def kept_sentences(text: str, min_chars: int = 20) -> list[str]:
    """The normalised sentences of ≥ ``min_chars`` characters of one output, on its ``<think>`` part when present."""
    think = re.search(r"<think>(.*?)</think>", text, flags=re.DOTALL | re.IGNORECASE)
    section = think.group(1).strip() if think else ""
    base = section if section else text
    pieces = [p.strip() for p in re.split(r"(?<=[.!?])\s+", base.strip()) if p.strip()]
    return [s for s in (re.sub(r"\s+", " ", p.lower()).strip() for p in pieces) if len(s) >= min_chars]


def sentence_dup_rate(text: str, min_chars: int = 20) -> tuple[float, int]:
    """(rate, max repeat) of one output."""
    kept = kept_sentences(text, min_chars)
    if not kept:
        return 0.0, 1
    counts = Counter(kept)
    return sum(c for c in counts.values() if c >= 2) / len(kept), max(counts.values())


def seq_rep(text: str, n: int = 4) -> float:
    """1 − unique n-grams / n-grams over ``\\w+|[^\\w\\s]`` tokens of the lowercased text."""
    tokens = re.findall(r"\w+|[^\w\s]", text.lower())
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


def compression_ratio(text: str) -> float:
    """UTF-8 bytes / zlib-compressed bytes."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data))


def grams(text: str, n: int = 4) -> list[tuple[str, ...]]:
    """Token n-grams of the lowercased text, in order."""
    tokens = re.findall(r"\w+|[^\w\s]", text.lower())
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def group_diversity(outputs: list[str]) -> float | None:
    """``(U − max u) / (Σ u − max u)`` over unique 4-grams; None for a group that does not count."""
    sets = [set(grams(text)) for text in outputs]
    sizes = [len(s) for s in sets]
    if len(outputs) < 2 or sum(sizes) <= max(sizes):
        return None
    return (len(set().union(*sets)) - max(sizes)) / (sum(sizes) - max(sizes))


def turn_echo(turns: dict[int, str]) -> list[float]:
    """For each turn after the first of one trajectory (that has 4-grams): the share of its 4-gram
    occurrences that an earlier turn wrote."""
    first: dict[tuple[str, ...], int] = {}
    for turn in sorted(turns):
        for gram in grams(turns[turn]):
            first.setdefault(gram, turn)
    shares = []
    for turn in sorted(turns)[1:]:
        occurrences = grams(turns[turn])
        if occurrences:
            shares.append(sum(first[g] < turn for g in occurrences) / len(occurrences))
    return shares


def recognise(prompt: str | None) -> str:
    """The environment of one prompt: the first signature Python's ``re`` finds."""
    return next((env for env in ENVIRONMENTS[:-1] if re.search(_SIGNATURES[env], prompt or "")), "generic")


_LISTED = re.compile(r"[Aa]dmissible actions[^\n\[]*?\s*\[(.*?)\]\.?[ \t]*(?:\n|$)", re.DOTALL)
_RAGEN_ACTIONS = re.compile(r"Actions you can take:\s*([^.\n]+)", re.IGNORECASE)


def admissible_actions(prompt: str | None, env: str) -> list[str] | None:
    """Actions one prompt admits: a bracketed list, RAGEN's sentence, Sokoban's four, tool names."""
    prompt = prompt or ""
    if env == "tool":
        return list(tool_schemas(prompt)) or None
    listed = _LISTED.search(prompt)
    if listed:
        return _list_items(listed.group(1)) or None
    ragen = _RAGEN_ACTIONS.search(prompt)
    if ragen:
        return [a.strip() for a in ragen.group(1).split(",") if a.strip()]
    return list(SOKOBAN_ACTIONS) if env == "sokoban" else None


def _list_items(block: str) -> list[str]:
    """Items of a bracketed list's inside, line by line: a line of quoted literals gives each
    literal (a backslash keeps the next character); a line that is one quoted item (trailing comma
    dropped) its inside; any other line its parts between commas outside brackets."""
    out = []
    for line in block.split("\n"):
        line = line.strip()
        literals = _scan_literals(line)
        if literals is not None:
            out += literals
            continue
        line = line.removesuffix(",").strip()
        if len(line) >= 2 and line[0] == line[-1] and line[0] in "'\"":
            out.append(line[1:-1])
            continue
        depth, parts = 0, [""]
        for char in line:
            if char == "," and depth == 0:
                parts.append("")
                continue
            depth = depth + 1 if char in "([{" else max(depth - 1, 0) if char in ")]}" else depth
            parts[-1] += char
        for part in (p.strip() for p in parts):
            out.append(part[1:-1] if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"" else part)
    return [item for item in out if item]


def _scan_literals(line: str) -> list[str] | None:
    """The quoted literals of a line made only of them (whitespace and at most one comma between
    two, an optional comma after the last), else None; character by character."""
    items, i, n = [], 0, len(line)
    while True:
        if i >= n or line[i] not in "'\"":
            return None
        quote, value, i = line[i], "", i + 1
        while i < n and line[i] != quote:
            if line[i] == "\\" and i + 1 < n:
                i += 1
            value += line[i]
            i += 1
        if i >= n:
            return None
        items.append(value)
        i += 1
        while i < n and line[i].isspace():
            i += 1
        if i < n and line[i] == ",":
            i += 1
            while i < n and line[i].isspace():
                i += 1
        if i == n:
            return items


def second_occurrence(sentence: str, lower: str, length: int) -> tuple[int, int] | None:
    """Span of a (whitespace-collapsed) sentence's second occurrence in the text, else its first."""
    pattern = r"\s+".join(re.escape(word) for word in sentence.split(" "))
    found = [m.span() for m in re.finditer(pattern, lower)][:2]
    if not found:
        return None
    start, end = found[-1]
    return min(start, length), min(end, length)


def loop_stats(text: str) -> dict[str, float]:
    """SEAL's loop measures of one output, from the definitions (``repetition.py``)."""
    think = re.search(r"<think>(.*?)</think>", text, flags=re.DOTALL | re.IGNORECASE)
    think = think.group(1).strip() if think else ""
    base = think or text
    tokens = re.findall(r"\w+|[^\w\s]", base.lower())
    row = {
        "think_tokens": len(re.findall(r"\w+|[^\w\s]", think.lower())),
        "unique_token_ratio": len(set(tokens)) / len(tokens) if tokens else 1.0,
    }
    for n in (5, 10):
        grams = Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        total = sum(grams.values())
        row[f"max_{n}gram_repeat"] = max(grams.values()) if total else 1
        row[f"repeated_{n}gram_ratio"] = sum(c for c in grams.values() if c >= 2) / total if total else 0.0
    clauses = []
    for part in re.split(r"(?<=[.!?])\s+|,\s+|;\s+", base):
        words = re.sub(r"[^a-z0-9\s]+", " ", part.strip().lower()).split()
        if part.strip() and len(words) >= 6:
            clauses.append(" ".join(words))
    counts = Counter(clauses)
    row["max_clause_repeat"] = max(counts.values()) if clauses else 1
    row["clause_repeat_ratio"] = sum(c for c in counts.values() if c >= 2) / len(clauses) if clauses else 0.0
    return row
