"""Forward-only scoring of encoded sequences under a causal LM.

Per pass — a length-sorted padded batch, or rows of sequences packed without padding
(``packing.py``) — one run of the model body (no lm-head), then the lm-head only at the positions
that predict policy tokens (``entropy.entropy_and_logprob``, chunked), and the hidden states pooled
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
from entropy_lens.recompute.packing import document_mask, pack, pack_rows


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
    packing: str = "auto",
    compiled_head: bool = False,
) -> Iterator[Scored]:
    """Score every sequence, a token-budgeted forward pass at a time.

    On a CUDA out-of-memory error the pass is split in two and retried.

    Args:
        model: an HF ``*ForCausalLM`` in eval mode.
        encoded: sequences from ``encoding.encode``.
        token_budget: tokens per forward pass (padded tokens, or packed-row tokens).
        chunk_size: lm-head rows per chunk (memory knob).
        layers: hidden-state layers to pool (``-1`` = last, after the final norm).
        pad_id: id used for padding (masked out).
        packing: ``"packed"`` (rows without padding, document block mask, ``packing.py``),
            ``"padded"`` (length-sorted padded batches) or ``"auto"`` (``PACKING_DEFAULT``).
        compiled_head: the lm-head + entropy chunk under ``torch.compile`` (``entropy.py``).
    """
    packed = _resolve_packing(packing, model)
    lengths = [len(e.input_ids) for e in encoded]
    row_tokens = _row_tokens(model, lengths, token_budget)
    if packed:
        rows = pack_rows(lengths, row_tokens)
        groups = token_budget_batches([sum(lengths[i] for i in row) for row in rows], token_budget)
        passes = [[i for r in group for i in rows[r]] for group in groups]
    else:
        passes = token_budget_batches(lengths, token_budget)
    settings = _Settings(chunk_size, tuple(layers), pad_id, packed, row_tokens, compiled_head)
    for batch in passes:
        yield from _score_with_backoff(model, [encoded[i] for i in batch], settings)


#: ``packing="auto"`` per device type, chosen by ``bench/recompute_speed.py`` (docs/recompute.md "Packing")
PACKING_DEFAULT = {"cpu": "padded", "cuda": "padded"}


@dataclass(frozen=True)
class _Settings:
    chunk_size: int
    layers: tuple[int, ...]
    pad_id: int
    packed: bool
    row_tokens: int
    compiled_head: bool


def _resolve_packing(packing: str, model) -> bool:
    if packing == "auto":
        packing = PACKING_DEFAULT.get(next(model.parameters()).device.type, "padded")
    if packing not in ("packed", "padded"):
        raise ValueError(f"packing must be 'packed', 'padded' or 'auto', not {packing!r}")
    return packing == "packed"


def _row_tokens(model, lengths: Sequence[int], token_budget: int) -> int:
    """Packed-row capacity: the whole budget under flex_attention's block-sparse mask; under a dense
    [L, L] mask attention costs (row length)², so rows stop at the longest sequence."""
    if model.config._attn_implementation == "flex_attention":
        return token_budget
    return min(token_budget, max(lengths, default=1))


def _score_with_backoff(model, batch, settings: _Settings) -> list[Scored]:
    try:
        return _score_batch(model, batch, settings)
    except torch.OutOfMemoryError:
        if len(batch) == 1:
            raise
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        half = len(batch) // 2
        return _score_with_backoff(model, batch[:half], settings) + _score_with_backoff(model, batch[half:], settings)


@torch.inference_mode()
def _score_batch(model, batch: Sequence[Encoded], settings: _Settings) -> list[Scored]:
    device = next(model.parameters()).device
    forward = _packed_forward if settings.packed else _padded_forward
    out, ids, policy, documents = forward(model, batch, settings, device)
    last = out.last_hidden_state  # [R, L, H]
    # every policy position, row-major; hidden at p-1 predicts token p
    rows, cols = policy.nonzero(as_tuple=True)
    head = model.get_output_embeddings()
    ent, logp = entropy_and_logprob(
        last[rows, cols - 1], head.weight, ids[rows, cols],
        chunk_size=settings.chunk_size, bias=head.bias, compiled=settings.compiled_head,
    )
    owner = documents[rows, cols]  # [P] sequence index of each policy position
    order = torch.sort(owner, stable=True).indices  # by sequence, positions ascending within it
    counts = torch.bincount(owner, minlength=len(batch))  # [n]
    states = [last if layer == -1 else out.hidden_states[layer] for layer in settings.layers]
    pooled = torch.stack([_pool(s[rows, cols], owner, counts) for s in states], dim=1)  # [n, k, H]
    per_seq = counts.cpu().tolist()
    split = np.cumsum(per_seq)[:-1]
    ent_rows = np.split(ent[order].cpu().numpy(), split)
    logp_rows = np.split(logp[order].cpu().numpy(), split)
    pooled = pooled.cpu().numpy()
    pooled[np.asarray(per_seq) == 0] = np.nan  # no policy token: nothing to pool
    return [_scored(item, ent_rows[k], logp_rows[k], pooled[k]) for k, item in enumerate(batch)]


def _pool(states: torch.Tensor, owner: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Mean of ``states`` [P, H] per owning sequence: [n, H] (fp32)."""
    sums = torch.zeros(len(counts), states.shape[-1], dtype=torch.float32, device=states.device)
    sums.index_add_(0, owner, states.float())
    return sums / counts.clamp(min=1).unsqueeze(-1)


def _padded_forward(model, batch, settings: _Settings, device):
    ids, mask, policy = _pad(batch, settings.pad_id)
    ids, mask, policy = ids.to(device), mask.to(device), policy.to(device)
    documents = torch.arange(len(batch), device=device).unsqueeze(1).expand_as(ids)
    # no padding in the batch: drop the mask so sdpa can take its causal (flash) kernel
    mask = None if bool(mask.all()) else mask
    out = model.base_model(input_ids=ids, attention_mask=mask, output_hidden_states=_wants_all(settings))
    return out, ids, policy, documents


def _packed_forward(model, batch, settings: _Settings, device):
    rows = pack([e.input_ids for e in batch], [e.policy_mask() for e in batch], settings.row_tokens, settings.pad_id)
    ids, positions, documents, policy = (
        t.to(device) for t in (rows.input_ids, rows.position_ids, rows.documents, rows.policy)
    )
    mask = document_mask(documents, model.config._attn_implementation, model.dtype)
    out = model.base_model(
        input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=_wants_all(settings)
    )
    return out, ids, policy, documents


def _wants_all(settings: _Settings) -> bool:
    return any(layer != -1 for layer in settings.layers)


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
