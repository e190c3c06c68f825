"""Which outputs each training step uses, and padding them into tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn.utils.rnn import pad_sequence

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

    def stacked(rows: list[torch.Tensor], fill) -> torch.Tensor:
        return pad_sequence(rows, batch_first=True, padding_value=fill)

    ids = stacked([torch.as_tensor(e.input_ids, dtype=torch.long) for e in batch], pad_id)
    mask = stacked([torch.ones(len(e.input_ids), dtype=torch.long) for e in batch], 0)
    policy = stacked([torch.as_tensor(e.policy, dtype=torch.bool) for e in batch], False)
    return ids, mask, policy
