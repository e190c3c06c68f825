"""Benchmark: scoring the same outputs under N checkpoints, tokenised once.

Compares, in one run on the same N random-initialised Llama checkpoints (saved with
``save_pretrained`` beside the demo run's tokenizer) and the demo run's validation outputs:

* **naive** — ``recompute`` once per checkpoint: each call loads, tokenises and scores;
* **entropy-lens** — ``recompute_checkpoints``: tokenised under the first checkpoint, the token
  ids reused for the others (same tokenizer fingerprint).

The claim checked: N checkpoints cost at most N × one checkpoint's load + forward, plus one
tokenisation. Usage::

    python bench/checkpoints_speed.py --checkpoints 4 --samples 128 --hidden 256 --layers 4
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import torch

from entropy_lens import read_run
from entropy_lens.checkpoint_scores import sample_outputs
from entropy_lens.recompute.across_checkpoints import recompute_checkpoints
from entropy_lens.recompute.score_rollouts import recompute

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo_run"
TOKENIZER = DEMO / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150/actor/huggingface"


def save_checkpoints(folder: Path, n: int, hidden: int, layers: int) -> list[tuple[int, Path]]:
    """``n`` random Llama checkpoints (different seeds) with the demo tokenizer, as ``(step, path)``."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
    )
    checkpoints = []
    for k in range(n):
        torch.manual_seed(k)
        path = folder / f"global_step_{(k + 1) * 100}"
        LlamaForCausalLM(config).save_pretrained(path)
        tokenizer.save_pretrained(path)
        checkpoints.append(((k + 1) * 100, path))
    return checkpoints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=int, default=4)
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    rollouts = sample_outputs(read_run(DEMO), args.samples)
    work = Path(tempfile.mkdtemp(prefix="el-ckpt-bench-"))
    try:
        checkpoints = save_checkpoints(work / "ckpts", args.checkpoints, args.hidden, args.layers)
        recompute(checkpoints[0][1], rollouts.head(4), work / "warm", device=args.device)  # warm-up
        single = []
        for step, path in checkpoints:
            started = time.perf_counter()
            recompute(path, rollouts, work / f"naive_{step}", device=args.device)
            single.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = recompute_checkpoints(checkpoints, rollouts, work / "ours", device=args.device)
        ours = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = result["checkpoints"]
    n, naive = len(rows), sum(single)
    print(f"{n} checkpoints (hidden {args.hidden}, {args.layers} layers), {rows[0]['n_samples']} outputs, "
          f"{rows[0]['n_tokens']:,} tokens each, device {args.device}")
    print(f"{'':<36}{'seconds':>9}")
    print(f"{'naive: recompute per checkpoint':<36}{naive:>9.2f}  (one checkpoint: {min(single):.2f}-{max(single):.2f})")
    print(f"{'entropy-lens: tokenised once':<36}{ours:>9.2f}  (per checkpoint: "
          + ", ".join(f"{r['seconds_total']:.2f}" for r in rows) + ")")
    print(f"{'  of which tokenising':<36}{sum(r['seconds_tokenising'] for r in rows):>9.2f}  "
          f"(tokenisations: {result['tokenisations']}; naive tokenised {n} times)")
    print(f"entropy-lens / (N x fastest single checkpoint) = {ours / (n * min(single)):.2f}; "
          f"entropy-lens / naive = {ours / naive:.2f}")

if __name__ == "__main__":
    main()
