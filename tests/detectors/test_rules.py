"""The rule detectors one by one: what they flag, with which evidence and span, and what they leave."""

from __future__ import annotations

import polars as pl
import pytest
from agent_prompts import (
    ALFWORLD,
    GSM8K,
    SEARCH,
    SOKOBAN_RAGEN,
    TOOLS,
    WEBSHOP,
    WEBSHOP_ITEM,
)
from rollout_rows import rollouts

from entropy_lens.detectors import FINDINGS_SCHEMA, get_detector

SEARCH_R1_OUTPUT = (
    "<think>I need the author.</think>\n<search> hamlet author </search>\n\n<information>Doc 1(Title: Hamlet) "
    "Hamlet is a tragedy by William Shakespeare.\n</information>\n\n<think>It is Shakespeare.</think>\n"
    "<answer> William Shakespeare </answer>"
)


QUOTED = (
    "<think>The prompt said:\nYou arrive at countertop 1. On the countertop 1, you see a apple 1.\n"
    "So I take it.</think><action>take apple 1 from countertop 1</action>"
)


def run(name: str, rows: list[tuple[str | None, str]], *, turn: int | None = 0) -> pl.DataFrame:
    found = get_detector(name).detect(rollouts(rows, turn=turn))
    assert found.schema == pl.Schema(FINDINGS_SCHEMA) and found.height == len(rows)
    return found


def spanned(found: pl.DataFrame, rows, i: int) -> str:
    """The response text under row ``i``'s evidence span."""
    return rows[i][1][found["span_start"][i] : found["span_end"][i]]


def test_char_run():
    rows = [
        (GSM8K, "So the answer is 5.\n#### 5"),
        (GSM8K, "Wait" + "!" * 40 + " done"),
        (None, "reward: -0.7<|im_end|>" + "<|endoftext|>" * 5),
        (None, "哈" * 30),
        (None, "a    " + " " * 60 + "b"),
        (None, "| a | b |\n|---|---|\n" + "=" * 23),
    ]
    found = run("char_run", rows)
    assert found["flagged"].to_list() == [False, True, True, True, False, False]
    assert found["score"].to_list()[1:4] == [40.0, 5.0, 30.0]
    assert spanned(found, rows, 1) == "!" * 40
    assert spanned(found, rows, 2) == "<|endoftext|>" * 5
    assert found["evidence"][2] == "'<|endoftext|>' × 5"


def test_fabricated_observation():
    rows = [
        (SOKOBAN_RAGEN, "<answer>Left</answer>\nreward: -0.7\ndone: True\nNext step: solve it."),
        (None, "Thought: look around.\nAction: look\nObservation: You see a mug 1."),
        (ALFWORLD, "<think>I went there.\nYou arrive at fridge 1. The fridge 1 is open.</think><action>look</action>"),
        (ALFWORLD, QUOTED),
        (SEARCH, "<search> hamlet </search>\n<information>Doc 1(Title: Hamlet) made up</information>"),
        (GSM8K, "The observation that 3 + 4 = 7 gives the reward of 7 points.\n#### 7"),
    ]
    found = run("fabricated_observation", rows)
    assert found["flagged"].to_list() == [True, True, True, False, True, False]
    assert found["score"][0] == 2.0  # reward line and done line
    assert found["evidence"][0] == "reward line: 'reward: -0.7'"
    assert spanned(found, rows, 0) == "reward: -0.7"
    assert found["evidence"][2].startswith("alfworld narration: 'You arrive at fridge 1.")
    assert found["evidence"][4].startswith("search results:")


def test_environment_text_of_a_concatenated_dump_is_not_the_policys():
    fabricated = SEARCH_R1_OUTPUT.replace("<answer>", "<information>Doc 9(Title: x) invented</information><answer>")
    rows = [(SEARCH, SEARCH_R1_OUTPUT), (SEARCH, fabricated)]
    found = run("fabricated_observation", rows, turn=None)
    assert found["flagged"].to_list() == [False, True]
    assert spanned(found, rows, 1).startswith("<information>Doc 9")  # span maps back into the response
    # the same text as a single policy turn: every <information> is the policy's own
    assert run("fabricated_observation", rows, turn=0)["flagged"].to_list() == [True, True]


@pytest.mark.parametrize(
    "prompt, response, reason",
    [
        (ALFWORLD, "<think>Cold apple.</think><action>go to fridge 1</action>", None),
        (ALFWORLD, "<think>x</think><action> Go To  Fridge 1 </action>", None),
        (ALFWORLD, "<think>x</think><action>fly to the moon</action>", "'fly to the moon' is not an admissible action"),
        (ALFWORLD, "<think>I will go to the fridge.</think>", "no <action>…</action>"),
        (ALFWORLD, "<think>x</think><action> </action>", "empty <action>"),
        (WEBSHOP, "<think>x</think><action>search[cotton tee short sleeve]</action>", None),
        (WEBSHOP, "<think>x</think><action>search[tee [2-pack]]</action>", None),
        (WEBSHOP, "<think>x</think><action>search[]</action>", "'search[]' is not an admissible action"),
        (WEBSHOP, "<think>x</think><action>click[buy now]</action>", "'click[buy now]' is not an admissible action"),
        (SOKOBAN_RAGEN, "<think>x</think> <answer>Up</answer>", None),
        (SOKOBAN_RAGEN, "<think>x</think> <answer>Up || Left</answer>", None),
        (SOKOBAN_RAGEN, "<think>x</think> <answer>jump</answer>", "'jump' is not an admissible action"),
        (SOKOBAN_RAGEN, "<think>x</th>\n<suck>go</suck>", "no <answer>…</answer>; unexpected tags </th>, <suck>"),
        (SEARCH, "<think>x</think><search> hamlet author </search>", None),
        (SEARCH, "<think>x</think><answer> Shakespeare </answer>", None),
        (SEARCH, "<think>I just know it.</think> Shakespeare", "no <search> query and no <answer>"),
        (SEARCH, "<think>x</think><search>  </search>", "empty <search> or <answer>"),
        (GSM8K, "I do not know.", None),
    ],
)
def test_invalid_action(prompt, response, reason):
    found = run("invalid_action", [(prompt, response)])
    assert found["flagged"][0] == (reason is not None)
    assert found["evidence"][0] == reason


TOOL_CASES = [
    ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>', None),
    (
        '<tool_call>\n{"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\", \\"unit\\": \\"c\\"}"}\n</tool_call>',
        None,
    ),
    ("The weather is fine, no tool needed.", None),
    ('<tool_call>\n{"name": "get_stock", "arguments": {"ticker": "X"}}\n</tool_call>', "unknown tool 'get_stock'"),
    (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}\n</tool_call>',
        "tool call is not valid JSON",
    ),
    (
        '<tool_call>\n{"name": "get_weather", "arguments": {"unit": "c"}}\n</tool_call>',
        "arguments do not fit 'get_weather': 'city' is a required property",
    ),
    (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "kelvin"}}\n</tool_call>',
        "arguments do not fit 'get_weather'",
    ),
    (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}\n</tool_call>',
        "arguments do not fit 'get_weather'",
    ),
    (
        '<tool_call>\n{"name": "calculator", "arguments": "{oops"}\n</tool_call>',
        "arguments of 'calculator' are not valid JSON",
    ),
    ('<tool_call>\n{"name": "calculator", "arguments": {"expression": "1+1"}', "unterminated <tool_call>"),
    ('{"name": "web_search", "arguments": {"q": "x"}}', "unknown tool 'web_search'"),
]


@pytest.mark.parametrize("response, reason", TOOL_CASES)
def test_invalid_tool_calls(response, reason):
    found = run("invalid_action", [(TOOLS, response)])
    assert found["flagged"][0] == (reason is not None)
    assert (found["evidence"][0] or "").startswith(reason or "")


def test_unsupported_claim():
    facts = "<think>Product details:\n- Color: {color}\n- Size: {size}\n- Price: $15.99</think><action>click[buy now]</action>"
    rows = [
        (WEBSHOP_ITEM, facts.format(color="navy", size="x-large")),
        (WEBSHOP_ITEM, facts.format(color="heather grey", size="medium")),  # copied from the task, not observed
        (WEBSHOP_ITEM, facts.format(color="navy", size="not specified")),
        (WEBSHOP_ITEM, "<think>Color: navy is what I see.</think><action>click[navy]</action>"),  # one fact only
        (WEBSHOP_ITEM, "<think>\n* Material: silk\n* Fit type: slim\n</think>"),
    ]
    found = run("unsupported_claim", rows)
    assert found["flagged"].to_list() == [False, True, False, False, True]
    assert found["evidence"][1] == "color: 'heather grey' is not in the observations"
    assert spanned(found, rows, 1).strip() == "- Color: heather grey"
    assert found["score"][4] == 2.0 and found["evidence"][4].endswith("(+1 more)")


def test_unsupported_claim_accepts_prior_actions_as_evidence():
    # "men's t-shirt short sleeve" was typed in an earlier search action (history), so it is supported
    text = "<think>Details:\nFit: men's t-shirt short sleeve\nPrice: $15.99</think>"
    assert run("unsupported_claim", [(WEBSHOP_ITEM, text)])["flagged"][0] is False


def test_contradictory_rambling():
    rows = [
        (
            WEBSHOP_ITEM,
            "<think>The size does not match, but I will proceed anyway.</think><action>click[buy now]</action>",
        ),
        (WEBSHOP_ITEM, "<think>The material is not specified.</think><action>click[buy now]</action>"),
        (WEBSHOP, "<think>This is the only result, so I click it.</think><action>click[b09qqp3356]</action>"),
        (WEBSHOP_ITEM, "<think>It is navy, a medium, and $15.99, within budget.</think><action>click[navy]</action>"),
        (GSM8K, "Let me confirm: 3 + 4 = 7.\n#### 7"),
    ]
    found = run("contradictory_rambling", rows)
    assert found["flagged"].to_list() == [True, True, True, False, False]
    assert found["evidence"][0] == "'does not match' yet 'proceed'"
    assert found["evidence"][2] == "'only result' but the page shows 50 results"
    assert spanned(found, rows, 2) == "only result"


def test_hallucination_is_any_of_its_four_parts():
    rows = [
        (ALFWORLD, "<think>ok</think><action>look</action>"),
        (ALFWORLD, "<think>ok</think><action>dance</action>\nObservation: the room spins."),
        (WEBSHOP_ITEM, "<think>The color is not specified; proceed.</think><action>click[buy now]</action>"),
    ]
    found = run("hallucination", rows)
    assert found["flagged"].to_list() == [False, True, True]
    assert found["score"].to_list() == [0.0, 2.0, 1.0]
    assert found["evidence"][1].startswith("fabricated_observation: observation header")
    assert found["evidence"][2].startswith("contradictory_rambling: ")
    assert spanned(found, rows, 1).startswith("Observation: the room spins.")


def test_unknown_detector_name():
    with pytest.raises(ValueError, match="unknown detector 'vibes'"):
        get_detector("vibes")


def test_concatenated_tool_dialogue_judges_each_policy_turn():
    # verl multi-turn dump, decoded without special tokens: the tool's reply (which itself looks like a
    # call object) is environment text; the second policy turn calls a tool the prompt never declared
    response = (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\nuser\n'
        '<tool_response>\n{"name": "forecast_service", "arguments": {"temp": 21}}\n</tool_response>\nassistant\n'
        '<tool_call>\n{"name": "book_flight", "arguments": {"to": "Nice"}}\n</tool_call>'
    )
    rows = [(TOOLS, response)]
    found = run("invalid_action", rows, turn=None)
    assert found["evidence"][0] == "unknown tool 'book_flight'"
    assert spanned(found, rows, 0).startswith('<tool_call>\n{"name": "book_flight"')
    assert run("fabricated_observation", rows, turn=None)["flagged"][0] is False


def test_observation_written_inside_the_reasoning():
    rows = [
        (ALFWORLD, "<think>I go to the fridge. Observation: You arrive at fridge 1.</think><action>look</action>"),
        (ALFWORLD, "<think>My current observation: the apple is on the countertop.</think><action>look</action>"),
    ]
    found = run("fabricated_observation", rows)
    assert found["flagged"].to_list() == [True, False]
    assert spanned(found, rows, 0).startswith("Observation: You arrive at fridge 1.")


def test_paper_hallucination_is_seals_two_detectors_read_as_seal_reads_them():
    facts = "Product details:\n- Color: crimson red\n- Size: medium</think>\n<action>click[buy now]</action>"
    rows = [
        (WEBSHOP_ITEM, facts),  # "medium" is on the page; SEAL reads "medium</think>", which is not
        (WEBSHOP_ITEM, "<think>It does not match, but I will proceed.</think><action>click[buy now]</action>"),
        (ALFWORLD, "<think>I go.</think><action>fly to the moon</action>"),  # invalid: ours only
    ]
    ours = run("unsupported_claim", rows)
    seal = get_detector("unsupported_claim").__class__(cut_tags=False).detect(rollouts(rows))
    assert ours["score"][0] == 1.0 and seal["score"][0] == 2.0
    assert run("paper_hallucination", rows)["flagged"].to_list() == [True, True, False]
    assert run("hallucination", rows)["flagged"].to_list() == [True, True, True]
    assert run("paper_hallucination", rows)["evidence"][1].startswith("contradictory_rambling: ")
