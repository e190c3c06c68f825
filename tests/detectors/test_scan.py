"""``scan``: the findings and per-step contracts, splits, onsets, batching and group signals."""

from __future__ import annotations

import json

import polars as pl
import pytest
from agent_prompts import ALFWORLD, GSM8K
from detectors import detector_reference as ref

from entropy_lens.detectors import DETECTOR_NAMES, scan
from entropy_lens.detectors.base import COMPANION_FLAGS, NUMERIC, PATTERNS
from entropy_lens.detectors.groups import GROUP_SIGNALS
from entropy_lens.detectors.scan import LONG_SCHEMA
from entropy_lens.outputs import dumps
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

CLEAN = "<think>Go to the fridge to cool the apple.</think><action>go to fridge 1</action>"
RUN = "<think>Hmm" + "!" * 30 + "</think><action>look</action>"


def rollouts(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, schema_overrides={"turn": pl.Int64}), ROLLOUTS_SCHEMA)


def row(step: int, response: str, *, split: str = "train", group: str | None = None, i: int = 0, **extra) -> dict:
    return {
        "step": step,
        "split": split,
        "sample_id": f"{split}/{step}/{group}/{i}",
        "group_id": group,
        "prompt": ALFWORLD,
        "response": response,
        "turn": 0,
        **extra,
    }


@pytest.fixture(scope="module")
def small():
    # step 1 train: 1 of 4 outputs has a char run; step 1 val: 2 of 2; step 2 train: none
    rows = [row(1, RUN if i == 0 else CLEAN, group="g1", i=i) for i in range(4)]
    rows += [row(1, RUN, split="val", group="v1", i=i) for i in range(2)]
    rows += [row(2, CLEAN + f" Option {i} considered.", group="g2", i=i) for i in range(3)]
    return scan(rollouts(rows))


def test_findings_contract(small):
    assert small.findings.schema == pl.Schema(LONG_SCHEMA)
    # one row per flag, and every output's numeric companions whether flagged or not
    per_detector = dict(small.findings.group_by("detector").len().iter_rows())
    assert all(per_detector[name] == 9 for name in NUMERIC)
    assert small.findings.filter(~pl.col("detector").is_in(NUMERIC))["flagged"].all()
    assert small.detectors == list(DETECTOR_NAMES)
    flagged = small.findings.filter(pl.col("flagged") & (pl.col("detector") == "char_run"))
    assert sorted(flagged["sample_id"].to_list()) == ["train/1/g1/0", "val/1/v1/0", "val/1/v1/1"]
    assert flagged["evidence"].to_list() == ["'!' × 30"] * 3
    assert flagged["span_start"].to_list() == [10] * 3 and flagged["span_end"].to_list() == [40] * 3


def test_per_step_rates_keep_train_and_val_apart(small):
    table = small.per_step
    assert table.columns == [
        "step",
        "split",
        "n",
        *DETECTOR_NAMES,
        *(f"{name}_flag" for name in COMPANION_FLAGS),
        *GROUP_SIGNALS,
    ]
    by_key = {(r["split"], r["step"]): r for r in table.to_dicts()}
    assert set(by_key) == {("train", 1), ("train", 2), ("val", 1)}
    assert by_key[("train", 1)]["n"] == 4 and by_key[("train", 1)]["char_run"] == 0.25
    assert by_key[("val", 1)]["char_run"] == 1.0 and by_key[("train", 2)]["char_run"] == 0.0
    assert by_key[("train", 1)]["invalid_action"] == 0.0


def test_companions_per_step_are_means_and_their_flags_shares():
    # DESIGN §2: a companion's key is the mean of its per-output values; its flag share is <name>_flag
    looping = "<think>" + "go to the fridge now. " * 12 + "</think><action>look</action>"
    texts = [looping, CLEAN, CLEAN + " Then look.", RUN]
    result = scan(rollouts([row(1, t, group="g", i=i) for i, t in enumerate(texts)]))
    step = result.per_step.to_dicts()[0]
    assert step["sentence_dup_rate"] == pytest.approx(sum(ref.sentence_dup_rate(t)[0] for t in texts) / 4)
    assert step["seq_rep_4"] == pytest.approx(sum(ref.seq_rep(t) for t in texts) / 4)
    assert step["compression_ratio"] == pytest.approx(sum(ref.compression_ratio(t) for t in texts) / 4)
    assert step["seq_rep_4_flag"] == 0.5 and step["sentence_dup"] == 0.25  # looping, RUN ("!" × 30); looping
    assert "sentence_dup_rate_flag" not in step  # its flag is the sentence_dup pattern
    assert not any(key.endswith("_mean") for key in step)


def test_to_dict_is_the_json_contract(small):
    payload = json.loads(dumps(small.to_dict()))
    assert payload["n_outputs"] == 9 and payload["detectors"] == list(DETECTOR_NAMES)
    assert payload["onsets_split"] == "train" and set(payload["onsets"]) == set(PATTERNS)
    assert payload["onsets_by_split"]["val"]["char_run"] == 1
    assert payload["flagged"]["char_run"] == 3 and payload["environments"] == {"alfworld": 9}
    first = payload["per_step"][0]
    assert {"step", "split", "n", *DETECTOR_NAMES} <= set(first)


def test_onsets_need_the_rate_to_hold():
    # char runs in 1 of 2 outputs from step 6 on; a lone blip at step 2 (rates 0.5, then 0, 0) does not count
    rows = [
        row(s, RUN if (s >= 6 or s == 2) and i == 0 else CLEAN, group=f"g{s}", i=i)
        for s in range(1, 11)
        for i in range(2)
    ]
    result = scan(rollouts(rows))
    assert result.per_step.filter(pl.col("step") == 2)["char_run"][0] == 0.5
    assert result.onsets["char_run"] == 6
    assert result.onsets["fabricated_observation"] is None


def test_batches_of_whole_steps_give_the_same_result():
    rows = [
        row(s, RUN if (s + i) % 3 == 0 else CLEAN + f" Step {s} try {i}.", group=f"g{s}", i=i)
        for s in range(6)
        for i in range(5)
    ]
    whole, batched = scan(rollouts(rows)), scan(rollouts(rows), batch_rows=7)
    key = ["sample_id", "detector"]
    assert whole.findings.sort(key).equals(batched.findings.sort(key))
    assert whole.per_step.equals(batched.per_step)


def test_subset_of_detectors_unknown_names_and_empty_input():
    result = scan(rollouts([row(1, RUN)]), detectors=["hallucination", "char_run"])
    assert result.per_step.columns[3:5] == ["hallucination", "char_run"]
    assert result.findings["detector"].to_list() == ["char_run"]  # the only flag
    with pytest.raises(ValueError, match="unknown detector"):
        scan(rollouts([row(1, RUN)]), detectors=["vibes"])
    empty = scan(pl.DataFrame())
    assert empty.per_step.is_empty() and empty.findings.is_empty()
    assert empty.to_dict()["n_outputs"] == 0 and empty.onsets == dict.fromkeys(PATTERNS)


def test_env_override():
    frame = rollouts([{**row(1, "The answer is 4.\n#### 4"), "prompt": GSM8K}])
    assert scan(frame).per_step["invalid_action"][0] == 0.0  # generic: no action grammar
    forced = scan(frame, env="alfworld")
    assert forced.per_step["invalid_action"][0] == 1.0 and forced.environments == {"alfworld": 1}


def test_group_signals():
    same = "<think>I will open the fridge and put the apple inside it now.</think><action>open fridge 1</action>"
    words = ["alpha beta gamma delta", "epsilon zeta eta theta", "iota kappa lambda mu", "nu xi omicron pi"]
    rows = [row(1, same, group="copies", i=i) for i in range(4)]
    rows += [row(1, w, group="distinct", i=i) for i, w in enumerate(words)]
    rows += [row(1, same, group="alone")]  # a group of one is not a group
    table = scan(rollouts(rows)).per_step.to_dicts()[0]
    # copies: U = u = Σu/4 → D = 0; distinct: 1 4-gram each, none shared → D = (4 − 1) / (4 − 1) = 1
    assert table["n_groups"] == 2
    assert table["group_diversity"] == pytest.approx(0.5)
    assert table["near_identical_groups"] == pytest.approx(0.5)


def test_turn_echo():
    # turn 0: a b c d e (4-grams abcd, bcde); turn 1: a b c d x → abcd (written at turn 0), bcdx (new)
    rows = [
        row(1, "a b c d e", traj_id="t", i=0, group="g", turn=0),
        row(1, "a b c d x", traj_id="t", i=1, group="h", turn=1),
    ]
    rows = [{**r, "turn": k} for k, r in enumerate(rows)]
    assert scan(rollouts(rows)).per_step["turn_echo"][0] == pytest.approx(0.5)
