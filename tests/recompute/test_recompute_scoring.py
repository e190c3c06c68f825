"""Batched, padded, policy-only scoring equals the naive per-sequence float64 computation."""

import numpy as np
import pytest
import torch

from entropy_lens.recompute.encoding import Encoded
from entropy_lens.recompute.scoring import score

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
    )
    return transformers.LlamaForCausalLM(config).eval().float()


def naive(model, item):
    """Full logits for one unpadded sequence, float64 softmax; entropy/logprob of each token p."""
    with torch.no_grad():
        logits = model(torch.tensor([item.input_ids])).logits[0].double()
    logp = torch.log_softmax(logits, dim=-1)
    entropy = -(logp.exp() * logp).sum(-1)
    ids = torch.tensor(item.input_ids)
    token_logp = logp[:-1].gather(1, ids[1:, None]).squeeze(1)
    return entropy[:-1].numpy(), token_logp.numpy()  # index p-1 → token p


def test_matches_naive_per_sequence(tiny_model):
    rng = np.random.default_rng(0)
    items = []
    for k in range(9):
        prompt, response = int(rng.integers(1, 40)), int(rng.integers(4, 25))
        ids = rng.integers(3, 97, prompt + response).tolist()
        # every other output is multi-turn: an environment block in the middle is not policy
        cut = prompt + response // 3
        spans = ((prompt, cut), (cut + 2, prompt + response)) if k % 2 else ((prompt, prompt + response),)
        items.append(Encoded(f"s{k}", ids, spans))
    results = {r.sample_id: r for r in score(tiny_model, items, token_budget=120, chunk_size=7, layers=(-1, 1))}
    assert set(results) == {i.sample_id for i in items}
    for item in items:
        got = results[item.sample_id]
        ref_entropy, ref_logp = naive(tiny_model, item)
        mask = item.policy_mask()
        assert (got.is_policy == mask).all() and mask.sum() < len(mask)
        assert np.isnan(got.entropy[~mask]).all() and np.isnan(got.logprob[~mask]).all()
        at = np.flatnonzero(mask)
        np.testing.assert_allclose(got.entropy[at], ref_entropy[at - 1], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got.logprob[at], ref_logp[at - 1], rtol=1e-4, atol=1e-5)
        assert got.pooled.shape == (2, 32) and np.isfinite(got.pooled).all()


def test_pooled_last_layer_is_mean_over_policy_positions_only(tiny_model):
    """Environment tokens inside the output (positions 15-16) are not pooled."""
    item = Encoded("a", list(range(5, 25)), ((12, 15), (17, 20)))
    (got,) = list(score(tiny_model, [item]))
    with torch.no_grad():
        hidden = tiny_model.model(torch.tensor([item.input_ids])).last_hidden_state[0].double()
    expected = torch.cat([hidden[12:15], hidden[17:20]]).mean(0).numpy()
    np.testing.assert_allclose(got.pooled[0], expected, rtol=1e-5, atol=1e-6)
