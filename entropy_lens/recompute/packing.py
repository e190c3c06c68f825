"""Packing sequences into rows without padding, isolated by a document block-diagonal causal mask.

Several sequences ("documents") share one row; position ids restart at 0 for each, and token ``q``
attends to token ``k`` only when both belong to the same document and ``k ≤ q``. Position ids
alone do not isolate them (DESIGN §4, ``docs/recompute.md`` "Packing"): the mask is passed
explicitly, in the form the model's attention implementation takes —

* ``flex_attention``: a ``BlockMask`` from ``create_block_mask`` (block-sparse: fully masked
  128×128 tiles are skipped, so a long row costs Σ Tᵢ², not (Σ Tᵢ)²);
* ``sdpa`` / ``eager``: a dense 4-D mask ``[R, 1, L, L]`` (boolean, or additive for eager).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch


def pack_rows(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """Indices grouped into rows of at most ``capacity`` tokens, first-fit decreasing.

    A sequence longer than ``capacity`` gets a row of its own.

    >>> pack_rows([5, 100, 7, 90], capacity=110)
    [[1, 2], [3, 0]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    rows: list[list[int]] = []
    room: list[int] = []
    for index in order:
        for row, free in enumerate(room):
            if lengths[index] <= free:
                rows[row].append(index)
                room[row] -= lengths[index]
                break
        else:
            rows.append([index])
            room.append(capacity - lengths[index])
    return rows


@dataclass
class PackedRows:
    """Rows of packed sequences, right-padded only to the longest row. All tensors [R, L]."""

    input_ids: torch.Tensor  #: int64
    position_ids: torch.Tensor  #: int64, restarting at 0 per document
    documents: torch.Tensor  #: int64 document index within the pass, -1 on row padding
    policy: torch.Tensor  #: bool, the tokens the policy wrote
    starts: list[tuple[int, int]]  #: per document (in input order): (row, first column)


def pack(sequences: Sequence[Sequence[int]], policy: Sequence[np.ndarray], capacity: int, pad_id: int) -> PackedRows:
    """Lay ``sequences`` (with their per-token policy masks) into rows of ``capacity`` tokens."""
    rows = pack_rows([len(s) for s in sequences], capacity)
    width = max(sum(len(sequences[i]) for i in row) for row in rows)
    shape = (len(rows), width)
    ids = torch.full(shape, pad_id, dtype=torch.long)
    positions = torch.zeros(shape, dtype=torch.long)
    documents = torch.full(shape, -1, dtype=torch.long)
    is_policy = torch.zeros(shape, dtype=torch.bool)
    starts: list[tuple[int, int]] = [(0, 0)] * len(sequences)
    for r, row in enumerate(rows):
        column = 0
        for doc in row:
            n = len(sequences[doc])
            span = slice(column, column + n)
            ids[r, span] = torch.as_tensor(sequences[doc])
            positions[r, span] = torch.arange(n)
            documents[r, span] = doc
            is_policy[r, span] = torch.from_numpy(np.asarray(policy[doc], dtype=bool))
            starts[doc] = (r, column)
            column += n
    return PackedRows(ids, positions, documents, is_policy, starts)


def document_mask(documents: torch.Tensor, implementation: str, dtype: torch.dtype):
    """The document block-diagonal causal mask for ``documents`` [R, L], as ``implementation`` takes it."""
    if implementation == "flex_attention":
        return _block_mask(documents)
    length = documents.shape[1]
    causal = torch.ones(length, length, dtype=torch.bool, device=documents.device).tril()
    same = documents[:, :, None] == documents[:, None, :]
    allowed = (same & causal & (documents[:, :, None] >= 0))[:, None]  # [R, 1, L, L]
    # a padding query attends to nothing; let it see itself so its (unused) softmax stays finite
    allowed |= torch.eye(length, dtype=torch.bool, device=documents.device)
    if implementation == "eager":
        return torch.zeros(allowed.shape, dtype=dtype, device=documents.device).masked_fill(
            ~allowed, torch.finfo(dtype).min
        )
    return allowed


def _block_mask(documents: torch.Tensor):
    from torch.nn.attention.flex_attention import create_block_mask

    def same_document_causal(b, h, q, k):
        return (documents[b, q] == documents[b, k]) & (k <= q) | (q == k)

    rows, length = documents.shape
    # compiled mask construction on CUDA (never the dense [L, L] mask); eager on CPU, where compiling is slow
    return create_block_mask(
        same_document_causal, rows, None, length, length, device=documents.device, _compile=documents.is_cuda
    )
