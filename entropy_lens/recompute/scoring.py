"""Forward-only scoring of encoded sequences under a causal LM.

Per batch: one pass of the model body (no lm-head), then the lm-head only at the positions that
predict policy tokens (``entropy.entropy_and_logprob``, chunked), and the hidden states pooled
over policy tokens. Prompt and observation tokens — most tokens in agent rollouts — never touch
the [V]-wide lm-head.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from entropy_lens.recompute.batching import token_budget_batches
from entropy_lens.recompute.encoding import Encoded
from entropy_lens.recompute.entropy import entropy_and_logprob


@dataclass
class Scored:
    """Scores of one sequence. Arrays are indexed by position ``0..T-1``."""

    sample_id: str
    input_ids: np.ndarray  #: [T] int64
    is_policy: np.ndarray  #: [T] bool, the tokens the policy wrote
    entropy: np.ndarray  #: [T] float32, NaN off-policy (nats)
    logprob: np.ndarray  #: [T] float32, NaN off-policy
    pooled: np.ndarray  #: [n_layers, H] float32, mean hidden state over policy positions


def score(
    model: torch.nn.Module,
    encoded: Sequence[Encoded],
    *,
    token_budget: int = 16384,
    chunk_size: int = 4096,
    layers: Sequence[int] = (-1,),
    pad_id: int = 0,
) -> Iterator[Scored]:
    """Score every sequence, a length-sorted, token-budgeted batch at a time.

    On a CUDA out-of-memory error the batch is split in two and retried.

    Args:
        model: an HF ``*ForCausalLM`` in eval mode.
        encoded: sequences from ``encoding.encode``.
        token_budget: padded tokens per forward pass.
        chunk_size: lm-head rows per chunk (memory knob).
        layers: hidden-state layers to pool (``-1`` = last, after the final norm).
        pad_id: id used for padding (masked out).
    """
    lengths = [len(e.input_ids) for e in encoded]
    for batch in token_budget_batches(lengths, token_budget):
        yield from _score_with_backoff(model, [encoded[i] for i in batch], chunk_size, layers, pad_id)


def _score_with_backoff(model, batch, chunk_size, layers, pad_id) -> list[Scored]:
    try:
        return _score_batch(model, batch, chunk_size, layers, pad_id)
    except torch.OutOfMemoryError:
        if len(batch) == 1:
            raise
        torch.cuda.empty_cache()
        half = len(batch) // 2
        return _score_with_backoff(model, batch[:half], chunk_size, layers, pad_id) + _score_with_backoff(
            model, batch[half:], chunk_size, layers, pad_id
        )


@torch.inference_mode()
def _score_batch(model, batch: Sequence[Encoded], chunk_size, layers, pad_id) -> list[Scored]:
    device = next(model.parameters()).device
    ids, mask, policy = _pad(batch, pad_id)
    ids, mask, policy = ids.to(device), mask.to(device), policy.to(device)
    wants_all = any(layer != -1 for layer in layers)
    # no padding in the batch: drop the mask so sdpa can take its causal (flash) kernel
    mask = None if bool(mask.all()) else mask
    out = model.base_model(input_ids=ids, attention_mask=mask, output_hidden_states=wants_all)
    last = out.last_hidden_state  # [B, T, H]
    # every policy position of the batch, row-major; hidden at p-1 predicts token p
    rows, cols = policy.nonzero(as_tuple=True)
    head = model.get_output_embeddings()
    ent, logp = entropy_and_logprob(
        last[rows, cols - 1], head.weight, ids[rows, cols], chunk_size=chunk_size, bias=head.bias
    )
    weights = policy.unsqueeze(-1).float()  # [B, T, 1]
    counts = weights.sum(dim=1).clamp(min=1)  # [B, 1]
    states = [last if layer == -1 else out.hidden_states[layer] for layer in layers]
    pooled = torch.stack([(s.float() * weights).sum(dim=1) / counts for s in states], dim=1)  # [B, k, H]
    per_row = policy.sum(dim=1).cpu().tolist()
    ent_rows = np.split(ent.cpu().numpy(), np.cumsum(per_row)[:-1])
    logp_rows = np.split(logp.cpu().numpy(), np.cumsum(per_row)[:-1])
    pooled = pooled.cpu().numpy()
    pooled[np.asarray(per_row) == 0] = np.nan  # no policy token: nothing to pool
    return [
        _scored(item, ent_rows[row], logp_rows[row], pooled[row]) for row, item in enumerate(batch)
    ]


def _pad(batch: Sequence[Encoded], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded ``input_ids``, attention mask and policy-token mask, each [B, T]."""
    longest = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    policy = torch.zeros((len(batch), longest), dtype=torch.bool)
    for row, item in enumerate(batch):
        n = len(item.input_ids)
        ids[row, :n] = torch.as_tensor(item.input_ids)
        mask[row, :n] = 1
        policy[row, :n] = torch.from_numpy(item.policy_mask())
    return ids, mask, policy


def _scored(item: Encoded, entropy_policy, logprob_policy, pooled) -> Scored:
    """Place the policy-position scores into full-length arrays (NaN off-policy)."""
    is_policy = item.policy_mask()
    entropy = np.full(len(item.input_ids), np.nan, dtype=np.float32)
    logprob = np.full(len(item.input_ids), np.nan, dtype=np.float32)
    entropy[is_policy] = entropy_policy
    logprob[is_policy] = logprob_policy
    return Scored(item.sample_id, np.asarray(item.input_ids), is_policy, entropy, logprob, pooled)
