"""Packing without padding: rows, the document mask, and packed == padded == float64 naive."""

import numpy as np
import pytest
import torch
from test_recompute_scoring import naive

from entropy_lens.recompute.encoding import Encoded
from entropy_lens.recompute.packing import document_mask, pack, pack_rows
from entropy_lens.recompute.scoring import PACKING_DEFAULT, score

transformers = pytest.importorskip("transformers")


def test_rows_hold_every_index_once_within_capacity():
    lengths = [30, 500, 12, 480, 250, 251, 90, 1200, 7]
    rows = pack_rows(lengths, capacity=1024)
    assert sorted(i for row in rows for i in row) == list(range(len(lengths)))
    assert rows[0] == [7]  # 1200 tokens: over capacity, a row of its own
    for row in rows[1:]:
        assert sum(lengths[i] for i in row) <= 1024
    # first-fit decreasing: 500+480 leave 44, taken by 30 and 12; 7 no longer fits there
    assert rows[1:] == [[1, 3, 0, 2], [5, 4, 6, 8]]


def test_pack_restarts_positions_per_document():
    rows = pack([[5, 6, 7], [8, 9], [1, 2, 3, 4]], [np.array([0, 1, 1]), np.array([0, 1]), np.zeros(4)], 5, pad_id=0)
    # [1,2,3,4] alone (4 + 3 > 5); [5,6,7] + [8,9] share the second row
    assert rows.input_ids.tolist() == [[1, 2, 3, 4, 0], [5, 6, 7, 8, 9]]
    assert rows.position_ids.tolist() == [[0, 1, 2, 3, 0], [0, 1, 2, 0, 1]]
    assert rows.documents.tolist() == [[2, 2, 2, 2, -1], [0, 0, 0, 1, 1]]
    assert rows.policy.tolist() == [[False] * 5, [False, True, True, False, True]]
    assert rows.starts == [(1, 0), (1, 3), (0, 0)]


def test_document_mask_is_block_diagonal_causal():
    documents = torch.tensor([[0, 0, 1, 1, -1]])
    allowed = document_mask(documents, "sdpa", torch.float32)[0, 0].int().tolist()
    assert allowed == [
        [1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],  # document 1 starts: it sees nothing of document 0
        [0, 0, 1, 1, 0],
        [0, 0, 0, 0, 1],  # padding sees only itself (finite softmax, never read)
    ]
    additive = document_mask(documents, "eager", torch.float32)[0, 0]
    assert (additive == 0).int().tolist() == allowed and additive.min() == torch.finfo(torch.float32).min


def tiny(family: str, implementation: str):
    torch.manual_seed(0)
    sizes = dict(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    config_class, model_class = {
        "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM),
        "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM),
    }[family]
    return model_class(config_class(**sizes, attn_implementation=implementation)).eval()


def uneven(seed: int, count: int = 11) -> list[Encoded]:
    """Prompts 1–70 tokens, outputs 4–30; odd ones have an environment block inside the output."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(count):
        prompt, response = int(rng.integers(1, 70)), int(rng.integers(4, 30))
        cut = prompt + response // 3
        spans = ((prompt, cut), (cut + 2, prompt + response)) if k % 2 else ((prompt, prompt + response),)
        items.append(Encoded(f"s{k}", rng.integers(3, 97, prompt + response).tolist(), spans))
    return items


@pytest.mark.parametrize("implementation", ["sdpa", "eager"])
@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_packed_equals_padded_and_float64_naive(family, implementation):
    model = tiny(family, implementation)
    items = uneven(seed=len(family))
    # a 64-token budget: the longest sequences (up to 99 tokens) fit no row and sit alone
    assert max(len(i.input_ids) for i in items) > 64
    runs = {
        mode: {s.sample_id: s for s in score(model, items, token_budget=64, chunk_size=5, layers=(-1, 1), packing=mode)}
        for mode in ("packed", "padded")
    }
    for item in items:
        packed, padded = runs["packed"][item.sample_id], runs["padded"][item.sample_id]
        at = np.flatnonzero(item.policy_mask())
        ref_entropy, ref_logp = naive(model, item)
        np.testing.assert_allclose(packed.entropy[at], ref_entropy[at - 1], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(packed.logprob[at], ref_logp[at - 1], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(packed.entropy, padded.entropy, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(packed.logprob, padded.logprob, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(packed.pooled, padded.pooled, rtol=1e-5, atol=1e-5)
        assert packed.pooled.shape == (2, 32) and (packed.is_policy == item.policy_mask()).all()


def test_packing_shares_rows():
    """The packed run really packs: fewer forward rows than sequences (counted at the model body)."""
    model, items, seen = tiny("llama", "sdpa"), uneven(seed=3), []
    hook = model.model.register_forward_hook(lambda module, args, out: seen.append(out.last_hidden_state.shape))
    list(score(model, items, token_budget=128, packing="packed"))
    hook.remove()
    assert sum(rows for rows, _, _ in seen) < len(items)
    assert sum(rows * width for rows, width, _ in seen) < sum(len(i.input_ids) for i in items) * 1.3
    # under a dense sdpa mask a row stops at the longest sequence (attention costs row length²)
    assert max(width for _, width, _ in seen) == max(len(i.input_ids) for i in items)


def test_position_ids_alone_attend_across_documents():
    """Why the mask is passed (docs/recompute.md "Packing"): in this transformers, restarting position
    ids without a mask lets the second document see the first."""
    model = tiny("llama", "sdpa")
    first, second = torch.randint(3, 97, (1, 10)), torch.randint(3, 97, (1, 7))
    row = torch.cat([first, second], dim=1)
    positions = torch.cat([torch.arange(10), torch.arange(7)]).unsqueeze(0)
    documents = torch.tensor([[0] * 10 + [1] * 7])
    with torch.no_grad():
        alone = model.model(input_ids=second).last_hidden_state
        leaked = model.model(input_ids=row, position_ids=positions).last_hidden_state[:, 10:]
        masked = model.model(
            input_ids=row, position_ids=positions, attention_mask=document_mask(documents, "sdpa", torch.float32)
        ).last_hidden_state[:, 10:]
    assert (leaked - alone).abs().max() > 0.1
    torch.testing.assert_close(masked, alone, rtol=1e-5, atol=1e-5)


def test_auto_is_the_documented_per_device_default():
    assert PACKING_DEFAULT == {"cpu": "padded", "cuda": "padded"}
    with pytest.raises(ValueError, match="packing must be"):
        list(score(tiny("llama", "sdpa"), uneven(seed=1, count=1), packing="tight"))


def test_row_capacity_per_attention_implementation():
    """flex_attention's block-sparse mask skips masked tiles: rows fill the whole budget."""
    from entropy_lens.recompute.scoring import _row_tokens

    assert _row_tokens(tiny("llama", "flex_attention"), [10, 99], 4096) == 4096
    assert _row_tokens(tiny("llama", "sdpa"), [10, 99], 4096) == 99
    assert _row_tokens(tiny("llama", "sdpa"), [10, 99], 64) == 64
