"""Every shortcut of the detectors equals the straightforward code it saves, on random agent-like text.

The vectorised tokeniser against Python's ``re`` tokens (sentence duplication and ``seq_rep_4``
against their references: ``test_repetition.py``; the rule detectors' prefilters:
``test_prefilters.py``), the skip of outputs whose action is certainly admissible
(``invalid_action``), the search for a repeated sentence without a regex (``sentence_dup``).
"""

from __future__ import annotations

import re

import detector_reference as ref
import numpy as np
import polars as pl
import pytest
from agent_prompts import ALFWORLD, SOKOBAN_RAGEN, WEBSHOP, WEBSHOP_ITEM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rollout_rows import rollouts

from entropy_lens.detectors import action_match, invalid_action, ngrams
from entropy_lens.detectors.sentence_dup import _second_occurrence
from entropy_lens.detectors.tokens import token_ids, tokenize

#: Agent output pieces: action tags in any case, admissible and template actions, RAGEN's ``||``,
#: separators and quotes the normalisation strips, Python-only whitespace, non-ASCII letters.
PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<action>",
        "</action>",
        "<ACTION>",
        "<answer>",
        "</answer>",
        "click[next >]",
        "Click[Back to Search]",
        "click[b09qqp3356]",
        "search[blue shirt]",
        "search[]",
        "go to fridge 1",
        "look",
        "Up",
        " || ",
        "'",
        "`",
        ".",
        " ",
        "  ",
        "\n",
        "\t",
        "\x1c",
        "\xa0",
        "<",
        ">",
        "İ",
        "é",
        "x" * 9,
        "abcdefghijklmnopq",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=30).map("".join)
#: An output with one action tag around listed, template or other actions (the skip's own cases).
ACTED = st.tuples(
    TEXTS,
    st.sampled_from(["<action>", "<answer>", "<Action>"]),
    st.one_of(
        st.sampled_from(
            [" Click[Next >]. ", "'look'", "go  to\tfridge 1", "Up", "left || Right", "click[buy now]", "click[< prev]"]
        ),
        st.sampled_from(["search[blue shirt]", "click[navy]", "\x1cup", "İ", "look\n<", "`down`"]),
        st.lists(PIECES, max_size=4).map("".join),
    ),
    st.sampled_from(["</action>", "</answer>", "</ACTION>"]),
    TEXTS,
).map("".join)
#: Mostly ASCII text with long words: the numpy tokeniser's path (tokens of 1, 8, 9, 16, 17+ bytes).
ASCII = st.lists(
    st.one_of(
        st.sampled_from(["a", "ab_9", "abcdefgh", "abcdefghi", "x" * 16, "y" * 17, "z" * 40, " ", "\x1c", ".", "!!"]),
        st.text(st.characters(max_codepoint=127), max_size=6),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(TEXTS, ASCII), min_size=1, max_size=12))
def test_tokens_are_python_tokens(texts):
    lower = [t.lower() for t in texts]
    found = tokenize(pl.Series(lower, dtype=pl.Utf8))
    expected = [(i, m) for i, text in enumerate(lower) for m in re.finditer(r"\w+|[^\w\s]", text)]
    assert found.row.tolist() == [i for i, _ in expected]
    assert found.ascii.tolist() == [text.isascii() for text in lower]
    assert found.start.tolist() == [m.start() if lower[i].isascii() else -1 for i, m in expected]
    assert found.length.tolist() == [len(m.group().encode()) for _, m in expected]
    # equal ids exactly for equal tokens, across ASCII and other texts alike
    by_id: dict[int, str] = {}
    for token_id, (_, m) in zip(found.id.tolist(), expected):
        assert by_id.setdefault(token_id, m.group()) == m.group()
    assert len(by_id) == len({m.group() for _, m in expected})


def test_token_ids_tell_long_tokens_apart():
    words = ["a" * k for k in range(1, 70)] + ["ab" * 20 + c for c in "xyz"] + ["x" * 8 + "y", "x" * 9, "y" + "x" * 8]
    data = np.frombuffer("".join(words).encode() + bytes(8), dtype=np.uint8)
    lengths = np.array([len(w) for w in words])
    ids = token_ids(data, np.cumsum(lengths) - lengths, lengths)
    assert len(set(ids.tolist())) == len(words)
    assert ngrams.gram_table(pl.Series([], dtype=pl.Utf8)).height == 0
    assert ngrams.gram_table(pl.Series(["", None, "a b c d"], dtype=pl.Utf8))["row"].to_list() == [2]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from([WEBSHOP, WEBSHOP_ITEM, ALFWORLD, SOKOBAN_RAGEN]), st.one_of(TEXTS, ACTED)),
        min_size=1,
        max_size=10,
    )
)
def test_skipping_admissible_actions_changes_no_finding(rows):
    frame = rollouts(rows)
    fast = invalid_action.InvalidAction().detect(frame)
    with pytest.MonkeyPatch.context() as patch:
        undecided = pl.DataFrame(
            schema={"decided": pl.Boolean, "evidence": pl.Utf8, "span_start": pl.Int64, "span_end": pl.Int64}
        )
        patch.setattr(
            invalid_action,
            "quick_verdicts",
            lambda view: undecided.extend(
                pl.DataFrame({"decided": [False] * view.height})
                .with_columns(evidence=None, span_start=None, span_end=None)
                .cast(undecided.schema)
            ),
        )
        assert fast.equals(invalid_action.InvalidAction().detect(frame))


def test_quick_verdicts_take_the_common_cases():
    rows = [
        (WEBSHOP, "<think>ok</think><action> Click[Next >]. </action>"),  # listed
        (WEBSHOP, "<action>search[blue shirt]</action>"),  # fills search[<your query>]
        (WEBSHOP, "<action>click[buy]</action>"),  # not admissible
        (WEBSHOP, "<action>search[]</action>"),  # fills nothing: inadmissible
        (WEBSHOP, "<action>up || down</action>"),  # several actions: left to Python
        (WEBSHOP, "no tag"),  # left to Python
    ]
    view = invalid_action.policy_view(rollouts(rows)).with_columns(
        _context=invalid_action.action_tag_expr(pl.col("prompt"))
    )
    verdicts = action_match.quick_verdicts(view)
    assert verdicts["decided"].to_list() == [True, True, True, True, False, False]
    assert verdicts["evidence"].to_list()[2:4] == [
        "'click[buy]' is not an admissible action",
        "'search[]' is not an admissible action",
    ]
    assert rows[2][1][verdicts["span_start"][2] : verdicts["span_end"][2]] == "click[buy]"


SENTENCE_PIECES = st.sampled_from(["the same long sentence", "the", "same", " ", "\n", "\t ", "\x1c", ".", "sentence"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(SENTENCE_PIECES, min_size=1, max_size=5).map(" ".join).map(lambda s: " ".join(s.split()) or "x"),
    st.lists(SENTENCE_PIECES, max_size=30).map("".join),
)
def test_second_occurrence_is_the_regex_one(sentence, text):
    assert _second_occurrence(sentence, text, len(text) - 1) == ref.second_occurrence(sentence, text, len(text) - 1)
