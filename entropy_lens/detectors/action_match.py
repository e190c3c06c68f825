"""The common case of ``invalid_action`` judged in polars: one plain action in one policy turn.

A row is decided here when it is one pure-ASCII policy turn of an action environment (ALFWorld,
WebShop, Sokoban) whose first ``<tag>…</tag>`` (``action`` or ``answer``, as its prompt asks) holds
text without ``<`` that normalises (lowercased, whitespace collapsed, `` '"`.`` stripped) to one
non-empty action. That action is admissible when no list is given, when it is a listed action, or
when it fills a template with one placeholder (``search[<your query>]``); otherwise the row is
flagged just as ``invalid_action._turn_problems`` would flag it. Everything else (several actions,
a missing or empty tag, a list with templates of several placeholders or with non-ASCII actions,
other text) is left to that check.
"""

from __future__ import annotations

import polars as pl

from entropy_lens.environments import ACTION_ENVS

PLACEHOLDER = r"<[^<>]*>"  #: ``<your query>`` in a template action


def quick_verdicts(view: pl.DataFrame) -> pl.DataFrame:
    """Per row of a policy view with ``_context`` (the action tag): ``decided`` (Boolean), and for
    decided rows with an inadmissible action ``evidence`` and ``span_start``/``span_end`` (the
    action's characters in ``response``), null otherwise."""
    tag = pl.col("_context")
    found = view.select(
        simple=pl.col("_env").is_in(sorted(ACTION_ENVS))
        & pl.col("_seg_policy").is_null()
        & (pl.col("_policy").str.len_bytes() == pl.col("_policy").str.len_chars()),
        raw=pl.when(tag == "action").then(_first("action")).otherwise(_first("answer")),
        start=pl.when(tag == "action").then(_opening("action")).otherwise(_opening("answer")),
        listed=pl.col("admissible_actions").list.len().fill_null(0) > 0,
        exact=pl.col("admissible_actions").list.eval(_ascii_normal(pl.element())),
        admissible_actions="admissible_actions",
    ).with_columns(chosen=_normal(pl.col("raw")))
    judged = found.with_columns(
        single=pl.col("simple") & (pl.col("chosen") != "") & ~pl.col("chosen").str.contains("||", literal=True),
        allowed=~pl.col("listed")
        | (pl.col("exact").list.contains(pl.col("chosen")) & ~pl.col("chosen").str.contains(PLACEHOLDER)),
    ).with_columns(_templates(found))
    decided = (pl.col("single") & (pl.col("allowed") | pl.col("fills") | ~pl.col("unsure"))).fill_null(False)
    wrong = decided & ~pl.col("allowed") & ~pl.col("fills")
    return judged.select(
        decided=decided,
        evidence=pl.when(wrong).then(pl.format("'{}' is not an admissible action", "chosen")),
        span_start=pl.when(wrong).then(pl.col("start")),
        span_end=pl.when(wrong).then(pl.col("start") + pl.col("raw").str.len_bytes()),
    )


def _first(tag: str) -> pl.Expr:
    """The text inside the first ``<tag>…</tag>`` of ``_lower`` when it holds no ``<``, else null."""
    lower = pl.col("_lower")
    clean = lower.str.find(f"<{tag}>[^<]*</{tag}>") == lower.str.find(f"<{tag}>", literal=True)
    return pl.when(clean).then(lower.str.extract(f"<{tag}>([^<]*)</{tag}>", 1))


def _opening(tag: str) -> pl.Expr:
    """Offset (bytes = characters in ASCII text) just after the first ``<tag>``."""
    return pl.col("_lower").str.find(f"<{tag}>", literal=True) + len(tag) + 2


def _normal(action: pl.Expr) -> pl.Expr:
    """``invalid_action._normal`` of lowercased ASCII text: whitespace runs collapsed, `` '"`.`` stripped."""
    return action.str.replace_all(r"[\t-\r\x1c-\x20]+", " ").str.strip_chars(" '\"`.")


def _ascii_normal(item: pl.Expr) -> pl.Expr:
    """A listed action as ``_normal`` makes it, for ASCII items (null for others: never matched here)."""
    return pl.when(item.str.len_bytes() == item.str.len_chars()).then(_normal(item.str.to_lowercase()))


def _templates(found: pl.DataFrame) -> list[pl.Series]:
    """``fills``: the chosen action fills a one-placeholder template (text before, the placeholder
    with something in it, text after); ``unsure``: the row lists a template with more placeholders
    or an action that is not ASCII (Python's lowercase of it might still be the chosen one)."""
    odd = (
        pl.col("admissible_actions").list.eval(pl.element().str.len_bytes() != pl.element().str.len_chars()).list.any()
    )
    pieces = (
        found.select("chosen", item=pl.col("exact"))
        .with_row_index("row")
        .explode("item")
        .filter(pl.col("item").str.contains(PLACEHOLDER))
        .with_columns(parts=pl.col("item").str.extract_groups(rf"^(.*?){PLACEHOLDER}(.*)$"))
        .unnest("parts")
        .rename({"1": "prefix", "2": "suffix"})
    )
    scored = pieces.select(
        "row",
        fills=pl.col("chosen").str.starts_with(pl.col("prefix"))
        & pl.col("chosen").str.ends_with(pl.col("suffix"))
        & (pl.col("chosen").str.len_chars() - pl.col("suffix").str.len_chars() > pl.col("prefix").str.len_chars())
        & ~pl.col("suffix").str.contains(PLACEHOLDER),
        several=pl.col("suffix").str.contains(PLACEHOLDER),
    )
    per_row = scored.group_by("row").agg(pl.col("fills").any(), pl.col("several").any())
    joined = pl.DataFrame({"row": pl.arange(0, found.height, dtype=pl.UInt32, eager=True)}).join(
        per_row, on="row", how="left", maintain_order="left"
    )
    unsure = joined["several"].fill_null(False) | found.select(odd.fill_null(False)).to_series()
    return [joined["fills"].fill_null(False), unsure.alias("unsure")]
