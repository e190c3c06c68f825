"""Which outputs each training step uses, and padding them into tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from entropy_lens.seal.tokens import Encoded


def schedule(n: int, batch_size: int, step: int, seed: int) -> list[int]:
    """Indices of the ``batch_size`` outputs of training step ``step`` (1-based) among ``n``.

    Outputs are visited epoch by epoch, each epoch a permutation seeded by ``(seed, epoch)``; the
    batch is a pure function of its arguments, so a resumed run sees the same batches.

    >>> schedule(4, 3, 1, seed=0) + schedule(4, 3, 2, seed=0)[:1] == schedule(4, 4, 1, seed=0)
    True
    """
    first = (step - 1) * batch_size
    orders: dict[int, list[int]] = {}
    chosen = []
    for position in range(first, first + batch_size):
        epoch, index = divmod(position, n)
        if epoch not in orders:
            orders[epoch] = _permutation(n, seed, epoch).tolist()
        chosen.append(orders[epoch][index])
    return chosen


def _permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator)


def pad(batch: Sequence[Encoded], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded ``input_ids``, attention mask and policy-token mask, each [B, T]."""
    longest = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    policy = torch.zeros((len(batch), longest), dtype=torch.bool)
    for row, item in enumerate(batch):
        n = len(item.input_ids)
        ids[row, :n] = torch.as_tensor(item.input_ids)
        mask[row, :n] = 1
        policy[row, :n] = torch.as_tensor(item.policy)
    return ids, mask, policy
