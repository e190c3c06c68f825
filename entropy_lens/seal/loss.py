"""The SEAL loss (separate correct from incorrect outputs in the policy's hidden states), and the
GRPO advantages and clipped policy loss it is added to.

    L_SEAL = (1/|M|) Σ_{(i,t) ∈ M} BCEWithLogits(g_φ(h_{i,t}), 1[A_{i,t} ≥ 0])

over the response-token mask M (token-mean), with ``h`` the last-layer hidden state and ``A`` the
group-relative advantage (GRPO/GiGPO). Tokens with A = 0 are labelled 1. The total actor loss is
``policy_loss + λ · L_SEAL`` with λ = 0.02, and the gradient reaches the backbone (no detach).

Alignment (the paper's): ``h_{i,t}`` is the last-layer hidden state *at token t's own position*
(``hidden_states[-1][:, -R:]`` for R response tokens), not the state at t − 1 that predicts token t
(the log-prob shift). ``seal_term`` takes hidden states and mask on the same position grid, so
``mask[b, t] = 1`` selects ``hidden[b, t]``.
"""

from __future__ import annotations

import torch
from torch.nn.functional import binary_cross_entropy_with_logits

from entropy_lens.seal.config import SEAL_WEIGHT


def seal_labels(advantages: torch.Tensor) -> torch.Tensor:
    """1[A ≥ 0] as floats, same shape as ``advantages``."""
    return (advantages >= 0).to(torch.float32)


def seal_loss(logits: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Token-mean BCE of the head's logits against the advantage sign.

    Args:
        logits: [B, T] head outputs at every position.
        advantages: [B, T] per-token advantages (a sequence's advantage broadcast over its tokens).
        mask: [B, T] 1 on response tokens, 0 elsewhere.

    Returns:
        Scalar loss (0 when the mask is empty).
    """
    weights = mask.to(logits.dtype)
    per_token = binary_cross_entropy_with_logits(logits, seal_labels(advantages).to(logits.dtype), reduction="none")
    return (per_token * weights).sum() / weights.sum().clamp(min=1.0)


def seal_term(
    head: torch.nn.Module,
    hidden: torch.Tensor,
    mask: torch.Tensor,
    advantages: torch.Tensor,
    weight: float = SEAL_WEIGHT,
) -> tuple[torch.Tensor, dict[str, float]]:
    """λ · L_SEAL for one batch, ready to add to the policy loss, and its statistics.

    Args:
        head: a ``SealHead`` (any module mapping [..., H] → [...] logits).
        hidden: [B, T, H] last-layer hidden states, position t = token t (the paper's alignment).
        mask: [B, T] 1 on the response tokens to classify, 0 elsewhere (prompt, observations, padding).
        advantages: [B, T] per-token advantages, or [B] one per sequence (broadcast over its tokens).
        weight: λ. At 0 the head still runs (as in the paper's baselines) and its statistics are
            reported; the returned term is 0 and keeps every head parameter in the graph (DDP).

    Returns:
        ``(weighted_loss, stats)``: the scalar λ · L_SEAL (differentiable, reaches the backbone) and
        ``{"seal_loss": L_SEAL, "seal_accuracy": share of masked tokens whose logit sign matches
        1[A ≥ 0], "seal_tokens": |M|}`` as Python floats.
    """
    if advantages.dim() == 1:
        advantages = advantages[:, None].expand(mask.shape)
    selected = mask.bool()
    logits = head(hidden[selected]).float()  # [|M|]: the head runs on the masked tokens only
    labels = seal_labels(advantages[selected])
    per_token = binary_cross_entropy_with_logits(logits, labels, reduction="none")
    loss = per_token.sum() / max(int(selected.sum()), 1)
    with torch.no_grad():
        hits = (logits > 0) == labels.bool()
        stats = {
            "seal_loss": float(loss.detach()),
            "seal_accuracy": float(hits.float().mean()) if hits.numel() else float("nan"),
            "seal_tokens": float(hits.numel()),
        }
    return weight * loss, stats


def group_advantages(rewards: torch.Tensor, groups: torch.Tensor, *, normalize_std: bool = True) -> torch.Tensor:
    """GRPO advantages: (r − mean of its group) / (population std of its group + 1e-6).

    Args:
        rewards: [N] one reward per output.
        groups: [N] integer group ids (outputs for the same prompt share one).
        normalize_std: divide by the group std (GRPO); False gives ``mean_norm`` (GiGPO's default).
    """
    advantages = torch.empty_like(rewards, dtype=torch.float32)
    for group in groups.unique():
        members = groups == group
        centred = rewards[members].float() - rewards[members].float().mean()
        if normalize_std:
            centred = centred / (rewards[members].float().std(unbiased=False) + 1e-6)
        advantages[members] = centred
    return advantages


def clipped_policy_loss(
    logprob: torch.Tensor, old_logprob: torch.Tensor, advantages: torch.Tensor, *, clip: float = 0.2
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO-clip per token: −min(ρ·A, clip(ρ, 1 − ε, 1 + ε)·A), ρ = exp(log π − log π_old).

    Args:
        logprob, old_logprob, advantages: [N] per policy token (the old log-probs are constants).
        clip: ε.

    Returns:
        ``(per_token_loss [N], clipped [N] bool)``: sum or average the loss as the caller aggregates.
    """
    ratio = torch.exp(logprob - old_logprob)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip, 1.0 + clip)
    return torch.maximum(unclipped, clipped), (clipped > unclipped).detach()
