"""Real rollouts from ``../shared/external`` are flagged for what they show, and only for that.

* ``ragen_cases/reward_hacking.txt``: RAGEN's console line ``[WARNING] HACKED RESPONSES: [...]``
  holding one Sokoban output that writes the environment's feedback (``reward: -0.7``,
  ``done: True``) and ends in 27 × ``<|endoftext|>``.
* ``ragen_cases/suck_moment.txt``: a Qwen chat transcript of one Sokoban episode; ``assistant``
  parts are the policy's turns, the other parts the environment's. Malformed tags (``</th>``,
  ``<suck>``), no ``<answer>`` in any turn (the environment answers "Action is invalid" each time),
  near-identical reasoning across turns.
* ``verl_rollout_dump_zyqiu6/1.jsonl``: a real verl rollout dump of GSM8K (read with ``read_run``):
  healthy single-turn math, the check against false positives.
"""

from __future__ import annotations

import ast
import re

import detector_reference as ref
import polars as pl
import pytest

from entropy_lens.detectors import scan
from entropy_lens.detectors.base import PATTERNS
from entropy_lens.detectors.loop_measures import LOOP_COLUMNS, with_loops
from entropy_lens.detectors.ngrams import seq_rep
from entropy_lens.detectors.companions import compression_ratio
from entropy_lens.detectors.sentences import sentence_stats
from entropy_lens.detectors.view import policy_view
from entropy_lens.readers import read_run
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform


def flagged(result, sample_id: str) -> dict[str, str | None]:
    rows = result.findings.filter(pl.col("flagged") & (pl.col("sample_id") == sample_id))
    return dict(zip(rows["detector"].to_list(), rows["evidence"].to_list()))


@pytest.fixture(scope="module")
def reward_hacking(external) -> str:
    log = (external / "ragen_cases" / "reward_hacking.txt").read_text(encoding="utf-8")
    marker = "HACKED RESPONSES: "
    return ast.literal_eval(log[log.index(marker) + len(marker) :].strip())[0]


@pytest.fixture(scope="module")
def suck_moment(external) -> pl.DataFrame:
    """One row per assistant turn; its prompt is the transcript before it (what the policy saw)."""
    text = (external / "ragen_cases" / "suck_moment.txt").read_text(encoding="utf-8")
    parts = re.split(r"<\|im_start\|>assistant\n", text)
    rows = [
        {
            "step": 0,
            "split": "val",
            "sample_id": f"suck/{k}",
            "traj_id": "suck",
            "group_id": f"turn{k}",
            "turn": k,
            "prompt": "<|im_start|>assistant\n".join(parts[: k + 1]),
            "response": part.split("<|im_end|>")[0],
        }
        for k, part in enumerate(parts[1:])
    ]
    return conform(pl.DataFrame(rows), ROLLOUTS_SCHEMA)


def test_reward_hacking_is_fabricated_feedback_and_a_token_run(reward_hacking):
    frame = conform(pl.DataFrame({"sample_id": ["hack"], "response": [reward_hacking], "turn": [0]}), ROLLOUTS_SCHEMA)
    result = scan(frame)
    found = flagged(result, "hack")
    assert found["fabricated_observation"] == "reward line: 'reward: -0.7'"
    assert found["char_run"] == "'<|endoftext|>' × 27"
    assert found["hallucination"].startswith("fabricated_observation:")
    spans = result.findings.filter(pl.col("detector").is_in(["fabricated_observation", "char_run"])).sort("detector")
    texts = [reward_hacking[a:b] for a, b in zip(spans["span_start"], spans["span_end"])]
    assert texts == ["<|endoftext|>" * 27, "reward: -0.7"]
    score = result.findings.filter(pl.col("detector") == "fabricated_observation")["score"][0]
    assert score == 2.0  # "reward: -0.7" and "done: True"
    assert {"sentence_dup", "invalid_action", "unsupported_claim", "contradictory_rambling"}.isdisjoint(found)


def test_suck_moment_repeats_invalid_actions_with_malformed_tags(suck_moment):
    assert suck_moment.height == 4
    assert all("Action is invalid" in p for p in suck_moment["prompt"][1:])  # the environment said so
    result = scan(suck_moment)
    assert result.environments == {"sokoban": 4}
    for k in range(4):
        found = flagged(result, f"suck/{k}")
        assert found["invalid_action"] == "no <answer>…</answer>; unexpected tags </th>, <suck>"
        assert "fabricated_observation" not in found and "sentence_dup" not in found
    assert result.per_step["invalid_action"][0] == 1.0 and result.per_step["hallucination"][0] == 1.0


def test_suck_moment_echoes_earlier_turns(suck_moment):
    # turn echo = mean over turns 1–3 of the share of their 4-gram occurrences already written in an
    # earlier turn; the float64 reference below recomputes it from the tokens
    result = scan(suck_moment)
    tokens = [re.findall(r"\w+|[^\w\s]", t.lower()) for t in suck_moment["response"]]
    grams = [[tuple(t[i : i + 4]) for i in range(len(t) - 3)] for t in tokens]
    shares = [sum(g in set().union(*map(set, grams[:k])) for g in grams[k]) / len(grams[k]) for k in (1, 2, 3)]
    assert result.per_step["turn_echo"][0] == pytest.approx(sum(shares) / 3)
    assert shares[1] > 0.35  # turn 2 restates turn 1's "move all boxes with target orientations" plan


@pytest.fixture(scope="module")
def gsm8k(external):
    return read_run(external / "verl_rollout_dump_zyqiu6" / "1.jsonl")


def test_gsm8k_dump_has_few_or_no_pattern_flags(gsm8k):
    result = scan(gsm8k.rollouts)
    assert result.environments == {"generic": 128} and result.per_step["n"].to_list() == [128]
    rates = result.per_step.select(PATTERNS).row(0, named=True)
    assert set(result.onsets) == set(PATTERNS)
    assert rates["hallucination"] == 0.0 and rates["char_run"] == 0.0 and rates["paper_hallucination"] == 0.0
    # one list repeats "time available: 30 minutes." three times
    assert max(rate for name, rate in rates.items() if name != "local_loop") <= 2 / 128
    # SEAL's local_loop counts LaTeX markup: "\, \text{" 5-grams written 12-19 times in 6 answers
    assert rates["local_loop"] == 6 / 128  # under the 5 % an onset needs
    assert all(v is None for v in result.onsets.values())
    loops = result.findings.filter((pl.col("detector") == "local_loop") & pl.col("flagged"))["evidence"]
    assert sorted(loops.to_list()) == sorted(f"a 5-gram ×{k}" for k in (12, 12, 13, 14, 19, 19))


def test_gsm8k_measures_match_the_references_output_by_output(gsm8k):
    view = policy_view(gsm8k.rollouts)
    texts = view["response"].to_list()
    assert view["_policy"].to_list() == texts  # single-turn dump: everything is the policy's
    stats = sentence_stats(view["_lower"])
    assert stats["sentence_dup_rate"].to_list() == [ref.sentence_dup_rate(t)[0] for t in texts]
    assert seq_rep(view["_lower"]).to_list() == pytest.approx([ref.seq_rep(t) for t in texts], abs=1e-12)
    assert compression_ratio(texts) == [ref.compression_ratio(t) for t in texts]
    loops = with_loops(view)
    expected = [ref.loop_stats(t) for t in texts]
    for column in LOOP_COLUMNS:
        assert loops[f"_{column}"].to_list() == pytest.approx([e[column] for e in expected], abs=1e-12), column
