"""The offline SEAL fine-tune as a recipe (torchtune style): ``setup`` → ``train`` → ``cleanup``.

GRPO on a run's logged rollouts plus λ·SEAL, step by step:

1. ``setup``: read the rollouts (one split, steps up to ``until_step``), compute advantages and
   SEAL labels (``advantages.py``; singleton groups are announced), tokenise with the checkpoint's
   tokenizer (``tokens.py``), load the policy, put the head on it (``SealPolicy``), recompute the
   old log-probs once under the starting policy, build AdamW over policy *and* head, and resume
   from the last save in ``out`` when there is one.
2. ``train``: each step takes ``batch_size`` outputs (a seeded permutation per epoch, a pure
   function of the step, so a resumed run sees the same batches), computes the token-mean PPO-clip
   loss against the old log-probs plus λ·SEAL (``seal_term``), clips the gradient norm, steps
   AdamW, logs one verl ``file``-logger line, and saves every ``save_every`` steps and at the end.
3. ``cleanup``: record the outcome in ``seal_run.json``.

Precision: bf16 autocast on GPU, fp32 on CPU. Several processes (``accelerate launch`` or
``torchrun``): each rank takes a contiguous slice of the global batch; losses are scaled so the
averaged gradients equal one process's over the whole batch (token-mean over the global batch).
"""

from __future__ import annotations


import json
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import torch

from entropy_lens import progress
from entropy_lens.errors import InvalidInput
from entropy_lens.outputs import write_json
from entropy_lens.seal import store
from entropy_lens.seal.advantages import advantages_and_labels
from entropy_lens.seal.batches import pad, schedule
from entropy_lens.seal.config import SealConfig, config_from_dict
from entropy_lens.seal.data import TrainingData, training_rollouts
from entropy_lens.seal.head import SealHead, load_head
from entropy_lens.seal.loss import clipped_policy_loss
from entropy_lens.seal.policy import SealPolicy


class SealRecipe:
    """One offline SEAL fine-tune. ``run_seal(config)`` runs the three stages."""

    def __init__(self, config: SealConfig, *, warn: Callable[[str], None] | None = None):
        self.config = config
        self.out = Path(config.out)
        self.warn = warn or (lambda message: warnings.warn(message, stacklevel=2))
        self.warnings: list[str] = []

    # ---- setup -------------------------------------------------------------------------------
    def setup(self) -> None:
        from accelerate import Accelerator

        from entropy_lens.models import load_policy

        config = self.config
        store.check_out(self.out)
        self.start = self._resume_step()
        cpu = config.device == "cpu" or not torch.cuda.is_available()
        self.accelerator = Accelerator(cpu=cpu, mixed_precision="no" if cpu else "bf16")
        rollouts = training_rollouts(config.rollouts, split=config.split, until_step=config.until_step)
        labels, self.groups = advantages_and_labels(rollouts)
        if self.groups["warning"]:
            self._warn(self.groups["warning"])
        start_from = config.checkpoint if self.start is None else store.step_dir(self.out, self.start) / "actor" / "huggingface"
        model, self.tokenizer = load_policy(start_from, dtype="float32", device=str(self.accelerator.device))
        self.data = TrainingData.of(self.tokenizer, rollouts.join(labels, on="sample_id", maintain_order="left"), config)
        torch.manual_seed(config.seed)
        hidden = model.config.get_text_config().hidden_size
        head = (
            SealHead(hidden, config.head_layers, config.head_dropout)
            if self.start is None
            else load_head(store.step_dir(self.out, self.start) / "actor" / "seal_head.safetensors", dropout=config.head_dropout)
        )
        policy = SealPolicy(model, head.to(self.accelerator.device)).train()
        self.old_logprobs = self._old_logprobs(policy)
        optimizer = torch.optim.AdamW(policy.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.policy, self.optimizer = self.accelerator.prepare(policy, optimizer)
        if self.start is not None:
            self._restore(store.load_trainer_state(self.out, self.start))
        if self.accelerator.is_main_process:
            self._write_run_file(status="running")
        self.metrics = store.MetricsLog(self.out / store.METRICS_FILE, keep_until=self.start)

    def _resume_step(self) -> int | None:
        step = store.latest_step(self.out) if self.out.is_dir() else None
        if step is None:
            return None
        saved = config_from_dict(_read_json(self.out / store.RUN_FILE)["config"])
        differ = [k for k, v in self.config.result_fields().items() if saved.result_fields()[k] != v]
        if differ:
            changes = ", ".join(f"{k}: {saved.result_fields()[k]!r} → {getattr(self.config, k)!r}" for k in differ)
            raise InvalidInput(self.out, f"holds a fine-tune with other settings ({changes}); choose a new --out")
        if step >= self.config.steps:
            raise InvalidInput(self.out, f"already holds step {step} of {self.config.steps}; pass more --steps to go on")
        return step

    @torch.no_grad()
    def _old_logprobs(self, policy: SealPolicy) -> list[torch.Tensor]:
        """Per output, the starting policy's log-probs of its policy tokens (once; saved for resumes)."""
        path = self.out / store.OLD_LOGPROBS
        if self.start is not None and path.is_file():
            return store.load_old_logprobs(path)
        policy.eval()
        device, found = self.accelerator.device, []
        for chunk in _chunks(list(range(len(self.data.examples))), self._micro()):
            ids, mask, tokens = (t.to(device) for t in pad([self.data.examples[i] for i in chunk], self._pad_id()))
            with self.accelerator.autocast():
                logprob, _, _, _ = policy(ids, mask, tokens, torch.ones(len(chunk), device=device), 0.0)
            found += list(torch.split(logprob.float().cpu(), [self.data.examples[i].n_policy for i in chunk]))
        policy.train()
        if self.accelerator.is_main_process:
            self.out.mkdir(parents=True, exist_ok=True)
            store.save_old_logprobs(path, found)
        return found

    def _restore(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng_cpu"])
        if torch.cuda.is_available() and state.get("rng_cuda") is not None:
            torch.cuda.set_rng_state(state["rng_cuda"])

    # ---- train -------------------------------------------------------------------------------
    def train(self) -> None:
        config, first = self.config, (self.start or 0) + 1
        every = config.save_every or config.steps
        with progress.track("SEAL fine-tune (steps)", total=config.steps - first + 1) as advance:
            for step in range(first, config.steps + 1):
                started = time.perf_counter()
                data = self._step(step)
                data["timing_s/step"] = time.perf_counter() - started
                if self.accelerator.is_main_process:
                    self.metrics.log(step, data)
                self.last = {"step": step} | data
                if step % every == 0 or step == config.steps:
                    self.save_checkpoint(step)
                advance()

    def _step(self, step: int) -> dict[str, float]:
        """One optimizer step over the global batch of ``step``; returns the logged metrics."""
        accelerator, world = self.accelerator, self.accelerator.num_processes
        batch = schedule(len(self.data.examples), self.config.batch_size, step, self.config.seed)
        n_global = sum(self.data.examples[i].n_policy for i in batch)
        local = batch[accelerator.process_index :: world]
        sums = torch.zeros(7, dtype=torch.float64)
        micro = _chunks(local, self._micro())
        for k, chunk in enumerate(micro):
            context = accelerator.no_sync(self.policy) if k < len(micro) - 1 else nullcontext()
            with context:
                sums += self._micro_step(chunk, n_global, world)
        grad_norm = accelerator.clip_grad_norm_(self.policy.parameters(), self.config.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        sums = accelerator.reduce(sums.to(accelerator.device), reduction="sum").cpu()
        entropy, pg, seal, hits, clipped, kl, n = sums.tolist()
        return {
            "actor/entropy": entropy / n, "actor/pg_loss": pg / n, "actor/seal_loss": seal / n,
            "actor/seal_accuracy": hits / n, "actor/classification_loss": self.config.seal_weight * seal / n,
            "actor/pg_clipfrac": clipped / n, "actor/ppo_kl": kl / n, "actor/grad_norm": float(grad_norm),
            "actor/lr": self.optimizer.param_groups[0]["lr"], "response_length": n / len(batch),
        }

    def _micro_step(self, chunk: list[int], n_global: int, world: int) -> torch.Tensor:
        """Forward and backward of one micro-batch; returns its token sums for the metrics."""
        device = self.accelerator.device
        examples = [self.data.examples[i] for i in chunk]
        ids, mask, tokens = (t.to(device) for t in pad(examples, self._pad_id()))
        n_local = sum(e.n_policy for e in examples)
        seal_advantages = (self.data.labels[chunk].float() * 2 - 1).to(device)  # label → ±1, so 1[A ≥ 0] = label
        scale = world * n_local / n_global  # token-mean over the global batch, after DDP's averaging
        with self.accelerator.autocast():
            logprob, entropy, seal_weighted, stats = self.policy(
                ids, mask, tokens, seal_advantages, self.config.seal_weight * scale
            )
        old = torch.cat([self.old_logprobs[i] for i in chunk]).to(device)
        advantages = torch.cat([self.data.advantages[i].expand(e.n_policy) for i, e in zip(chunk, examples)]).to(device)
        per_token, clipped = clipped_policy_loss(logprob.float(), old, advantages, clip=self.config.clip)
        self.accelerator.backward(per_token.sum() * world / n_global + seal_weighted)
        return torch.tensor([
            float(entropy.sum()), float(per_token.detach().sum()), stats["seal_loss"] * n_local,
            stats["seal_accuracy"] * n_local, float(clipped.sum()), float((old - logprob.detach()).sum()), n_local,
        ], dtype=torch.float64)

    def save_checkpoint(self, step: int) -> None:
        """Write step ``step`` (main process), then wait for every process."""
        if self.accelerator.is_main_process:
            unwrapped = self.accelerator.unwrap_model(self.policy)
            state = {
                "step": step,
                "optimizer": self.optimizer.state_dict(),
                "rng_cpu": torch.get_rng_state(),
                "rng_cuda": torch.cuda.get_rng_state() if torch.cuda.is_available() else None,
            }
            store.save(self.out, step, unwrapped.model, self.tokenizer, unwrapped.proj_z, state)
        self.accelerator.wait_for_everyone()

    # ---- cleanup -----------------------------------------------------------------------------
    def cleanup(self) -> dict:
        """Record the outcome in ``seal_run.json``; returns the summary."""
        summary = self._summary(status="done")
        if self.accelerator.is_main_process:
            write_json(self.out / store.RUN_FILE, summary)
        self.accelerator.end_training()
        return summary

    # ---- helpers -----------------------------------------------------------------------------
    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        if self.accelerator.is_main_process:
            self.warn(message)

    def _micro(self) -> int:
        return self.config.micro_batch_size or self.config.batch_size

    def _pad_id(self) -> int:
        return self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0

    def _summary(self, status: str) -> dict:
        last = getattr(self, "last", None)
        return {
            "status": status,
            "config": self.config.to_dict(),
            "resumed_from": self.start,
            "n_outputs": len(self.data.examples),
            "n_dropped": self.data.n_dropped,
            "n_policy_tokens": sum(e.n_policy for e in self.data.examples),
            "groups": self.groups,
            "warnings": self.warnings,
            "processes": self.accelerator.num_processes,
            "backend": torch.distributed.get_backend() if torch.distributed.is_initialized() else None,
            "checkpoint": str(store.step_dir(self.out, last["step"])) if last else None,
            "last_metrics": last,
        }

    def _write_run_file(self, status: str) -> None:
        write_json(self.out / store.RUN_FILE, self._summary(status))


def run_seal(config: SealConfig, *, warn: Callable[[str], None] | None = None) -> dict:
    """Fine-tune ``config.checkpoint`` on ``config.rollouts`` with GRPO + λ·SEAL; returns the summary.

    In the shell: ``entropy-lens seal --from CKPT ROLLOUTS --out DIR``.
    """
    recipe = SealRecipe(config, warn=warn)
    recipe.setup()
    recipe.train()
    return recipe.cleanup()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(path, f"cannot read the earlier fine-tune's settings ({exc})") from None


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]
