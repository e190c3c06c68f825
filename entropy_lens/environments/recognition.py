"""Which agent environment a prompt belongs to, and which tag it asks the action in.

Signatures come from the frameworks' own templates (facts only, no code copied; see
``environments/__init__.py`` for the formats): verl-agent's ALFWorld, WebShop, Sokoban and search
prompts, RAGEN's Sokoban, Search-R1, Qwen2.5 / Hermes tool calling.
"""

from __future__ import annotations

import polars as pl

#: Recognised environment formats, in the order their signatures are tried.
ENVIRONMENTS = ("tool", "search", "webshop", "alfworld", "sokoban", "generic")
#: Environments whose policy must name one admissible action per turn in an action tag.
ACTION_ENVS = frozenset({"alfworld", "webshop", "sokoban"})

#: Prompt signatures (Rust regex syntax: they run inside polars).
_SIGNATURES = {
    "tool": r'<tools>|"type"\s*:\s*"function"',
    "search": r"<search>[^<]{0,40}</search>|call a search engine",
    "webshop": r"WebShop|\[SEP\] Instruction: \[SEP\]|'search\[<your query>\]'",
    "alfworld": r"ALFRED Embodied Environment|You are in the middle of a room\. Looking quickly around you",
    "sokoban": r"(?i)sokoban|(?: [#_OXP√S] \t){3}",
}


def recognise_expr(prompt: pl.Expr, env: str | None = None) -> pl.Expr:
    """Polars expression: the environment name of each prompt (``env`` forces one for all).

    Raises:
        ValueError: ``env`` is not one of ``ENVIRONMENTS``.
    """
    if env is not None:
        if env not in ENVIRONMENTS:
            raise ValueError(f"unknown environment {env!r}; choose one of {', '.join(ENVIRONMENTS)}")
        return pl.lit(env, pl.Utf8)
    chain = pl.when(prompt.str.contains(_SIGNATURES["tool"])).then(pl.lit("tool"))
    for name in ENVIRONMENTS[1:-1]:
        chain = chain.when(prompt.str.contains(_SIGNATURES[name])).then(pl.lit(name))
    return chain.otherwise(pl.lit("generic"))


def recognise(prompt: str | None) -> str:
    """The environment a single prompt belongs to (``generic`` when none matches)."""
    return pl.select(recognise_expr(pl.lit(prompt or "", pl.Utf8))).item()


def action_tag_expr(prompt: pl.Expr) -> pl.Expr:
    """Polars expression: the tag each prompt asks the action in, ``action`` (verl-agent) or
    ``answer`` (RAGEN); ``action`` when the prompt names neither."""
    return (
        pl.when(prompt.str.contains("<action>", literal=True))
        .then(pl.lit("action"))
        .when(prompt.str.contains("<answer>", literal=True))
        .then(pl.lit("answer"))
        .otherwise(pl.lit("action"))
    )
