"""The rule detectors' vectorised prefilters only skip outputs that their per-output Python check
would pass (and ``fabricated_observation``'s keywords only skip markers that cannot match): each
detector equals itself run with every output sent to that check, every marker tried, on random
text full of what trips the rules (and of the characters where Python's ``re`` and Rust's regex
differ)."""

from __future__ import annotations

import polars as pl
import pytest
from agent_prompts import ALFWORLD, SEARCH, SOKOBAN_RAGEN, WEBSHOP_ITEM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rollout_rows import rollouts

from entropy_lens.detectors import (
    char_run,
    contradictory_rambling,
    fabricated_observation,
    get_detector,
    unsupported_claim,
)
from entropy_lens.detectors.view import candidates

#: Pieces that trip the rule detectors, in any case and spacing: environment feedback, narration,
#: contradictions, product facts, runs and special tokens, and the characters where Python's ``re``
#: and Rust's regex disagree (``İ``/``ı`` under ignore-case, ``\x1c`` as whitespace, combining marks).
RULE_PIECES = st.sampled_from(
    [
        "Observation:",
        "OBSERVATİON 2:",
        "obs:",
        "\nreward: -0.7",
        "Reward = 1",
        "\ndone: True",
        "DONE:false",
        "<tool_response>",
        "<INFORMATION>",
        "<|im_start|>user",
        "\nYou arrive at desk 1.",
        "On the desk 1, you see a pen.",
        "after you move up, the observation is",
        "Action is invalıd. You stay in the same position",
        "[SEP]",
        "action is INVALID. You stay in the same position",
        "\nNothing happens.",
        "\n  You pick up the apple 1",
        "\nDOC 2 (Title: y)",
        "<|start_header_id|>tool",
        "\nDoc 1 (Title: x)",
        "does not match",
        "doesn't match",
        "proceed",
        "buy now",
        "only result",
        "matches the criteria",
        "Total results: 5",
        "\nsize: large",
        "\n- Fıt: slim",
        "\ncolour\x1c: red",
        "\nprice: $10",
        "Size: M",
        "\n  * Material : silk",
        "-\nfabric - wool",
        "\r\nsole: rubber",
        "\x0b\nsleeve type: long",
        "!" * 12,
        "a" * 12,
        "<|endoftext|>",
        "</s>",
        "[PAD]",
        " ",
        "\n",
        "\x1c",
        "\u0301",
        "½",
        "İ",
        "ı",
    ]
)
RULE_TEXTS = st.lists(st.one_of(RULE_PIECES, st.text(max_size=3)), max_size=25).map("".join)


@pytest.mark.parametrize("module", [char_run, contradictory_rambling, fabricated_observation, unsupported_claim])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from([WEBSHOP_ITEM, ALFWORLD, SOKOBAN_RAGEN, SEARCH]), RULE_TEXTS), min_size=1, max_size=8
    )
)
def test_prefilters_only_skip_outputs_the_python_check_passes(module, rows):
    frame = rollouts(rows)
    detector = get_detector(module.__name__.rsplit(".", 1)[1])
    fast = detector.detect(frame)
    with pytest.MonkeyPatch.context() as patch:  # every output through the per-output Python check
        for marker in getattr(module, "KEYWORDS", {}):  # and every marker's regex run on it
            patch.setitem(module.KEYWORDS, marker, ("",))
        every = pl.int_range(pl.len()) >= 0
        patch.setattr(
            module, "candidates", lambda view, condition, *names, confirm=None: candidates(view, every, *names)
        )
        assert fast.equals(detector.detect(frame))
