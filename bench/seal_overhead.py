"""Benchmark: the cost of SEAL in one training step, against the same GRPO step without the head.

Both variants run in this process on the same model, batch and optimizer settings:

* **baseline** — last hidden states (``policy.response_hidden``), log-probs of the policy tokens
  (chunked lm-head at their positions), token-mean PPO-clip loss, backward, gradient clipping, AdamW;
* **SEAL** — the same through ``SealPolicy`` with λ = 0.02: plus the head on every policy token's
  hidden state, the BCE, and the head's parameters in AdamW.

Prints the median seconds per step of each (CPU seconds of this process on CPU, wall seconds on a
GPU) and the overhead (the issue's bar: ≤ 10%). Shapes: the
demo run's tiny checkpoint (real weights) and SmolLM2-135M's shape, random-initialised (no download).
Usage::

    python bench/seal_overhead.py                         # both shapes, CPU
    python bench/seal_overhead.py --shapes smollm2 --repeats 5 --device cuda
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from entropy_lens.recompute.entropy import entropy_and_logprob
from entropy_lens.seal.head import SealHead
from entropy_lens.seal.loss import clipped_policy_loss
from entropy_lens.seal.policy import SealPolicy, response_hidden

DEMO = Path(__file__).resolve().parents[1] / "data/demo_run/checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_300"


def build_model(shape: str, device: str):
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    if shape == "demo":
        return AutoModelForCausalLM.from_pretrained(DEMO / "actor" / "huggingface").to(device)
    config = LlamaConfig(  # SmolLM2-135M-Instruct's config.json
        hidden_size=576, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
        intermediate_size=1536, vocab_size=49152, tie_word_embeddings=True, max_position_embeddings=2048,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(config).to(device)


def batch(vocab: int, n: int, length: int, policy: int, device: str):
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, vocab, (n, length), generator=generator)
    tokens = torch.zeros(n, length, dtype=torch.bool)
    tokens[:, length - policy :] = True
    return ids.to(device), torch.ones_like(ids).to(device), tokens.to(device)


def baseline_step(model, optimizer, ids, mask, tokens, old, advantages):
    hidden = response_hidden(model, ids, mask)
    rows, cols = tokens.nonzero(as_tuple=True)
    head = model.get_output_embeddings()
    _, logprob = entropy_and_logprob(hidden[rows, cols - 1], head.weight, ids[rows, cols], bias=head.bias)
    loss, _ = clipped_policy_loss(logprob, old, advantages)
    loss.mean().backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def seal_step(policy, optimizer, ids, mask, tokens, old, advantages):
    seal_advantages = advantages.view(ids.shape[0], -1)[:, 0]
    logprob, _, seal_weighted, _ = policy(ids, mask, tokens, seal_advantages, 0.02)
    loss, _ = clipped_policy_loss(logprob, old, advantages)
    (loss.mean() + seal_weighted).backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def seconds(step, device: str) -> float:
    """Wall seconds on a GPU; on CPU, this process's CPU seconds (all threads), which other jobs
    on a shared machine inflate far less than wall time."""
    clock = time.perf_counter if device.startswith("cuda") else time.process_time
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    started = clock()
    step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return clock() - started


def interleaved(base, seal, repeats: int, device: str) -> tuple[float, float]:
    """Median seconds of each, timed in turns, the order swapped every round (a shared machine's
    load drifts over both alike, and neither always runs first)."""
    base(), seal()  # warm-up (allocations, AdamW state)
    times = []
    for round_ in range(repeats):
        if round_ % 2:
            seal_s = seconds(seal, device)
            times.append((seconds(base, device), seal_s))
        else:
            times.append((seconds(base, device), seconds(seal, device)))
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["demo", "smollm2"], choices=["demo", "smollm2"])
    parser.add_argument("--sequences", type=int, default=8)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--policy-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads; 1 makes CPU seconds robust to a loaded machine (no spin-waits)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    clock = "wall" if args.device.startswith("cuda") else "CPU"
    print(f"{'shape':<8} {'tokens':>7} {'baseline ' + clock + ' s/step':>20} {'SEAL ' + clock + ' s/step':>16} {'overhead':>9}")
    for shape in args.shapes:
        model = build_model(shape, args.device).train()
        ids, mask, tokens = batch(model.config.vocab_size, args.sequences, args.length, args.policy_tokens, args.device)
        n = int(tokens.sum())
        old = torch.full((n,), -8.0, device=args.device)
        advantages = torch.linspace(-1, 1, args.sequences).repeat_interleave(args.policy_tokens).to(args.device)
        base_opt = torch.optim.AdamW(model.parameters(), lr=1e-6)
        policy = SealPolicy(model, SealHead(model.config.hidden_size).to(args.device)).train()
        seal_opt = torch.optim.AdamW(policy.parameters(), lr=1e-6)
        base, seal = interleaved(
            lambda: baseline_step(model, base_opt, ids, mask, tokens, old, advantages),
            lambda: seal_step(policy, seal_opt, ids, mask, tokens, old, advantages),
            args.repeats, args.device,
        )
        print(f"{shape:<8} {args.sequences * args.length:>7} {base:>20.3f} {seal:>16.3f} {seal / base - 1:>9.1%}")


if __name__ == "__main__":
    main()
