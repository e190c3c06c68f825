"""Time per GRPO step in TRL: plain ``GRPOTrainer`` (the baseline) vs ``SealGRPOTrainer`` at λ = 0 and 0.02.

    python bench/seal_online_overhead.py [--steps 6] [--hidden 256] [--layers 4] [--repeats 2]

A random Llama (built here, saved with ``save_pretrained``; no download), a programmatic reward, the
same seed and data for every arm; arms interleaved ``--repeats`` times so load drift on a shared
machine hits them alike. Per step (generation + loss + backward + optimizer), the steps after the
first (warm-up) only: the CPU seconds of this process (``time.process_time``, all threads; what a
shared machine's load does not inflate much) and TRL's own wall-clock ``step_time``. Every completion
is exactly 32 tokens (``min_new_tokens``): otherwise the arms drift apart in completion length after
the first update and their steps do different amounts of work. Prints one
table; the machine and its load average go with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from datasets import Dataset
from transformers import LlamaConfig, LlamaForCausalLM, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "seal"))
from online_trl import PROMPTS, desk_reward, tiny_policy  # noqa: E402

from entropy_lens.seal.trl import SealGRPOTrainer  # noqa: E402


def policy(folder: Path, hidden: int, layers: int) -> Path:
    """The example's tokenizer with a wider, deeper random Llama."""
    tiny_policy(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=hidden, intermediate_size=4 * hidden, num_hidden_layers=layers,
                         num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=256)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


class CpuClock(TrainerCallback):
    """CPU seconds of this process spent in each training step."""

    def __init__(self):
        self.seconds: list[float] = []

    def on_step_begin(self, args, state, control, **_):
        self.started = time.process_time()

    def on_step_end(self, args, state, control, **_):
        self.seconds.append(time.process_time() - self.started)


def step_times(model: Path, out: Path, steps: int, arm: str) -> tuple[list[float], list[float]]:
    """(CPU seconds, wall seconds) of every step after the first."""
    config = GRPOConfig(
        output_dir=str(out), max_steps=steps, per_device_train_batch_size=8, num_generations=4,
        max_completion_length=32, learning_rate=1e-4, use_cpu=True, bf16=False, activation_checkpointing=False,
        logging_steps=1, save_strategy="no", report_to=[], seed=0, beta=0.0, disable_tqdm=True,
        generation_kwargs={"min_new_tokens": 32},  # every completion 32 tokens: the same work in every arm
    )
    clock = CpuClock()
    common = dict(model=str(model), reward_funcs=desk_reward, args=config, callbacks=[clock],
                  train_dataset=Dataset.from_dict({"prompt": PROMPTS * 32}))
    if arm == "GRPOTrainer (baseline)":
        trainer = GRPOTrainer(**common)
    else:
        trainer = SealGRPOTrainer(**common, seal_weight=0.02 if arm.endswith("0.02") else 0.0)
    trainer.train()
    wall = [entry["step_time"] for entry in trainer.state.log_history if "step_time" in entry]
    return clock.seconds[1:], wall[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads; 1 makes CPU seconds robust to a loaded machine (no spin-waits)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    arms = ["GRPOTrainer (baseline)", "SealGRPOTrainer λ=0", "SealGRPOTrainer λ=0.02"]
    cpu: dict[str, list[float]] = {arm: [] for arm in arms}
    wall: dict[str, list[float]] = {arm: [] for arm in arms}
    with tempfile.TemporaryDirectory() as scratch:
        model = policy(Path(scratch) / "policy", args.hidden, args.layers)
        for repeat in range(args.repeats):
            for index, arm in enumerate(arms if repeat % 2 == 0 else arms[::-1]):
                seconds, clock = step_times(model, Path(scratch) / f"out-{repeat}-{index}", args.steps, arm)
                cpu[arm] += seconds
                wall[arm] += clock
    base = statistics.median(cpu[arms[0]])
    print(f"hidden {args.hidden}, {args.layers} layers, 8 completions x 32 tokens per step; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; torch threads {torch.get_num_threads()}")
    print(f"{'arm':<26}{'steps':>6}{'median CPU s/step':>19}{'vs baseline':>13}{'median wall s/step':>20}")
    for arm in arms:
        median = statistics.median(cpu[arm])
        print(f"{arm:<26}{len(cpu[arm]):>6}{median:>19.3f}{100 * (median / base - 1):>+12.1f}%"
              f"{statistics.median(wall[arm]):>20.3f}")


if __name__ == "__main__":
    main()
