"""Benchmark: recomputing per-token entropy on an agent-shaped rollout mix.

Compares, in one run on the same model and the same sequences:

* **naive** — random order, 8 sequences per padded batch, ``model(...).logits`` at every position,
  then an fp32 ``log_softmax`` and the entropy over the whole [B, T, V] tensor;
* **el padded** — ``recompute.scoring.score(packing="padded")``: length-sorted batches by
  padded-token budget, model body only, lm-head and chunked fp32 entropy at policy positions only;
* **el packed** — the same with ``packing="packed"``: rows without padding, document block mask
  (flex_attention ``BlockMask`` on CUDA, a dense 4-D sdpa mask on CPU);
* optional variants: ``--compiled-head`` (lm-head + entropy chunk under ``torch.compile``),
  ``--compile-body default|reduce-overhead`` (the model body under ``torch.compile``;
  ``reduce-overhead`` adds CUDA graphs).

Prints real tokens/s, peak GPU memory, and the fraction of the needed-work roofline
Σ(2·P_body·T + 2·L·H·T²) + 2·H·V·(policy tokens), against a measured bf16 matmul rate.
Models are random-initialised Qwen2.5 / SmolLM2 shapes (no download). Usage::

    python bench/recompute_speed.py --shapes 0.5B 1.5B --tokens 400000      # on a GPU
    python bench/recompute_speed.py --shapes SmolLM2-135M --tokens 6000 --device cpu \
        --prompt 100 600 --response 20 100 --budgets 4096
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from entropy_lens.recompute.encoding import Encoded
from entropy_lens.recompute.scoring import score

#: Qwen2.5 / SmolLM2 (Llama) shapes (hidden, layers, heads, kv heads, intermediate, vocab, tied embeddings)
SHAPES = {
    "tiny": (64, 2, 4, 2, 128, 4096, True),
    "SmolLM2-135M": (576, 30, 9, 3, 1536, 49152, True),
    "0.5B": (896, 24, 14, 2, 4864, 151936, True),
    "1.5B": (1536, 28, 12, 2, 8960, 151936, True),
    "7B": (3584, 28, 28, 4, 18944, 152064, False),
}


def build_model(shape: str, device: str):
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    config_class, model_class = (LlamaConfig, LlamaForCausalLM) if shape.startswith("SmolLM2") else (Qwen2Config, Qwen2ForCausalLM)
    hidden, layers, heads, kv, inter, vocab, tied = SHAPES[shape]
    config = config_class(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=kv, intermediate_size=inter, vocab_size=vocab,
        tie_word_embeddings=tied, max_position_embeddings=8192, attn_implementation="sdpa",
    )
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = model_class(config).eval()
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
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else float("nan")
    return result, seconds, peak, cpu


def matmul_rate(device: str) -> float:
    """Measured dense matmul FLOP/s (bf16 8192³ on GPU, fp32 1024³ on CPU)."""
    n, dtype = (8192, torch.bfloat16) if device.startswith("cuda") else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    _, seconds, _, _ = timed(lambda: [a @ b for _ in range(10)], device)
    return 10 * 2 * n**3 / seconds


def methods(args) -> list[tuple[str, dict, str | None]]:
    """(label, ``score`` keywords, attention implementation) for each measured entropy-lens variant."""
    packed_attention = "flex_attention" if args.device.startswith("cuda") else "sdpa"
    out = []
    for budget in args.budgets:
        tag = f"{budget // 1024}k"
        out.append((f"el padded {tag}", dict(token_budget=budget, packing="padded"), "sdpa"))
        out.append((f"el packed {tag}", dict(token_budget=budget, packing="packed"), packed_attention))
        if args.compiled_head:
            out.append((f"el padded {tag} +head", dict(token_budget=budget, packing="padded", compiled_head=True), "sdpa"))
    return out


def run_shape(shape, args, peak_rate):
    model, config = build_model(shape, args.device)
    items = agent_mix(args.tokens, config.vocab_size, seed=0, prompt=args.prompt, response=args.response)
    real = sum(len(i.input_ids) for i in items)
    policy = sum(int(i.policy_mask().sum()) for i in items)
    need = needed_flops(model, config, items)
    naive_entropy(model, items[:4])  # warm-up (kernels, allocator)
    ref, seconds, peak, cpu = timed(lambda: naive_entropy(model, items), args.device)
    rows, diffs = [("naive", seconds, peak, cpu)], []
    for label, keywords, attention in methods(args):
        model.set_attn_implementation(attention)
        body = model.model
        if args.compile_body:
            model.model = torch.compile(body, mode=args.compile_body, dynamic=True)
        list(score(model, items[:4], chunk_size=args.chunk_size, **keywords))  # warm-up / compile
        got, seconds, peak, cpu = timed(
            lambda: {s.sample_id: s for s in score(model, items, chunk_size=args.chunk_size, **keywords)}, args.device
        )
        model.model = body
        rows.append((label + (f" +body {args.compile_body}" if args.compile_body else ""), seconds, peak, cpu))
        diffs.append(max(float(np.nanmax(np.abs(got[k].entropy[got[k].is_policy] - ref[k]))) for k in ref))
    print(f"\n{shape}: {len(items)} sequences, {real:,} tokens ({policy / real:.1%} policy), "
          f"max |Δentropy| vs naive {max(diffs):.2e} nats")
    # CPU seconds of this process beside wall time: on a shared CPU the load swamps wall time
    print(f"{'method':<34}{'seconds':>9}{'real tok/s':>12}{'× naive':>9}{'roofline':>10}{'peak GiB':>10}"
          f"{'CPU s':>9}{'× naive CPU s':>15}")
    for name, seconds, peak, cpu in rows:
        print(f"{name:<34}{seconds:>9.2f}{real / seconds:>12,.0f}{rows[0][1] / seconds:>9.2f}"
              f"{need / seconds / peak_rate:>10.1%}{peak:>10.1f}{cpu:>9.1f}{rows[0][3] / cpu:>15.2f}")
    if args.device.startswith("cuda"):
        torch.cuda.empty_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["0.5B"], choices=list(SHAPES))
    parser.add_argument("--tokens", type=int, default=400_000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--budgets", type=int, nargs="+", default=[32768], help="padded tokens per batch")
    parser.add_argument("--chunk-size", type=int, default=4096)
    parser.add_argument("--prompt", type=int, nargs=2, default=[500, 4000], help="prompt length range")
    parser.add_argument("--response", type=int, nargs=2, default=[30, 500], help="policy output length range")
    parser.add_argument("--compiled-head", action="store_true", help="also measure the compiled lm-head chunk")
    parser.add_argument("--compile-body", choices=["default", "reduce-overhead"], help="torch.compile the body")
    args = parser.parse_args()
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    rate = matmul_rate(args.device)
    load = "" if args.device.startswith("cuda") else f"; load average {os.getloadavg()[0]:.2f}"
    print(f"device: {name}; torch {torch.__version__}; measured matmul {rate / 1e12:.2f} TFLOP/s{load}")
    for shape in args.shapes:
        run_shape(shape, args, rate)


if __name__ == "__main__":
    main()
