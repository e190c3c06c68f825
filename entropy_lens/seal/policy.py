"""The policy and its SEAL head as one module: one forward gives log-probs, entropy and λ·SEAL.

Keeping the head inside the module the optimizer and ``accelerate`` see makes it part of the
actor, as in the paper (``actor_module.proj_z``): one AdamW, one gradient clipping, and under DDP
or FSDP its gradients are reduced with the backbone's.

Positions (shapes [B, T] over ``input_ids``): the log-prob and entropy of token t come from the
hidden state at t − 1 (next-token prediction), while SEAL classifies the last-layer hidden state
at t itself (the paper's alignment, ``response_hidden``). Both are reported on the token grid:
``policy[b, t] = 1`` selects token t for either.
"""

from __future__ import annotations

import torch
from torch import nn

from entropy_lens.recompute.entropy import entropy_and_logprob
from entropy_lens.seal.head import SealHead
from entropy_lens.seal.loss import seal_term


def response_hidden(model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """[B, T, H] last-layer hidden states of a causal LM (after its final norm): position t = token t.

    Equals ``model(..., output_hidden_states=True).hidden_states[-1]`` without the lm-head's
    [B, T, V] logits. Select response tokens with their own positions (the paper's
    ``hidden[:, -R:]``), not shifted by one.
    """
    return model.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


class SealPolicy(nn.Module):
    """A causal LM with a ``SealHead`` on its last hidden layer (``proj_z`` in the paper).

    Args:
        model: an HF ``*ForCausalLM``.
        head: the SEAL head (hidden size = the model's).
        chunk_size: lm-head rows per chunk when computing log-probs and entropy.
    """

    def __init__(self, model: nn.Module, head: SealHead, *, chunk_size: int = 4096):
        super().__init__()
        self.model = model
        self.proj_z = head
        self.chunk_size = chunk_size

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        policy: torch.Tensor,
        seal_advantages: torch.Tensor,
        seal_weight: float,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, float]]:
        """Score the policy tokens and compute λ·SEAL.

        Args:
            input_ids, attention_mask: [B, T] right-padded sequences.
            policy: [B, T] bool, the trained (policy-written) tokens; never position 0.
            seal_advantages: [B] per sequence; the SEAL label is 1[A ≥ 0].
            seal_weight: λ (``seal_term``'s ``weight``).

        Returns:
            ``(logprob, entropy, seal_weighted, seal_stats)``: ``logprob`` [N] (differentiable) and
            ``entropy`` [N] (detached) of the N policy tokens in row-major order, then ``seal_term``'s
            outputs.
        """
        hidden = response_hidden(self.model, input_ids, attention_mask)
        rows, cols = policy.nonzero(as_tuple=True)
        lm_head = self.model.get_output_embeddings()
        entropy, logprob = entropy_and_logprob(
            hidden[rows, cols - 1], lm_head.weight, input_ids[rows, cols], chunk_size=self.chunk_size, bias=lm_head.bias
        )
        seal_weighted, stats = seal_term(self.proj_z, hidden, policy, seal_advantages, seal_weight)
        return logprob, entropy.detach(), seal_weighted, stats
