"""Every constant docs/detectors.md documents, pinned at its boundary: an output just on the flagged
side and one just off it, through the default detectors and through ``scan`` (which computes the
shared measures once, with its own defaults). Changing a constant fails one of these tests."""

from __future__ import annotations

import random
import zlib

import detector_reference as ref
import polars as pl
import pytest
from agent_prompts import WEBSHOP_ITEM
from rollout_rows import rollouts

from entropy_lens.detectors import get_detector, scan
from entropy_lens.detectors.onsets import onset_step


def flags(name: str, texts: list[str], prompt: str | None = None) -> list[bool]:
    """``name``'s flags on ``texts``, from its own ``detect`` and from ``scan``: they must agree."""
    rows = [(prompt, text) for text in texts]
    alone = get_detector(name).detect(rollouts(rows))["flagged"].to_list()
    found = scan(rollouts(rows), detectors=[name]).findings.filter(pl.col("flagged"))
    assert [f"s{i}" in found["sample_id"].to_list() for i in range(len(texts))] == alone
    return alone


def test_sentence_dup_threshold_is_a_quarter_of_sentences_inclusive():
    distinct = [f"Sentence number {i} is unique here." for i in range(22)]
    thrice, twice = "This long sentence is said thrice.", "This long sentence is said twice."
    at = " ".join([twice, twice, *distinct[:6]])  # 2 of 8 kept sentences repeat: 0.25
    below = " ".join([thrice] * 3 + [twice] * 2 + ["Another one said twice here."] * 2 + distinct)  # 7 / 29
    assert ref.sentence_dup_rate(at)[0] == 0.25
    assert ref.sentence_dup_rate(below)[0] == pytest.approx(0.2414, abs=1e-4)
    assert flags("sentence_dup", [at, below]) == [True, False]


def test_sentences_count_from_twenty_characters():
    twenty, nineteen = "this is twenty char.", "this is twenty cha."
    assert (len(twenty), len(nineteen)) == (20, 19)
    texts = [f"{twenty} {twenty}", f"{nineteen} {nineteen}"]
    assert flags("sentence_dup", texts) == [True, False]
    rates = scan(rollouts([(None, t) for t in texts]), detectors=["sentence_dup_rate"]).findings["score"]
    assert rates.to_list() == [1.0, 0.0]
    assert get_detector("sentence_dup_rate").detect(rollouts([(None, t) for t in texts]))["score"].to_list() == [
        1.0,
        0.0,
    ]


def test_char_run_from_24_characters_or_3_special_tokens():
    texts = ["x" + "!" * 24 + "x", "x" + "!" * 23 + "x", "<|endoftext|>" * 3, "<|endoftext|>" * 2]
    assert flags("char_run", texts) == [True, False, True, False]


def _rep_text(unique: int, grams: int) -> str:
    """Tokens ``w0 … w(k−1)`` then ``w0 …`` again: ``grams`` 4-grams of which ``unique`` are
    distinct (k − 3 in the first pass, 3 across the seam, none after)."""
    tokens = [f"w{i}" for i in range(unique)]
    return " ".join(tokens + tokens[: grams - unique + 3])


def test_seq_rep_4_threshold_is_inclusive_at_0_3():
    at, below = _rep_text(700, 1000), _rep_text(701, 1000)
    assert ref.seq_rep(at) == pytest.approx(0.3) and ref.seq_rep(below) == pytest.approx(0.299)
    assert flags("seq_rep_4", [at, below]) == [True, False]


def test_seq_rep_4_needs_20_grams():
    texts = [" ".join(["a"] * 23), " ".join(["a"] * 22)]  # 20 and 19 4-grams, one distinct
    assert flags("seq_rep_4", texts) == [True, False]


def _words(seed: int) -> str:
    """80 words drawn from 30 random ones (seeded): compression ratios around 2.4."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 7))) for _ in range(30)]
    return " ".join(rng.choice(words) for _ in range(80))


def test_compression_ratio_threshold_is_exclusive_at_2_4():
    above, below = _words(136), _words(196)
    assert ref.compression_ratio(above) == pytest.approx(2.4012, abs=1e-4)
    assert ref.compression_ratio(below) == pytest.approx(2.3988, abs=1e-4)
    assert flags("compression_ratio", [above, below]) == [True, False]


def test_compression_ratio_from_200_characters():
    texts = ["!" * 200, "!" * 199]
    assert all(len(t.encode()) / len(zlib.compress(t.encode())) > 2.4 for t in texts)
    assert flags("compression_ratio", texts) == [True, False]


def test_unsupported_claim_needs_two_facts():
    two = "Product details:\n- Color: crimson red\n- Size: xx-large\n<action>click[buy now]</action>"
    one = "Product details:\n- Color: crimson red\n<action>click[buy now]</action>"
    assert flags("unsupported_claim", [two, one], prompt=WEBSHOP_ITEM) == [True, False]


def test_onset_at_five_percent_held_over_three_logged_steps():
    steps = [1, 2, 3, 4, 5]
    assert onset_step(steps, [0.0, 0.05, 0.05, 0.0, 0.0]) == 2  # median of 0.05, 0.05, 0 holds
    assert onset_step(steps, [0.0, 0.049, 0.049, 0.049, 0.049]) is None
    # held by the median of exactly 3 steps (2 or 4 would give 0.025)
    assert onset_step([*steps, 6], [0.0, 0.05, 0.0, 0.05, 0.0, 0.0]) == 2
    assert onset_step(steps, [0.0, 0.05, 0.0, 0.0, 0.0]) is None


def test_near_identical_groups_at_diversity_0_1_inclusive():
    long = " ".join(f"t{i}" for i in range(40))  # 37 distinct 4-grams: the richest member
    at = " ".join(f"t{i}" for i in range(12)) + " new"  # 10 4-grams, 1 new: D = 1 / 10
    above = " ".join(f"t{i}" for i in range(11)) + " new"  # 9 4-grams, 1 new: D = 1 / 9
    rows = [
        {"step": 1, "sample_id": f"{g}{i}", "group_id": g, "response": text}
        for g, pair in (("at", (long, at)), ("above", (long, above)))
        for i, text in enumerate(pair)
    ]
    from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

    table = scan(conform(pl.DataFrame(rows), ROLLOUTS_SCHEMA)).per_step.to_dicts()[0]
    assert ref.group_diversity([long, at]) == pytest.approx(0.1)
    assert table["group_diversity"] == pytest.approx((0.1 + 1 / 9) / 2)
    assert table["near_identical_groups"] == 0.5


def _clause_text(repeats: int, others: int, clause: str = "go to the fridge right now") -> str:
    """A think part of one clause said ``repeats`` times among ``others`` distinct 6-word ones."""
    distinct = [" ".join(f"w{i}{c}" for c in "abcdef") for i in range(others)]
    return "<think>" + ", ".join([clause] * repeats + distinct) + ".</think>"


def test_local_loop_clause_rule_at_3_repeats_and_a_quarter():
    pairs = "put the apple in the fridge, open the door of the fridge, " * 2
    below = _clause_text(3, 22).replace("<think>", "<think>" + pairs)  # 3 + 2 + 2 of 29: 0.2414
    texts = [_clause_text(3, 9), _clause_text(2, 6), below]  # 3/12; ×2 only
    stats = [ref.loop_stats(t) for t in texts]
    assert [(s["max_clause_repeat"], round(s["clause_repeat_ratio"], 4)) for s in stats] == [
        (3, 0.25),
        (2, 0.25),
        (3, 0.2414),
    ]
    assert flags("local_loop", texts) == [True, False, False]
    five_words = _clause_text(3, 9, "go to the fridge now")  # clauses count from 6 words
    assert ref.loop_stats(five_words)["clause_repeat_ratio"] == 0.0 and flags("local_loop", [five_words]) == [False]


def test_local_loop_5gram_rule_at_12_repeats():
    # "a b c d e, x<i> " repeated: 7 tokens a segment, 18 of 84 distinct; clauses "x<i> a b c d e" differ
    texts = ["<think>" + " ".join(f"a b c d e, x{i}" for i in range(k)) + "</think>" for k in (12, 11)]
    stats = [ref.loop_stats(t) for t in texts]
    assert [s["max_5gram_repeat"] for s in stats] == [12, 11]
    assert all(s["unique_token_ratio"] >= 0.18 and s["max_clause_repeat"] == 1 for s in stats)
    assert flags("local_loop", texts) == [True, False]


def _vocabulary(distinct: int, total: int) -> str:
    """A think part of ``total`` tokens drawn in turn from ``distinct`` words, never 5 in the same
    order twice within 12 repeats (a shuffled cycle)."""
    words = [f"w{i}" for i in range(distinct)]
    rng = random.Random(distinct * 1000 + total)
    tokens = []
    while len(tokens) < total:
        rng.shuffle(words)
        tokens += words
    return "<think>" + " ".join(tokens[:total]) + "</think>"


def test_local_loop_unique_rule_below_0_18_over_40_think_tokens():
    texts = [_vocabulary(8, 45), _vocabulary(9, 50), _vocabulary(7, 40)]  # 0.178 / 45; 0.18 / 50; 0.175 / 40
    stats = [ref.loop_stats(t) for t in texts]
    assert [(round(s["unique_token_ratio"], 3), s["think_tokens"]) for s in stats] == [
        (0.178, 45),
        (0.18, 50),
        (0.175, 40),
    ]
    assert all(s["max_5gram_repeat"] < 12 and s["max_clause_repeat"] < 3 for s in stats)
    assert flags("local_loop", texts) == [True, False, False]


def test_ramble_at_180_think_tokens_2_answer_mentions_6_markers():
    texts = [
        "<think>" + "word " * 180 + "</think>",
        "<think>" + "word " * 179 + "</think>",
        "<think>the answer is paris, yes paris.</think><answer>Paris</answer>",
        "<think>the answer is paris.</think><answer>Paris</answer>",
        "<think>so thus hence however therefore but the end</think>",
        "<think>so thus hence however therefore end</think>",
    ]
    assert flags("ramble", texts) == [True, False, True, False, True, False]
