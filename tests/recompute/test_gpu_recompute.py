"""Out-of-memory back-off (simulated on CPU, real on CUDA) and CUDA numbers against float64.

The ``gpu`` tests skip without CUDA (tests/conftest.py); ``bench/gpu_check.sh`` runs them.
"""

import numpy as np
import pytest
import torch
from test_packing import tiny, uneven
from test_recompute_scoring import naive

from entropy_lens.recompute import scoring
from entropy_lens.recompute.encoding import Encoded
from entropy_lens.recompute.scoring import score

transformers = pytest.importorskip("transformers")
BF16_NATS = 0.05  #: bf16 activations (8-bit mantissa) through 2 layers: entropies agree to a few 1e-2 nats


def by_id(scored):
    return {s.sample_id: s for s in scored}


def assert_same(got, want, tolerance):
    assert set(got) == set(want)
    for key, item in want.items():
        for field in ("entropy", "logprob", "pooled"):
            np.testing.assert_allclose(getattr(got[key], field), getattr(item, field), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("packing", ["packed", "padded"])
def test_out_of_memory_splits_the_pass_and_gives_the_same_scores(monkeypatch, packing):
    model, items = tiny("qwen2", "sdpa"), uneven(seed=5)
    want = by_id(score(model, items, token_budget=4096, layers=(-1, 1), packing=packing))
    real_batch, sizes = scoring._score_batch, []

    def tight_memory(model, batch, settings):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.OutOfMemoryError("simulated: CUDA out of memory")
        return real_batch(model, batch, settings)

    monkeypatch.setattr(scoring, "_score_batch", tight_memory)
    got = by_id(score(model, items, token_budget=4096, layers=(-1, 1), packing=packing))
    # 11 sequences in one pass: it fails, then 5 fails, then 2 succeeds; 11 → 5 + 6 → (2 + 3) + (3 + 3), each 3 → 1 + 2
    assert sizes[:3] == [len(items), len(items) // 2, 2] and sizes.count(1) == 3
    assert_same(got, want, 1e-5)


def test_out_of_memory_on_one_sequence_is_raised(monkeypatch):
    def no_memory(model, batch, settings):
        raise torch.OutOfMemoryError("simulated")

    monkeypatch.setattr(scoring, "_score_batch", no_memory)
    with pytest.raises(torch.OutOfMemoryError):
        list(score(tiny("llama", "sdpa"), uneven(seed=1, count=3)))


def cuda_copy(model, implementation="sdpa"):
    copy = type(model)(model.config).eval()
    copy.load_state_dict(model.state_dict())
    copy.set_attn_implementation(implementation)
    return copy.to("cuda", torch.bfloat16)


@pytest.mark.gpu
@pytest.mark.parametrize("packing", ["packed", "padded"])
def test_cuda_bf16_equals_cpu_float64_reference(packing):
    model, items = tiny("qwen2", "sdpa"), uneven(seed=7, count=16)
    gpu = cuda_copy(model, "flex_attention" if packing == "packed" else "sdpa")
    got = by_id(score(gpu, items, token_budget=256, packing=packing))
    for item in items:
        at = np.flatnonzero(item.policy_mask())
        ref_entropy, ref_logp = naive(model, item)
        np.testing.assert_allclose(got[item.sample_id].entropy[at], ref_entropy[at - 1], atol=BF16_NATS, rtol=0)
        np.testing.assert_allclose(got[item.sample_id].logprob[at], ref_logp[at - 1], atol=BF16_NATS, rtol=0)


@pytest.mark.gpu
@pytest.mark.parametrize("implementation", ["flex_attention", "sdpa"])
def test_cuda_packed_equals_padded(implementation):
    model, items = tiny("llama", "sdpa"), uneven(seed=8, count=16)
    padded = by_id(score(cuda_copy(model), items, token_budget=256, layers=(-1, 1), packing="padded"))
    packed = by_id(score(cuda_copy(model, implementation), items, token_budget=256, layers=(-1, 1), packing="packed"))
    assert_same(packed, padded, BF16_NATS)


@pytest.mark.gpu
def test_cuda_compiled_head_equals_eager():
    model, items = tiny("llama", "sdpa"), uneven(seed=9, count=8)
    gpu = cuda_copy(model)
    eager = by_id(score(gpu, items, packing="padded"))
    assert_same(by_id(score(gpu, items, packing="padded", compiled_head=True)), eager, 1e-2)


@pytest.mark.gpu
def test_real_cuda_out_of_memory_backs_off(monkeypatch):
    """Eager attention holds [B, heads, T, T] scores: 16 × 2048-token sequences need ~0.5 GiB at once;
    with 256 MiB free the pass fails, splits, and scores the same as one sequence per pass."""
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096)
    model = cuda_copy(transformers.LlamaForCausalLM(config).eval(), "eager")
    rng = np.random.default_rng(0)
    items = [Encoded(f"s{k}", rng.integers(3, 1000, 2048).tolist(), ((2000, 2048),)) for k in range(16)]
    want = by_id(score(model, items, token_budget=2048, packing="padded"))
    real_batch, sizes = scoring._score_batch, []
    monkeypatch.setattr(scoring, "_score_batch", lambda *a: sizes.append(len(a[1])) or real_batch(*a))
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction((torch.cuda.memory_reserved() + 2**28) / total)
    try:
        got = by_id(score(model, items, token_budget=16 * 2048, packing="padded"))
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    assert sizes[0] == 16 and len(sizes) > 1  # the whole pass failed and was split
    assert_same(got, want, BF16_NATS)
