"""Grouping token sequences into padded batches by token budget.

Agent rollouts have very uneven lengths (prompts 0.5–4k tokens, outputs 30–500): sorting by
length and filling each batch up to a budget of *padded* tokens keeps padding waste small and
memory flat, the way verl's dynamic batch size does for log-prob recomputation.
"""

from __future__ import annotations

from collections.abc import Sequence


def token_budget_batches(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Indices grouped so that each batch's padded size (count × longest) fits ``budget``.

    Sequences are taken longest first; a single sequence longer than the budget gets a batch of
    its own.

    >>> token_budget_batches([5, 100, 7, 90], budget=200)
    [[1, 3], [2, 0]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = lengths[current[0]] if current else lengths[index]
        if current and (len(current) + 1) * longest > budget:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
