"""SEAL online, inside TRL: ``SealGRPOTrainer`` = TRL's ``GRPOTrainer`` + λ·SEAL.

The term is computed in the same forward as GRPO's log-probs: a forward hook on the policy's backbone
(``model.base_model``, the module TRL's fused LM head calls) keeps its ``last_hidden_state`` — the
last layer after the final norm, as ``hidden_states[-1]`` in HF — for the duration of
``_compute_loss``. The completion tokens are the last ``C`` positions of ``[prompt | completion]``
(TRL left-pads prompts and right-pads completions); position t holds token t (the paper's alignment,
not the log-prob shift). The mask is ``completion_mask`` (× ``tool_mask`` when tools answered inside
the completion), the labels 1[A ≥ 0] from GRPO's advantages. The term is divided by the gradient
accumulation steps, like GRPO's own per-micro-batch mean.

The head is a submodule of the policy (``model.seal_head``, as the paper's ``actor_module.proj_z``), so
the trainer's optimizer, gradient clipping and device placement cover it; its keys are kept out of
``model.safetensors`` and written beside it as ``seal_head.safetensors`` (``net.*`` names), in every
``checkpoint-N/`` and by ``save_model``. ``trl`` is imported on first use of ``SealGRPOTrainer``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from entropy_lens.seal.head import SealHead, load_head, save_head
from entropy_lens.seal.loss import SEAL_WEIGHT, seal_term

#: The head's file inside a checkpoint folder.
HEAD_FILE = "seal_head.safetensors"

#: Keys the trainer adds to TRL's logged metrics (means over the logging interval).
METRIC_KEYS = ("seal/loss", "seal/accuracy")


def completion_hidden(captured: list[torch.Tensor], completion_length: int) -> torch.Tensor:
    """[B, C, H] hidden states of the completion tokens from the backbone's chunked outputs."""
    return torch.cat(captured, dim=0)[:, -completion_length:]


def attach_head(model: torch.nn.Module, head: SealHead) -> None:
    """Make ``head`` the policy's ``seal_head`` submodule and keep it out of the model's own files."""
    parameter = next(model.parameters())
    model.seal_head = head.to(parameter.device)
    ignored = set(getattr(model, "_keys_to_ignore_on_save", None) or ())
    model._keys_to_ignore_on_save = ignored | {f"seal_head.{key}" for key in head.state_dict()}


@functools.cache
def _trainer_class() -> type:
    from trl import GRPOTrainer

    class SealGRPOTrainer(GRPOTrainer):
        """``GRPOTrainer`` whose loss is GRPO's + ``seal_weight`` · L_SEAL.

        Extra keyword arguments: ``seal_weight`` (λ, default 0.02; 0 runs and logs the head without
        training the policy through it), ``seal_head_layers`` (L, default 3) and ``seal_head`` (a
        ``SealHead`` to start from, e.g. ``load_head(path)``). Logs ``seal/loss`` (unweighted) and
        ``seal/accuracy`` (share of completion tokens whose logit sign matches 1[A ≥ 0]).
        """

        def __init__(self, *args, seal_weight: float = SEAL_WEIGHT, seal_head_layers: int = 3,
                     seal_head: SealHead | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.seal_weight = float(seal_weight)
            hidden_size = self.model.config.get_text_config().hidden_size
            attach_head(self.model, seal_head or SealHead(hidden_size, num_layers=seal_head_layers))

        @property
        def seal_head(self) -> SealHead:
            return self.accelerator.unwrap_model(self.model).seal_head

        def _compute_loss(self, model, inputs):
            captured: list[torch.Tensor] = []
            backbone = self.accelerator.unwrap_model(model).base_model
            hook = backbone.register_forward_hook(lambda _m, _a, out: captured.append(out.last_hidden_state))
            try:
                loss = super()._compute_loss(model, inputs)
            finally:
                hook.remove()
            return loss + self._seal_term(inputs, captured)

        def _seal_term(self, inputs: dict, captured: list[torch.Tensor]) -> torch.Tensor:
            mask = inputs["completion_mask"]
            if "tool_mask" in inputs:
                mask = mask * inputs["tool_mask"]
            hidden = completion_hidden(captured, mask.size(1))
            head = self.seal_head
            weighted, stats = seal_term(
                head, hidden.to(next(head.parameters()).dtype), mask, inputs["advantages"], self.seal_weight
            )
            mode = "train" if self.model.training else "eval"
            for key, name in zip(METRIC_KEYS, ("seal_loss", "seal_accuracy"), strict=True):
                value = torch.tensor(stats[name], device=hidden.device)
                self._metrics[mode][key].append(self.accelerator.gather(value).nanmean().item())
            return weighted / (self.current_gradient_accumulation_steps if mode == "train" else 1.0)

        def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
            super()._save(output_dir, state_dict)
            if self.args.should_save:
                save_head(self.seal_head, Path(output_dir or self.args.output_dir) / HEAD_FILE)

        def _load_from_checkpoint(self, resume_from_checkpoint: str, model=None) -> None:
            super()._load_from_checkpoint(resume_from_checkpoint, model)
            saved = Path(resume_from_checkpoint) / HEAD_FILE
            if saved.is_file():
                self.seal_head.load_state_dict(load_head(saved).state_dict())

    return SealGRPOTrainer


def __getattr__(name: str):
    if name == "SealGRPOTrainer":
        return _trainer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
