"""SEAL inside upstream verl's actor: the term from exactly the tensors ``DataParallelPPOActor`` holds.

In ``verl/workers/actor/dp_actor.py`` (volcengine/verl b178a3c): ``_forward_micro_batch`` calls
``self.actor_module(...)``; with ``output_hidden_states=True`` its ``output.hidden_states[-1]`` is the
last layer (after the final norm in HF Llama/Qwen2). With ``use_remove_padding`` that tensor is
``(1, total_nnz, H)`` and ``indices`` (from ``unpad_input``) put it back on the ``(bsz, seqlen)`` grid,
as verl does for log-probs with ``pad_input``. ``update_policy`` then holds ``response_mask`` and
``advantages``, both ``(bsz, response_length)``, and adds λ·L_SEAL to ``policy_loss`` before
``loss = policy_loss * loss_scale_factor``. See docs/seal.md, "verl".

Alignment: the paper's, ``last_hidden[:, -response_length:]`` (position t = response token t), not
the log-probs' ``[-response_length - 1 : -1]``.
"""

from __future__ import annotations

import torch

from entropy_lens.seal.loss import SEAL_WEIGHT, seal_term


def padded_hidden(hidden_rmpad: torch.Tensor, indices: torch.Tensor, batch_size: int, seqlen: int) -> torch.Tensor:
    """``(1, total_nnz, H)`` (or ``(total_nnz, H)``) → ``(bsz, seqlen, H)``, zeros at padding.

    ``indices`` are the flat positions ``unpad_input`` kept (``attention_mask.flatten().nonzero()``);
    the result keeps the graph, so the SEAL gradient reaches the backbone.
    """
    flat = hidden_rmpad.reshape(-1, hidden_rmpad.size(-1))
    grid = flat.new_zeros(batch_size * seqlen, flat.size(-1)).index_put((indices,), flat)
    return grid.view(batch_size, seqlen, -1)


def verl_seal_term(
    head: torch.nn.Module,
    last_hidden: torch.Tensor,
    response_mask: torch.Tensor,
    advantages: torch.Tensor,
    weight: float = SEAL_WEIGHT,
) -> tuple[torch.Tensor, dict[str, float]]:
    """λ · L_SEAL (token-mean, verl's default ``loss_agg_mode``) for one verl micro-batch, and its stats.

    Args:
        head: the ``SealHead`` (on the actor: ``actor_module.proj_z`` in the paper's code).
        last_hidden: ``(bsz, seqlen, H)`` ``output.hidden_states[-1]`` on the padded grid (use
            ``padded_hidden`` on the remove-padding path).
        response_mask: ``(bsz, response_length)``, verl's ``response_mask`` (1 on policy tokens;
            0 on padding and, in multi-turn agent loops, on tool/observation tokens).
        advantages: ``(bsz, response_length)``, verl's ``advantages`` (GRPO/GiGPO/RLOO, …).
        weight: λ (the paper's ``classification_loss_coef``).

    Returns:
        ``(weighted_loss, stats)`` as ``seal_term``: add the first to ``policy_loss``.
    """
    response_length = response_mask.size(-1)
    return seal_term(head, last_hidden[:, -response_length:], response_mask, advantages, weight)
