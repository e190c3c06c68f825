"""Benchmark: `recompute` in one process against `torchrun --nproc-per-node N` on the CPU (gloo).

One random-initialised Llama (``save_pretrained`` beside the demo run's tokenizer) scores the demo
run's outputs, measured in the same run:

* **1 process** — ``python -m entropy_lens recompute`` with the default thread count;
* **1 process, 1 thread** — ``OMP_NUM_THREADS=1``, what torchrun gives each worker;
* **torchrun N** — ``torchrun --standalone --nproc-per-node N -m entropy_lens recompute``.

Wall time includes interpreter start, model loading, tokenisation and the merge; ``scoring s`` is
the summary's ``seconds`` (scoring plus merge, rank 0). The machine's load average is printed
before and after (a shared machine's other jobs change the figures). The largest per-token
difference from the 1-process output is printed too.

Second table: what the merge costs on its own (every run, one process included, copies
``tokens.parquet`` once into ``samples.parquet`` order), against writing the part, for
``--merge-sequences`` synthetic sequences of 500 tokens in shuffled order. Usage::

    python bench/recompute_scale_out.py --samples 64 --hidden 256 --layers 4 --procs 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import torch

from entropy_lens.recompute.parts import merge_tokens, part_folder, read_parts, write_part
from entropy_lens.recompute.scoring import Scored

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo_run"
TOKENIZER = DEMO / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150/actor/huggingface"


def save_model(folder: Path, hidden: int, layers: int) -> Path:
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def timed(launcher: list[str], model: Path, out: Path, samples: int, env: dict) -> tuple[float, dict]:
    args = [*launcher, "-m", "entropy_lens", "recompute", str(DEMO), "--model", str(model), "--out", str(out),
            "--device", "cpu", "--split", "train", "--max-samples", str(samples), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=os.environ | env, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return time.perf_counter() - started, json.loads(done.stdout)


def merge_cost(folder: Path, n: int, length: int = 500) -> tuple[float, float]:
    """Seconds to write one part of ``n`` sequences, and to merge it in shuffled sample order."""
    rng = np.random.default_rng(0)
    policy = np.arange(length) >= length // 5

    def scored():
        for i in range(n):
            entropy = rng.random(length).astype(np.float32)
            yield Scored(f"s{i}", np.arange(length), policy, entropy, -entropy, np.zeros((1, 8), np.float32))

    def row(item) -> dict:
        return {"sample_id": item.sample_id, "n_tokens": length, "n_policy": int(policy.sum()),
                "mean_entropy": 0.0, "mean_logprob": 0.0, "sum_logprob": 0.0}

    started = time.perf_counter()
    record = write_part(part_folder(folder, 0), scored(), n, row, 1)
    written = time.perf_counter()
    rows, _, sources = read_parts(folder, [record | {"rank": 0, "host": "here"}])
    ids = rows["sample_id"].to_list()
    np.random.default_rng(1).shuffle(ids)
    merging = time.perf_counter()
    merge_tokens(folder / "tokens.parquet", sources, ids)
    return written - started, time.perf_counter() - merging


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=96)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--merge-sequences", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="el-scale-bench-"))
    model = save_model(work / "model", args.hidden, args.layers)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(args.procs)]
    runs = [("1 process", [sys.executable], {}), ("1 process, 1 thread", [sys.executable], {"OMP_NUM_THREADS": "1"}),
            (f"torchrun {args.procs}", torchrun, {})]
    print(f"load average before: {os.getloadavg()}; {os.cpu_count()} CPUs; Llama hidden {args.hidden}, "
          f"{args.layers} layers; {args.samples} outputs")
    print(f"| launcher | wall s | scoring s | tokens | tok/s (wall) | max |Δ entropy| vs 1 process |")
    print("|---|---|---|---|---|---|")
    reference = None
    for name, launcher, env in runs:
        out = work / name.replace(" ", "_").replace(",", "")
        wall, summary = timed(launcher, model, out, args.samples, env)
        entropy = pl.read_parquet(out / "tokens.parquet")["entropy"].to_numpy()
        reference = entropy if reference is None else reference
        diff = float(np.nanmax(np.abs(entropy - reference)))
        print(f"| {name} | {wall:.1f} | {summary['seconds']:.1f} | {summary['n_tokens']} | "
              f"{summary['n_tokens'] / wall:.0f} | {diff:.1e} |")
    write, merge = merge_cost(work / "merge", args.merge_sequences)
    tokens = args.merge_sequences * 500
    print(f"\n| tokens | write the part s | merge (copy in sample order) s |\n|---|---|---|\n"
          f"| {tokens} | {write:.2f} | {merge:.2f} |")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
