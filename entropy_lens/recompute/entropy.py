"""Per-token entropy and log-probability from last hidden states, chunk by chunk.

For a hidden state ``h`` [H] and lm-head weight ``W`` [V, H], the logits are ``z = W h`` and

    log p(v) = z_v − logsumexp(z),      H = logsumexp(z) − Σ_v softmax(z)_v · z_v   (nats).

Rows are processed ``chunk_size`` at a time, each chunk upcast to fp32, so the full fp32
[N, V] logits tensor is never held: peak extra memory is O(chunk_size · V), whatever N is.
"""

from __future__ import annotations

import functools

import torch


def entropy_and_logprob(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    *,
    chunk_size: int = 4096,
    bias: torch.Tensor | None = None,
    compiled: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Entropy of the next-token distribution and log-probability of ``targets``.

    Args:
        hidden: [N, H] last-layer hidden states (after the final norm), any float dtype.
        weight: [V, H] lm-head weight (same device/dtype as ``hidden``).
        targets: [N] token ids whose log-probability is wanted.
        chunk_size: rows per chunk; bounds memory at about ``chunk_size · V · 4`` bytes.
        bias: optional [V] lm-head bias.
        compiled: run each chunk through ``torch.compile``, so inductor can fuse the fp32 upcast,
            logsumexp and entropy sum; the eager chunk otherwise (``docs/recompute.md``).

    Returns:
        ``(entropy, logprob)``, both [N] float32, in nats.
    """
    chunk = _compiled_chunk() if compiled else _chunk
    n = hidden.shape[0]
    entropy = torch.empty(n, dtype=torch.float32, device=hidden.device)
    logprob = torch.empty(n, dtype=torch.float32, device=hidden.device)
    for start in range(0, n, chunk_size):
        rows = slice(start, min(start + chunk_size, n))
        entropy[rows], logprob[rows] = chunk(hidden[rows], weight, bias, targets[rows])
    return entropy, logprob


def _chunk(hidden, weight, bias, targets) -> tuple[torch.Tensor, torch.Tensor]:
    """Entropy and target log-probability of one chunk of rows, fp32 after the matmul."""
    logits = torch.nn.functional.linear(hidden, weight, bias).float()
    # −Σ p·log p on the shifted logits: no cancellation of two large terms (lse − Σ p·z) on peaked rows
    logp = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    entropy = -(logp.exp() * logp).sum(dim=-1)
    return entropy, logp.gather(1, targets.unsqueeze(1)).squeeze(1)


@functools.cache
def _compiled_chunk():
    """``_chunk`` under ``torch.compile``, built once (shapes vary per batch: ``dynamic=True``)."""
    return torch.compile(_chunk, dynamic=True)
