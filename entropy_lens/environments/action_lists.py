"""The actions a prompt admits, read from the list it prints in whatever syntax it prints it.

Layouts met in real prompts (facts from the frameworks' templates and logs, no code copied):

* verl-agent ``Your admissible actions of the current situation are: [...]``: ALFWorld items quoted
  and joined by ``"\\n "`` (numpy's layout, no commas), WebShop one quoted item per line with a
  trailing comma (``search[<your query>]`` is a template; items may hold apostrophes and brackets);
  Sokoban ``Your admissible actions are ["up", …]`` (JSON).
* One-line Python lists ``['go to cabinet 1', 'look']`` (``str(list)``), JSON lists, bare
  comma-separated items ``[go to cabinet 1, look]``.
* RAGEN ``Actions you can take: Up, Down, Left, Right.``; Sokoban's fixed four when nothing is listed.

Reading a list's inside (``list_items``), line by line: a line of quoted literals (``'…'`` or
``"…"``, separated by whitespace and/or one comma, a backslash keeps the character after it) gives
each literal; else a line that is one quoted item (trailing comma dropped) gives its inside, so
``'click[men's tee]'`` stays whole; else the line is split on commas outside brackets. Empty items
are dropped. ``parse_admissible`` reads the one-quoted-item-per-line layouts in polars and hands
every other list to ``list_items``.
"""

from __future__ import annotations

import re

import polars as pl

from entropy_lens.environments.tools import tool_schemas

#: Sokoban's fixed action space (RAGEN and verl-agent), used when the prompt lists none.
SOKOBAN_ACTIONS = ("up", "down", "left", "right")
#: Python's whitespace (``str.isspace``): Rust's ``\s`` (Unicode White_Space) plus ``\x1c``-``\x1f``.
PY_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
#: Admissible-action lists, and RAGEN's (Rust regex with Python's ``\s``; ``İ``/``ı`` match ``i`` as in ``re``).
_LISTED = r"[Aa]dmissible actions[^\n\[]*?[\s\x1c-\x1f]*\[(?s:.*?)\]\.?[ \t]*(?:\n|$)"
_RAGEN_ACTIONS = r"(?i)Act[iİı]ons you can take:[\s\x1c-\x1f]*([^.\n]+)"
#: A stripped line that is one quoted item with no other quote or backslash (read in polars).
_SIMPLE_LINE = r"""^(?:'[^'"\\]*'|"[^'"\\]*")$"""
_LITERAL = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")
_LITERALS = re.compile(rf"(?:{_LITERAL.pattern})(?:\s*,?\s*(?:{_LITERAL.pattern}))*\s*,?")
_ESCAPE = re.compile(r"\\(.)")


def admissible_actions(prompt: str | None, env: str) -> list[str] | None:
    """Actions the prompt admits (as written), tool names for ``tool``, else None.

    >>> admissible_actions("Your admissible actions of the current situation are: ['look', 'inventory'].\\n", "alfworld")
    ['look', 'inventory']
    """
    return parse_admissible(pl.Series([prompt or ""], dtype=pl.Utf8), pl.Series([env], dtype=pl.Utf8)).to_list()[0]


def list_items(block: str) -> list[str]:
    """The items of a bracketed list's inside, in any of the syntaxes above (module docstring)."""
    items: list[str] = []
    for line in block.split("\n"):
        line = line.strip()
        if _LITERALS.fullmatch(line):
            items += [_ESCAPE.sub(r"\1", m.group()[1:-1]) for m in _LITERAL.finditer(line)]
            continue
        line = line.removesuffix(",").strip()
        items += [line[1:-1]] if _quoted(line) else [_unquote(part.strip()) for part in _top_level(line)]
    return [item for item in items if item]


def _quoted(text: str) -> bool:
    return len(text) >= 2 and text[0] == text[-1] and text[0] in "'\""


def _unquote(text: str) -> str:
    return text[1:-1] if _quoted(text) else text


def _top_level(text: str) -> list[str]:
    """``text`` split on the commas outside ``()``, ``[]`` and ``{}``."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def parse_admissible(prompts: pl.Series, envs: pl.Series) -> pl.Series:
    """``admissible_actions`` of every prompt (``List[Utf8]``, null where none). Vectorised: lists
    of one quoted item per line are read in polars; other lists and tool schemas in Python."""
    item, kept = pl.element(), pl.element().filter(pl.element() != "")
    found = pl.DataFrame({"prompt": prompts.fill_null(""), "env": envs}).with_columns(
        # inside the brackets: from the match's first "[" to its last "]" (a capture group costs twice as much)
        block=pl.col("prompt").str.extract(_LISTED, 0).str.replace(r"^[^\[]*\[", "").str.replace(r"\][^\]]*$", ""),
        ragen=pl.col("prompt").str.extract(_RAGEN_ACTIONS, 1),
    )
    stripped = item.str.strip_chars(PY_SPACE).str.strip_suffix(",").str.strip_chars(PY_SPACE)  # as Python's
    parsed = found.with_columns(lines=pl.col("block").str.split("\n").list.eval(stripped)).with_columns(
        simple=pl.col("lines").list.eval(item.str.contains(_SIMPLE_LINE) | (item == "")).list.all(),
        lines=pl.col("lines").list.eval(_unquoted(item)).list.eval(kept),
        ragen=pl.col("ragen").str.split(",").list.eval(item.str.strip_chars(PY_SPACE)).list.eval(kept),
    )
    parsed = parsed.select(
        pl.when(pl.col("block").is_not_null())
        .then(pl.when(pl.col("lines").list.len() > 0).then("lines"))
        .when(pl.col("ragen").is_not_null())
        .then("ragen")
        .when(pl.col("env") == "sokoban")
        .then(pl.lit(list(SOKOBAN_ACTIONS), pl.List(pl.Utf8)))
        .alias("actions"),
        python=(pl.col("env") == "tool") | (pl.col("block").is_not_null() & ~pl.col("simple")),
    )
    rows = parsed.select(pl.arg_where("python")).to_series()
    if rows.is_empty():
        return parsed["actions"]
    values = (found[name].gather(rows).to_list() for name in ("prompt", "env", "block"))
    fixed = [_python_admissible(*row) for row in zip(*values)]
    patch = pl.DataFrame({"index": rows, "fixed": pl.Series(fixed, dtype=pl.List(pl.Utf8))})
    patched = parsed.with_row_index().join(patch, on="index", how="left", maintain_order="left")
    return patched.select(pl.when("python").then("fixed").otherwise("actions")).to_series()


def _unquoted(item: pl.Expr) -> pl.Expr:
    """``item[1:-1]`` when it has two or more characters and the same quote at both ends."""
    first, size = item.str.head(1), item.str.len_chars()
    quoted = (size >= 2) & (first == item.str.tail(1)) & first.is_in(["'", '"'])
    return pl.when(quoted).then(item.str.slice(1, size - 2)).otherwise(item)


def _python_admissible(prompt: str, env: str, block: str | None) -> list[str] | None:
    """Tool names, or the items of a list polars does not read (None when there are none)."""
    if env == "tool":
        return list(tool_schemas(prompt)) or None
    return list_items(block or "") or None
