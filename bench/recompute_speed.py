"""Benchmark: recomputing per-token entropy on an agent-shaped rollout mix.

Compares, in one run on the same model and the same sequences:

* **naive** — random order, 8 sequences per padded batch, ``model(...).logits`` at every position,
  then an fp32 ``log_softmax`` and the entropy over the whole [B, T, V] tensor;
* **entropy-lens** — ``recompute.scoring.score``: length-sorted batches by padded-token budget,
  model body only, lm-head and chunked fp32 entropy at policy positions only.

Prints real tokens/s, peak GPU memory, and the fraction of the needed-work roofline
Σ(2·P_body·T + 2·L·H·T²) + 2·H·V·(policy tokens), against a measured bf16 matmul rate.
Models are random-initialised Qwen2.5 shapes (no download). Usage::

    python bench/recompute_speed.py --shapes 0.5B 1.5B --tokens 400000      # on a GPU
    python bench/recompute_speed.py --shapes tiny --tokens 20000 --device cpu --budgets 4096 8192
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from entropy_lens.recompute.encoding import Encoded
from entropy_lens.recompute.scoring import score

#: Qwen2.5 shapes (hidden, layers, heads, kv heads, intermediate, vocab, tied embeddings)
SHAPES = {
    "tiny": (64, 2, 4, 2, 128, 4096, True),
    "0.5B": (896, 24, 14, 2, 4864, 151936, True),
    "1.5B": (1536, 28, 12, 2, 8960, 151936, True),
    "7B": (3584, 28, 28, 4, 18944, 152064, False),
}


def build_model(shape: str, device: str):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    hidden, layers, heads, kv, inter, vocab, tied = SHAPES[shape]
    config = Qwen2Config(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=kv, intermediate_size=inter, vocab_size=vocab,
        tie_word_embeddings=tied, max_position_embeddings=8192, attn_implementation="sdpa",
    )
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = Qwen2ForCausalLM(config).eval()
    finally:
        torch.set_default_dtype(previous)
    return model, config


def agent_mix(total_tokens: int, vocab: int, seed: int, prompt=(500, 4000), response=(30, 500)) -> list[Encoded]:
    """Uneven agent rollouts: long prompts/observations, short policy outputs (~10% policy tokens)."""
    rng = np.random.default_rng(seed)
    items, count = [], 0
    while count < total_tokens:
        p, r = int(rng.integers(*prompt)), int(rng.integers(*response))
        items.append(Encoded(f"s{len(items)}", rng.integers(10, vocab, p + r).tolist(), ((p, p + r),)))
        count += p + r
    return items


def body_params(model) -> int:
    skip = {id(model.get_input_embeddings().weight), id(model.get_output_embeddings().weight)}
    return sum(p.numel() for p in model.parameters() if id(p) not in skip)


def needed_flops(model, config, items) -> float:
    p_body = body_params(model)
    hidden, layers, vocab = config.hidden_size, config.num_hidden_layers, config.vocab_size
    total = 0.0
    for item in items:
        t = len(item.input_ids)
        total += 2 * p_body * t + 2 * layers * hidden * t * t + 2 * hidden * vocab * int(item.policy_mask().sum())
    return total


def naive_entropy(model, items, batch_size=8, seed=0):
    order = np.random.default_rng(seed).permutation(len(items))
    device = next(model.parameters()).device
    out = {}
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = [items[i] for i in order[start : start + batch_size]]
            longest = max(len(b.input_ids) for b in batch)
            ids = torch.zeros(len(batch), longest, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, b in enumerate(batch):
                ids[row, : len(b.input_ids)] = torch.tensor(b.input_ids)
                mask[row, : len(b.input_ids)] = 1
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            logp = logits.float().log_softmax(-1)
            entropy = -(logp.exp() * logp).sum(-1)
            for row, b in enumerate(batch):
                out[b.sample_id] = entropy[row, b.policy[0][0] - 1 : len(b.input_ids) - 1].cpu().numpy()
            del logits, logp, entropy
    return out


def timed(fn, device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    result = fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else float("nan")
    return result, seconds, peak


def matmul_rate(device: str) -> float:
    """Measured dense matmul FLOP/s (bf16 8192³ on GPU, fp32 1024³ on CPU)."""
    n, dtype = (8192, torch.bfloat16) if device.startswith("cuda") else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    _, seconds, _ = timed(lambda: [a @ b for _ in range(10)], device)
    return 10 * 2 * n**3 / seconds


def run_shape(shape, tokens, device, budgets, chunk_size, peak_rate):
    model, config = build_model(shape, device)
    items = agent_mix(tokens, config.vocab_size, seed=0)
    real = sum(len(i.input_ids) for i in items)
    policy = sum(int(i.policy_mask().sum()) for i in items)
    need = needed_flops(model, config, items)
    naive_entropy(model, items[:4])  # warm-up (kernels, allocator)
    list(score(model, items[:4], token_budget=budgets[0], chunk_size=chunk_size))
    rows = []
    ref, seconds, peak = timed(lambda: naive_entropy(model, items), device)
    rows.append(("naive", seconds, peak))
    for budget in budgets:
        got, seconds, peak = timed(
            lambda: {s.sample_id: s for s in score(model, items, token_budget=budget, chunk_size=chunk_size)},
            device,
        )
        rows.append((f"el budget {budget // 1024}k", seconds, peak))
    diff = max(float(np.nanmax(np.abs(got[k].entropy[got[k].is_policy] - ref[k]))) for k in ref)
    print(f"\n{shape}: {len(items)} sequences, {real:,} tokens ({policy / real:.1%} policy), max |Δentropy| vs naive {diff:.2e} nats")
    print(f"{'method':<18}{'seconds':>9}{'real tok/s':>12}{'roofline':>10}{'peak GiB':>10}")
    for name, seconds, peak in rows:
        print(f"{name:<18}{seconds:>9.2f}{real / seconds:>12,.0f}{need / seconds / peak_rate:>10.1%}{peak:>10.1f}")
    del model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["0.5B"], choices=list(SHAPES))
    parser.add_argument("--tokens", type=int, default=400_000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--budgets", type=int, nargs="+", default=[32768], help="padded tokens per batch")
    parser.add_argument("--chunk-size", type=int, default=4096)
    args = parser.parse_args()
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    rate = matmul_rate(args.device)
    print(f"device: {name}; torch {torch.__version__}; measured matmul {rate / 1e12:.0f} TFLOP/s")
    for shape in args.shapes:
        run_shape(shape, args.tokens, args.device, args.budgets, args.chunk_size, rate)


if __name__ == "__main__":
    main()
