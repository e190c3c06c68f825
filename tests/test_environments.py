"""Recognising environments, parsing admissible actions / tool schemas, cutting environment text
(prompts: ``agent_prompts.py``; Search-R1's appended ``<information>`` block as its generation loop
writes it)."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from agent_prompts import (
    ALFWORLD,
    ALFWORLD_ONE_LINE,
    GSM8K,
    SEARCH,
    SOKOBAN_RAGEN,
    SOKOBAN_VERL_AGENT,
    TOOLS,
    WEBSHOP,
    logged_prompts,
)
from detectors import detector_reference as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entropy_lens import environments as envs
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform


@pytest.mark.parametrize(
    "prompt, env",
    [
        (ALFWORLD, "alfworld"),
        (WEBSHOP, "webshop"),
        (SOKOBAN_VERL_AGENT, "sokoban"),
        (SOKOBAN_RAGEN, "sokoban"),
        (SEARCH, "search"),
        (TOOLS, "tool"),
        (GSM8K, "generic"),
        ("", "generic"),
        (None, "generic"),
    ],
)
def test_recognise(prompt, env):
    assert envs.recognise(prompt) == env


def test_recognise_expr_can_be_forced_and_rejects_unknown_names():
    frame = pl.DataFrame({"prompt": [ALFWORLD, GSM8K]})
    forced = frame.with_columns(env=envs.recognise_expr(pl.col("prompt"), "webshop"))
    assert forced["env"].to_list() == ["webshop"] * 2
    with pytest.raises(ValueError, match="unknown environment"):
        envs.recognise_expr(pl.col("prompt"), "minecraft")


@pytest.mark.parametrize(
    "prompt, env, actions",
    [
        (ALFWORLD, "alfworld", ["go to fridge 1", "take apple 1 from countertop 1", "look"]),
        (ALFWORLD_ONE_LINE, "alfworld", ["go to fridge 1", "take apple 1 from countertop 1", "look"]),
        (WEBSHOP, "webshop", ["search[<your query>]", "click[back to search]", "click[next >]", "click[b09qqp3356]"]),
        (SOKOBAN_VERL_AGENT, "sokoban", ["up", "down", "left", "right"]),
        (SOKOBAN_RAGEN, "sokoban", ["Up", "Down", "Left", "Right"]),
        ("[Cumulative Observations]:\n # \t # \t # \t # \t", "sokoban", ["up", "down", "left", "right"]),
        (TOOLS, "tool", ["get_weather", "calculator"]),
        (SEARCH, "search", None),
        (GSM8K, "generic", None),
    ],
)
def test_admissible_actions(prompt, env, actions):
    assert envs.admissible_actions(prompt, env) == actions


def test_webshop_items_may_contain_apostrophes_and_brackets():
    prompt = "Your admissible actions of the current situation are: \n[\n'click[men's tee [2-pack]]',\n'click[< prev]',\n].\n"
    assert envs.admissible_actions(prompt, "webshop") == ["click[men's tee [2-pack]]", "click[< prev]"]


HEADER = "Your admissible actions of the current situation are: "


@pytest.mark.parametrize(
    "listed, actions",
    [
        ("['go to cabinet 1', 'go to countertop 1', 'look']", ["go to cabinet 1", "go to countertop 1", "look"]),
        ('["go to cabinet 1", "look"]', ["go to cabinet 1", "look"]),  # JSON
        ("['go to cabinet 1' 'look']", ["go to cabinet 1", "look"]),  # numpy's str() of a short array
        ("['go to cabinet 1', 'look'\n 'inventory',]", ["go to cabinet 1", "look", "inventory"]),
        ("[go to cabinet 1, look]", ["go to cabinet 1", "look"]),  # bare, comma-separated
        ("[click[men's tee, blue], click[< prev]]", ["click[men's tee, blue]", "click[< prev]"]),
        ("[\ngo to cabinet 1\nlook\n]", ["go to cabinet 1", "look"]),  # bare, one per line
        ("[\"click[men's tee]\", 'look']", ["click[men's tee]", "look"]),  # str(list) quotes an apostrophe with "
        ("['it\\'s', 'look']", ["it's", "look"]),  # an escaped quote
        ("['']", None),
        ("[]", None),
    ],
)
def test_admissible_actions_in_any_list_syntax(listed, actions):
    prompt = f"{HEADER}{listed}.\n\nNow it's your turn to take an action.\n"
    assert envs.admissible_actions(prompt, "alfworld") == actions
    assert ref.admissible_actions(prompt, "alfworld") == actions


@pytest.fixture(scope="module")
def alfworld_logged(external) -> list[str]:
    """Every prompt the verl-agent ALFWorld logs print (numpy's list layout, one item per line)."""
    prompts = []
    for trainer in ("grpo_trainer", "ppo_trainer"):
        log = external / "verl_agent_hgae" / "examples" / trainer / "run_alfworld.txt"
        prompts += logged_prompts(log.read_text(encoding="utf-8", errors="replace"))
    assert len(prompts) == 62
    return prompts


def listed(prompt: str) -> str:
    """The bracketed list after ``HEADER``, brackets included."""
    return re.search(re.escape(HEADER) + r"(\[.*?\])\.?\n", prompt, flags=re.DOTALL).group(1)


def test_real_alfworld_lists_read_in_every_syntax(alfworld_logged):
    for prompt in alfworld_logged:
        actions = envs.admissible_actions(prompt, envs.recognise(prompt))
        listed_text = listed(prompt)
        assert len(actions) == listed_text.count("'") // 2 > 1 and all("'" not in a for a in actions)
        assert "look" in actions and "inventory" in actions
        for rewritten in (str(actions), json.dumps(actions), "[" + ", ".join(actions) + "]"):
            again = prompt.replace(listed_text, rewritten)
            assert envs.admissible_actions(again, "alfworld") == actions == ref.admissible_actions(again, "alfworld")


def test_valid_actions_of_one_line_lists_are_not_invalid(alfworld_logged):
    from entropy_lens.detectors import scan

    prompts = [p.replace(listed(p), str(envs.admissible_actions(p, "alfworld"))) for p in alfworld_logged]
    prompts.append(ALFWORLD_ONE_LINE)
    responses = [f"<think>I go.</think><action>{envs.admissible_actions(p, 'alfworld')[-1]}</action>" for p in prompts]
    ids = [str(i) for i in range(len(prompts))]
    rows = pl.DataFrame({"step": [1] * len(prompts), "sample_id": ids, "prompt": prompts, "response": responses})
    result = scan(conform(rows, ROLLOUTS_SCHEMA))
    assert result.environments == {"alfworld": len(prompts)}
    assert result.per_step["invalid_action"][0] == 0.0 and result.per_step["hallucination"][0] == 0.0


def test_tool_schemas_from_tools_block_and_bare_openai_list():
    schemas = envs.tool_schemas(TOOLS)
    assert set(schemas) == {"get_weather", "calculator"}
    assert schemas["get_weather"]["required"] == ["city"]
    bare = 'Tools: [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]'
    assert envs.tool_schemas(bare) == {"lookup": {"type": "object"}}
    assert envs.tool_schemas("<tools>\nnot json\n</tools>") == {}


def test_observations_exclude_the_task_instruction():
    shown = envs.observations(WEBSHOP)
    assert "Total results: 50" in shown and "machine wash" not in shown
    assert "You arrive at countertop 1" in envs.observations(ALFWORLD)
    assert "who wrote hamlet" not in envs.observations(SEARCH)
    assert envs.current_observation(WEBSHOP).startswith("'Back to Search'")


def test_policy_spans_search_r1():
    # Search-R1 appends "\n\n<information>…</information>\n\n" after a response ending in </search>
    response = (
        "<think>I need the author.</think>\n<search> hamlet author </search>\n\n<information>Doc 1(Title: Hamlet) "
        "Hamlet is a tragedy by William Shakespeare.\n</information>\n\n<think>It is Shakespeare.</think>\n"
        "<answer> William Shakespeare </answer>"
    )
    policy, env = envs.policy_spans(response)
    assert [response[a:b] for a, b in env] == [
        "\n\n<information>Doc 1(Title: Hamlet) Hamlet is a tragedy by William Shakespeare.\n</information>"
    ]
    assert response[policy[0][0] : policy[0][1]].endswith("</search>")
    assert response[policy[1][0] : policy[1][1]].strip().startswith("<think>It is Shakespeare.")


def test_policy_spans_search_r1_retry_message_is_environment_text():
    retry = (
        "\nMy previous action is invalid. If I want to search, I should put the query between <search> and </search>. "
        "If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.\n"
    )
    response = "<think>hmm</think> I guess." + retry + "<answer> Paris </answer>"
    policy, env = envs.policy_spans(response)
    assert len(env) == 1 and "<search>" not in "".join(response[a:b] for a, b in policy)


def test_policy_spans_decoded_chat_tool_turns():
    # verl decodes with skip_special_tokens: "<|im_start|>user\n" becomes a bare "user\n" line
    response = (
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>\nuser\n'
        "<tool_response>\n42\n</tool_response>\nassistant\nThe answer is 42."
    )
    policy, env = envs.policy_spans(response)
    assert [response[a:b] for a, b in policy] == [response[: response.index("\nuser\n")], "The answer is 42."]
    assert response[env[0][0] : env[0][1]].startswith("user\n<tool_response>")


def test_policy_spans_raw_chatml_turns():
    response = "<think>a</think><answer>Up</answer><|im_end|>\n<|im_start|>user\nreward: -0.1\ndone: False\n<|im_end|>\n<|im_start|>assistant\n<answer>Left</answer>"
    policy, env = envs.policy_spans(response)
    assert [response[a:b] for a, b in policy] == ["<think>a</think><answer>Up</answer>", "<answer>Left</answer>"]
    assert "reward: -0.1" in response[env[0][0] : env[0][1]]


def test_policy_spans_whole_output_when_no_environment_text():
    assert envs.policy_spans("just an answer") == ([(0, 14)], [])
    assert envs.policy_spans("") == ([], [])


def test_annotate_fills_only_missing_lists():
    frame = conform(
        pl.DataFrame(
            {
                "prompt": [ALFWORLD, WEBSHOP, GSM8K, None],
                "admissible_actions": [None, ["keep me"], None, None],
            },
            schema_overrides={"admissible_actions": pl.List(pl.Utf8)},
        ),
        ROLLOUTS_SCHEMA,
    )
    out = envs.annotate(frame)
    assert out.height == 4 and out.columns == frame.columns
    assert out["admissible_actions"].to_list() == [
        ["go to fridge 1", "take apple 1 from countertop 1", "look"],
        ["keep me"],
        None,
        None,
    ]


def test_annotate_adds_the_column_when_absent():
    out = envs.annotate(pl.DataFrame({"prompt": [SOKOBAN_RAGEN]}))
    assert out["admissible_actions"].to_list() == [["Up", "Down", "Left", "Right"]]


#: Pieces of action lists and the text around them: both list layouts, JSON items, RAGEN's sentence
#: in any case (``İ``/``ı`` match ``i`` under Python's IGNORECASE), Python-only whitespace (``\x1c``).
LIST_PIECES = st.sampled_from(
    [
        "Your admissible actions of the current situation are: ",
        "Your admissible actions are ",
        "Admissible actions",
        "Actions you can take: ",
        "ACTİONS YOU CAN TAKE:",
        "actıons you can take:",
        "[",
        "]",
        "].",
        ".",
        "\n",
        "\n ",
        " ",
        "\t",
        "\x1c",
        "\xa0",
        ",",
        "'",
        '"',
        "'look'",
        "'go to fridge 1',",
        '"up", "down"',
        '"left"',
        "search[<your query>]",
        "Up, Down, Left",
        "[SEP]",
        "['go to a', 'look']",
        "'x' 'y'",
        "\\'",
        "go to a, look",
        "click[a, b]",
    ]
)
TEXT = st.lists(st.one_of(LIST_PIECES, st.text(max_size=4)), max_size=14).map("".join)
#: A bracketed list after its header, then more text (so that most examples hold a list).
LISTED = st.tuples(
    st.sampled_from(
        ["Your admissible actions of the current situation are: \n", "admissible actions \x1c", "Admissible actions"]
    ),
    st.lists(
        st.one_of(
            st.sampled_from(
                ["'look'", "\n", ",\n", " '", '"up"', '"a", "b"', ", ", "]", "[x]", "'a' 'b'", "\\", "go to a, b", "(", "}"]
            ),
            st.text(max_size=3),
        ),
        max_size=8,
    ),
    st.sampled_from(["]", "].", "]\n", "]. \n", "] x", "]\t\n"]),
    TEXT,
).map(lambda t: t[0] + "[" + "".join(t[1]) + t[2] + t[3])
PROMPTS = st.one_of(TEXT, LISTED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(PROMPTS, st.sampled_from(envs.ENVIRONMENTS)), min_size=1, max_size=12))
def test_parse_admissible_matches_the_python_reference(rows):
    prompts, names = [p for p, _ in rows], [e for _, e in rows]
    parsed = envs.parse_admissible(pl.Series(prompts, dtype=pl.Utf8), pl.Series(names, dtype=pl.Utf8))
    assert parsed.to_list() == [ref.admissible_actions(p, e) for p, e in rows]


def test_parse_admissible_reads_every_agent_prompt_like_the_reference():
    prompts = [ALFWORLD, WEBSHOP, SOKOBAN_VERL_AGENT, SOKOBAN_RAGEN, SEARCH, TOOLS, GSM8K, "", None]
    names = [ref.recognise(p) for p in prompts]
    assert names == [envs.recognise(p) for p in prompts]
    parsed = envs.parse_admissible(pl.Series(prompts, dtype=pl.Utf8), pl.Series(names, dtype=pl.Utf8))
    assert parsed.to_list() == [ref.admissible_actions(p, e) for p, e in zip(prompts, names)]


def test_python_whitespace_constant():
    assert set(envs.PY_SPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
