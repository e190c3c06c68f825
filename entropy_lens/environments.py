"""Agent environments as rollout text shows them: which one a prompt belongs to, which actions it
admits, where its observations are, and which parts of a concatenated output it (not the policy) wrote.

Formats, taken from the frameworks' own templates (facts only, no code copied):

* verl-agent (``agent_system/environments/prompts/{alfworld,webshop,sokoban,search}.py`` and
  ``env_manager.py``): ``Your admissible actions of the current situation are: [...]`` with quoted
  items (ALFWorld joined by ``"\\n "``, WebShop one per line with a trailing comma, where
  ``search[<your query>]`` is a template); Sokoban ``Your admissible actions are ["up", …]``; the
  action goes in ``<action>…</action>``; history lines ``[Observation k: '…', Action k: '…']``.
* RAGEN Sokoban (``ragen/env/sokoban``): ``Actions you can take: Up, Down, Left, Right.``, the
  action in ``<answer>…</answer>``, feedback ``… the observation is: … reward: … done: …``.
* Search agents (Search-R1, verl-agent search): ``<search> query </search>``, results in
  ``<information>…</information>`` (Search-R1 appends them to the same sequence), ``<answer>``.
* Chat tool calling (Qwen2.5 / Hermes template): OpenAI-style schemas ``{"type": "function",
  "function": {…}}`` inside ``<tools>…</tools>``; calls ``<tool_call>{"name", "arguments"}</tool_call>``;
  results ``<tool_response>…</tool_response>`` in a ``user``/``tool`` turn. verl's dumps decode
  without special tokens, so turn headers appear as bare ``user`` / ``assistant`` lines.
"""

from __future__ import annotations

import json
import re

import polars as pl

#: Recognised environment formats, in the order their signatures are tried.
ENVIRONMENTS = ("tool", "search", "webshop", "alfworld", "sokoban", "generic")
#: Environments whose policy must name one admissible action per turn in an action tag.
ACTION_ENVS = frozenset({"alfworld", "webshop", "sokoban"})
#: Sokoban's fixed action space (RAGEN and verl-agent), used when the prompt lists none.
SOKOBAN_ACTIONS = ("up", "down", "left", "right")

#: Prompt signatures (Rust regex syntax: they run inside polars).
_SIGNATURES = {
    "tool": r'<tools>|"type"\s*:\s*"function"',
    "search": r"<search>[^<]{0,40}</search>|call a search engine",
    "webshop": r"WebShop|\[SEP\] Instruction: \[SEP\]|'search\[<your query>\]'",
    "alfworld": r"ALFRED Embodied Environment|You are in the middle of a room\. Looking quickly around you",
    "sokoban": r"(?i)sokoban|(?: [#_OXP√S] \t){3}",
}

#: Python's whitespace (``str.isspace``): Rust's ``\s`` (Unicode White_Space) plus ``\x1c``-``\x1f``.
PY_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
#: Admissible-action lists, and RAGEN's (Rust regex with Python's ``\s``; ``İ``/``ı`` match ``i`` as in ``re``).
_LISTED = r"[Aa]dmissible actions[^\n\[]*?[\s\x1c-\x1f]*\[(?s:.*?)\]\.?[ \t]*(?:\n|$)"
_RAGEN_ACTIONS = r"(?i)Act[iİı]ons you can take:[\s\x1c-\x1f]*([^.\n]+)"
_TOOLS_BLOCK = re.compile(r"<tools>(.*?)</tools>", re.DOTALL)
_JSON_START = re.compile(r'(?m)^\s*[\[{]|\{\s*"type"\s*:\s*"function"')
_CURRENT_OBS = re.compile(r"current observation is:\s*(.*?)\nYour admissible actions", re.IGNORECASE | re.DOTALL)
_PRIOR = re.compile(
    r"Prior to this step.*?corresponding actions you took:\s*(.*?)\nYou are now at step", re.IGNORECASE | re.DOTALL
)
_TASK_LINE = re.compile(
    r"^.*(?:Your task is to:|Your question:|Question:|Instruction:).*$", re.IGNORECASE | re.MULTILINE
)

#: Environment-written parts of a concatenated output: chat turns of the user/tool (raw special
#: tokens, or decoded without them as bare role lines), Search-R1 results after ``</search>`` and
#: its fixed invalid-action feedback, tool responses after ``</tool_call>``.
_SEARCH_R1_RETRY = r"My previous action is invalid\. If I want to search, .*?Let me try again\."
_ENV_TEXT = re.compile(
    r"<\|im_start\|>(?:user|tool|system)\b.*?(?:<\|im_end\|>|(?=<\|im_start\|>)|\Z)"
    r"|<\|start_header_id\|>(?:user|ipython|tool|system)<\|end_header_id\|>.*?(?:<\|eot_id\|>|(?=<\|start_header_id\|>)|\Z)"
    r"|^(?:user|tool)\n(?=<tool_response>|<information>).*?(?=^assistant\n|\Z)"
    r"|(?<=</search>)\s*<information>.*?(?:</information>|\Z)"
    r"|(?<=</tool_call>)\s*<tool_response>.*?(?:</tool_response>|\Z)"
    rf"|{_SEARCH_R1_RETRY}",
    re.DOTALL | re.MULTILINE,
)
#: Chat-template header that opens a policy turn, and end-of-turn tokens that close it (template
#: text around the policy's, cut where a dump concatenates turns).
_POLICY_HEADER = re.compile(
    r"\s*(?:<\|im_start\|>assistant\n?|<\|start_header_id\|>assistant<\|end_header_id\|>\s*|assistant\n)"
)
_TURN_END = re.compile(r"(?:<\|im_end\|>|<\|eot_id\|>)?\s*$")
#: Cheap test (Rust regex) for outputs that may hold environment text.
CONCATENATED = (
    r"<\|im_start\|>|<\|start_header_id\|>|\n(?:user|tool)\n<(?:tool_response|information)>"
    r"|</search>\s*<information>|</tool_call>\s*<tool_response>|My previous action is invalid\. If I want to search"
)


def recognise_expr(prompt: pl.Expr, env: str | None = None) -> pl.Expr:
    """Polars expression: the environment name of each prompt (``env`` forces one for all)."""
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


def admissible_actions(prompt: str | None, env: str) -> list[str] | None:
    """Actions the prompt admits (as written), tool names for ``tool``, else None.

    >>> admissible_actions("Your admissible actions of the current situation are: ['look'\\n 'inventory'].\\n", "alfworld")
    ['look', 'inventory']
    """
    return parse_admissible(pl.Series([prompt or ""], dtype=pl.Utf8), pl.Series([env], dtype=pl.Utf8)).to_list()[0]


def parse_admissible(prompts: pl.Series, envs: pl.Series) -> pl.Series:
    """``admissible_actions`` of every prompt (``List[Utf8]``, null where none): a bracketed list
    (one quoted item per line, or a JSON list), RAGEN's ``Actions you can take: a, b.``, Sokoban's
    fixed actions, tool names. Vectorised; tool schemas and JSON lists are read in Python."""
    item, kept = pl.element(), pl.element().filter(pl.element() != "")
    found = pl.DataFrame({"prompt": prompts.fill_null(""), "env": envs}).with_columns(
        # inside the brackets: from the match's first "[" to its last "]" (a capture group costs twice as much)
        block=pl.col("prompt").str.extract(_LISTED, 0).str.replace(r"^[^\[]*\[", "").str.replace(r"\][^\]]*$", ""),
        ragen=pl.col("prompt").str.extract(_RAGEN_ACTIONS, 1),
    )
    stripped = item.str.strip_chars(PY_SPACE).str.strip_suffix(",").str.strip_chars(PY_SPACE)  # as Python's
    parsed = found.with_columns(
        lines=pl.col("block").str.split("\n").list.eval(stripped).list.eval(_unquoted(item)).list.eval(kept),
        ragen=pl.col("ragen").str.split(",").list.eval(item.str.strip_chars(PY_SPACE)).list.eval(kept),
    ).select(
        pl.when(pl.col("block").is_not_null())
        .then(pl.when(pl.col("lines").list.len() > 0).then("lines"))
        .when(pl.col("ragen").is_not_null())
        .then("ragen")
        .when(pl.col("env") == "sokoban")
        .then(pl.lit(list(SOKOBAN_ACTIONS), pl.List(pl.Utf8)))
        .alias("actions"),
        python=(pl.col("env") == "tool") | pl.col("block").str.strip_chars_start(PY_SPACE).str.starts_with('"'),
    )
    rows = parsed.select(pl.arg_where("python")).to_series()
    if rows.is_empty():
        return parsed["actions"]
    values = (found[name].gather(rows).to_list() for name in ("prompt", "env", "block"))
    fixed = [_python_admissible(*row) for row in zip(*values, parsed["actions"].gather(rows).to_list())]
    patch = pl.DataFrame({"index": rows, "fixed": pl.Series(fixed, dtype=pl.List(pl.Utf8))})
    patched = parsed.with_row_index().join(patch, on="index", how="left", maintain_order="left")
    return patched.select(pl.when("python").then("fixed").otherwise("actions")).to_series()


def _unquoted(item: pl.Expr) -> pl.Expr:
    """``item[1:-1]`` when it has two or more characters and the same quote at both ends."""
    first, size = item.str.head(1), item.str.len_chars()
    quoted = (size >= 2) & (first == item.str.tail(1)) & first.is_in(["'", '"'])
    return pl.when(quoted).then(item.str.slice(1, size - 2)).otherwise(item)


def _python_admissible(prompt: str, env: str, block: str | None, listed: list[str] | None) -> list[str] | None:
    """Tool names, or a JSON list of strings (else the line-by-line reading ``listed``)."""
    if env == "tool":
        return list(tool_schemas(prompt)) or None
    try:
        items = json.loads(f"[{block}]")
    except json.JSONDecodeError:
        return listed
    return (items or None) if all(isinstance(i, str) for i in items) else listed


def tool_schemas(prompt: str) -> dict[str, dict | None]:
    """Tool name → JSON-schema of its parameters, from OpenAI-style schemas in the prompt."""
    blocks = [m.group(1) for m in _TOOLS_BLOCK.finditer(prompt)]  # Qwen's text also mentions "<tools></tools>"
    text = "\n".join(blocks) if any(b.strip() for b in blocks) else prompt
    decoder, found, end = json.JSONDecoder(), {}, 0
    for start in _JSON_START.finditer(text):
        at = text.index(start.group().strip()[0], start.start())
        if at < end:
            continue
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            continue
        for entry in value if isinstance(value, list) else [value]:
            spec = entry.get("function", entry) if isinstance(entry, dict) else None
            if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                found[spec["name"]] = spec.get("parameters")
    return found


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


def current_observation(prompt: str | None) -> str:
    """verl-agent's ``current observation is: …`` block of the prompt (``""`` when absent)."""
    found = _CURRENT_OBS.search(prompt or "")
    return found.group(1) if found else ""


def observations(prompt: str | None) -> str:
    """What the environment showed: verl-agent's current observation plus the prior actions, or
    else the prompt without its task-instruction lines (the instruction is never evidence)."""
    prompt = prompt or ""
    current, prior = _CURRENT_OBS.search(prompt), _PRIOR.search(prompt)
    if current or prior:
        return " ".join(m.group(1) for m in (current, prior) if m)
    return _TASK_LINE.sub("", prompt)


def policy_spans(response: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Split one output into policy spans and environment spans (char offsets, in order).

    Outputs without environment text give ``([(0, len(response))], [])``.
    """
    env = [m.span() for m in _ENV_TEXT.finditer(response) if m.end() > m.start()]
    if not env:
        return ([(0, len(response))] if response.strip() else []), []
    policy, cursor = [], 0
    for start, end in env + [(len(response), len(response))]:
        header = _POLICY_HEADER.match(response, cursor, start)
        begin = header.end() if header else cursor
        finish = _TURN_END.search(response, begin, start).start()
        if response[begin:finish].strip():
            policy.append((begin, finish))
        cursor = end
    return policy, env


def annotate(rollouts: pl.DataFrame) -> pl.DataFrame:
    """Fill ``admissible_actions`` from each prompt where it is null (existing lists are kept)."""
    return recognised(rollouts).drop("_env")


def recognised(rollouts: pl.DataFrame, env: str | None = None) -> pl.DataFrame:
    """``annotate``, plus an ``_env`` column: each prompt's environment (``env`` forces one).

    Prompts are parsed once each (GRPO groups share them) and joined back by hash.
    """
    if "prompt" not in rollouts.columns:
        rollouts = rollouts.with_columns(prompt=pl.lit(None, pl.Utf8))
    keyed = rollouts.with_columns(_prompt_key=pl.col("prompt").fill_null("").hash())
    kinds = keyed.unique("_prompt_key").select(
        "_prompt_key", _env=recognise_expr(pl.col("prompt").fill_null(""), env), prompt=pl.col("prompt")
    )
    parsed = kinds.select("_prompt_key", "_env", _listed=parse_admissible(kinds["prompt"].fill_null(""), kinds["_env"]))
    joined = keyed.join(parsed, on="_prompt_key", how="left", maintain_order="left").drop("_prompt_key")
    if "admissible_actions" not in rollouts.columns:
        return joined.rename({"_listed": "admissible_actions"})
    return joined.with_columns(pl.coalesce("admissible_actions", "_listed").alias("admissible_actions")).drop("_listed")
