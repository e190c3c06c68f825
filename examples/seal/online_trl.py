"""SEAL online with TRL: a few GRPO steps of a tiny random Llama with λ·SEAL, on CPU, in seconds.

    python examples/seal/online_trl.py --out /tmp/seal-online [--steps 4] [--seal-weight 0.02]

The policy (2 layers, hidden 32) and a word-level tokenizer are built here and saved with
``save_pretrained``; nothing is downloaded. The reward is programmatic: the share of the completion's
words that are "desk". ``OUT/checkpoint-N/`` holds the HF checkpoint and ``seal_head.safetensors``;
``seal/loss`` and ``seal/accuracy`` are printed with TRL's other metrics at every step. For a real
model, pass ``--model`` an HF folder instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from datasets import Dataset
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from trl import GRPOConfig

from entropy_lens.seal.trl import SealGRPOTrainer

PROMPTS = [
    "Your task is to: put a clean mug in the coffeemachine.",
    "You are in the middle of a room. Looking around you, you see a cabinet and a desk.",
    "Observation: On the desk 1, you see a mug 2 and a pen 1.",
]


def tiny_policy(folder: Path) -> Path:
    """A random 2-layer Llama and a word-level tokenizer trained on ``PROMPTS``, saved to ``folder``."""
    backend = Tokenizer(models.WordLevel(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = ["<unk>", "<pad>", "<s>", "</s>"]
    backend.train_from_iterator(PROMPTS, trainers.WordLevelTrainer(vocab_size=64, special_tokens=specials))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def desk_reward(completions, **_) -> list[float]:
    """Share of the completion's words that are "desk"."""
    return [c.split().count("desk") / max(len(c.split()), 1) for c in completions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, help="HF folder [default: a tiny random Llama built here]")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seal-weight", type=float, default=0.02)
    args = parser.parse_args()
    model = args.model or tiny_policy(args.out / "policy")
    config = GRPOConfig(
        output_dir=str(args.out), max_steps=args.steps, per_device_train_batch_size=4, num_generations=4,
        max_completion_length=8, learning_rate=1e-3, use_cpu=True, bf16=False, activation_checkpointing=False,
        logging_steps=1, save_steps=args.steps, report_to=[], beta=0.0,
    )
    trainer = SealGRPOTrainer(
        model=str(model), reward_funcs=desk_reward, args=config,
        train_dataset=Dataset.from_dict({"prompt": PROMPTS * 8}), seal_weight=args.seal_weight,
    )
    trainer.train()
    for entry in trainer.state.log_history:
        if "seal/loss" in entry:
            print(f"step {entry['step']}: seal/loss {entry['seal/loss']:.4f}  seal/accuracy {entry['seal/accuracy']:.3f}")
    print(f"checkpoint and head: {args.out / f'checkpoint-{args.steps}'}")


if __name__ == "__main__":
    main()
