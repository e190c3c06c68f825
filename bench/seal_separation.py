"""Evidence: does a SEAL fine-tune separate correct from incorrect outputs better than the same
fine-tune at λ = 0, on later steps it never trained on?

On the demo run (tiny Llama, ALFWorld-shaped rollouts): fine-tune the checkpoint of step 150 on the
training rollouts up to ``--train-until`` (default 60, the last step before the run's first eruption
onset at 65), once with λ = 0.02 and once with λ = 0, same seed, same batches; then pool each
model's last-layer hidden states over the policy tokens (the tokens' own positions, as SEAL
trains) of held-out outputs from steps after ``--heldout-after`` (default 150) and score
correct-vs-incorrect (``success``) separation with ``separation.separation_scores``:
difference-of-means AUROC (held out), cosine silhouette, logistic-probe AUROC. Several seeds.

Usage::

    python bench/seal_separation.py                      # 3 seeds, 20 steps each (CPU, ~15 min on 2 cores)
    python bench/seal_separation.py --seeds 0 1 2 3 4 --steps 40
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import torch

from entropy_lens.readers import read_run
from entropy_lens.recompute.batching import token_budget_batches
from entropy_lens.seal.batches import pad
from entropy_lens.seal.config import SealConfig
from entropy_lens.seal.policy import response_hidden
from entropy_lens.seal.recipe import run_seal
from entropy_lens.seal.tokens import encode_rollouts
from entropy_lens.separation import separation_scores

ROOT = Path(__file__).resolve().parents[1] / "data" / "demo_run"
CHECKPOINT = ROOT / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150"
SCORES = ("diff_means_auroc", "silhouette", "probe_auroc")


@torch.no_grad()
def pooled_hidden(model_dir: Path, rollouts: pl.DataFrame) -> np.ndarray:
    """[n, H] mean last-layer hidden state over each output's policy tokens."""
    from entropy_lens.models import load_policy

    model, tokenizer = load_policy(model_dir, dtype="float32", device="cpu")
    encoded = encode_rollouts(
        tokenizer, rollouts["sample_id"].to_list(), rollouts["prompt"].to_list(), rollouts["response"].to_list()
    )
    pooled = np.zeros((len(encoded), model.config.hidden_size))
    for chunk in token_budget_batches([len(e.input_ids) for e in encoded], 16384):
        ids, mask, policy = pad([encoded[i] for i in chunk], tokenizer.pad_token_id or 0)
        hidden = response_hidden(model, ids, mask).double()
        weights = policy.unsqueeze(-1).double()
        pooled[chunk] = ((hidden * weights).sum(1) / weights.sum(1).clamp(min=1)).numpy()
    return pooled


def scores(model_dir: Path, heldout: pl.DataFrame) -> dict:
    found = separation_scores(pooled_hidden(model_dir, heldout), heldout["success"].to_numpy(), seed=0)
    return {k: found[k] for k in SCORES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--train-until", type=int, default=60)
    parser.add_argument("--heldout-after", type=int, default=150)
    parser.add_argument("--max-heldout", type=int, default=400)
    parser.add_argument("--seal-weight", type=float, default=0.02, help="λ of the SEAL arm (the paper's 0.02)")
    args = parser.parse_args()

    rollouts = read_run(ROOT).rollouts
    later = rollouts.filter((pl.col("step") > args.heldout_after) & pl.col("success").is_not_null()).sort("step", "sample_id")
    heldout = later.gather_every(max(1, -(-later.height // args.max_heldout)))  # spread over the later steps
    print(f"held out: {heldout.height} outputs of steps {heldout['step'].min()}–{heldout['step'].max()}, "
          f"{heldout['success'].mean():.0%} successful")
    start = scores(CHECKPOINT / "actor" / "huggingface", heldout)
    print(f"{'seed':>4} {'λ':>5} " + " ".join(f"{k:>17}" for k in SCORES) + f" {'s/step':>7}")
    print(f"{'—':>4} {'start':>5} " + " ".join(f"{start[k]:>17.4f}" for k in SCORES))
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for weight in (0.0, args.seal_weight):
                out = Path(tmp) / f"s{seed}-w{weight}"
                started = time.perf_counter()
                run_seal(SealConfig(
                    checkpoint=str(CHECKPOINT), rollouts=str(ROOT), out=str(out), seal_weight=weight,
                    steps=args.steps, seed=seed, lr=args.lr, batch_size=args.batch_size,
                    until_step=args.train_until, device="cpu",
                ), warn=lambda message: None)
                per_step = (time.perf_counter() - started) / args.steps
                found = scores(out / f"global_step_{args.steps}" / "actor" / "huggingface", heldout)
                table.append({"seed": seed, "weight": weight} | found)
                print(f"{seed:>4} {weight:>5} " + " ".join(f"{found[k]:>17.4f}" for k in SCORES) + f" {per_step:>7.2f}")
    print(f"\nSEAL (λ = {args.seal_weight}) minus λ = 0, per seed:")
    for key in SCORES:
        gaps = [
            next(r[key] for r in table if r["seed"] == s and r["weight"] == args.seal_weight)
            - next(r[key] for r in table if r["seed"] == s and r["weight"] == 0.0)
            for s in args.seeds
        ]
        better = sum(g > 0 for g in gaps)
        print(f"  {key:<17} mean {statistics.mean(gaps):+.4f}  per seed {', '.join(f'{g:+.4f}' for g in gaps)}  "
              f"(better in {better} of {len(gaps)})")


if __name__ == "__main__":
    main()
