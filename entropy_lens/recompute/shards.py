"""Scoring on several processes (``torchrun``): ranks, token-balanced shards, and agreement.

``torchrun`` starts one process per GPU (or per CPU worker) and sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE``. Every rank reads the run, selects and tokenises the same
rollouts, and takes its shard (``balanced_shards``: every rank computes the same partition from the
token lengths, so no data is exchanged). Each rank writes its part (``parts``); rank 0 merges the
parts. The only messages exchanged are each rank's status (``agree``) and rank 0's result
(``share``): a rank that fails makes every rank fail, and rank 0 names the failing rank.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from entropy_lens.errors import InvalidInput, RankFailed


@dataclass(frozen=True)
class World:
    """This process's place among the processes ``torchrun`` started (one process: rank 0 of 1)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that merges, prints and shows progress."""
        return self.rank == 0


def world_from_env(environ=os.environ) -> World:
    """The ``World`` that ``torchrun``'s environment variables describe (none set: one process)."""
    try:
        values = [int(environ.get(name, default)) for name, default in
                  (("RANK", 0), ("WORLD_SIZE", 1), ("LOCAL_RANK", 0), ("LOCAL_WORLD_SIZE", 1))]
    except ValueError:
        raise InvalidInput("RANK/WORLD_SIZE", "torchrun's environment variables are not integers") from None
    return World(*values)


def balanced_shards(lengths: Sequence[int], n: int) -> list[list[int]]:
    """Indices of ``lengths`` split into ``n`` shards of nearly equal total tokens.

    Greedy: longest first (ties: lower index), each to the shard with the fewest tokens so far (ties:
    the lower shard). Deterministic, so every rank computes the same split; the largest shard holds at
    most the mean plus the longest sequence. Each shard's indices are returned in ascending order.

    >>> balanced_shards([5, 100, 7, 90], 2)
    [[1], [0, 2, 3]]
    """
    loads = [0] * n
    shards: list[list[int]] = [[] for _ in range(n)]
    for index in sorted(range(len(lengths)), key=lambda i: (-lengths[i], i)):
        target = min(range(n), key=lambda s: (loads[s], s))
        loads[target] += lengths[index]
        shards[target].append(index)
    return [sorted(shard) for shard in shards]


def rank_device(world: World, device: str, device_map: str | None = None) -> str:
    """The device of this rank: ``auto``/``cuda`` → ``cuda:LOCAL_RANK`` when CUDA exists.

    Raises:
        InvalidInput: one CUDA device named for several ranks of a node, or ``device_map`` (which
            spreads one model over every GPU of the node) with several ranks on a node.
    """
    if device_map is not None and world.local_size > 1:
        raise InvalidInput("--device-map", f"{device_map} spreads one model over all GPUs of a node, but torchrun "
                           f"started {world.local_size} ranks on this node; use --nproc-per-node 1")
    if world.size == 1:
        return device
    import torch

    if device in ("auto", "cuda"):
        return f"cuda:{world.local_rank}" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda:") and world.local_size > 1:
        raise InvalidInput("--device", f"{device} names one GPU, but torchrun started {world.local_size} ranks "
                           "on this node; use --device auto (each rank takes cuda:LOCAL_RANK)")
    return device


@contextmanager
def joined(world: World, device: str) -> Iterator[None]:
    """Join the process group for the block (nccl on CUDA, gloo on CPU); nothing for one process.

    A group the caller already joined is used as it is and left open.
    """
    if world.size == 1:
        yield
        return
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        yield
        return
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.set_device(torch.device(device))
    dist.init_process_group("nccl" if cuda else "gloo", **({"device_id": torch.device(device)} if cuda else {}))
    try:
        yield
        dist.barrier()  # no rank tears its connections down while a peer still finishes the last exchange
    finally:
        dist.destroy_process_group()


def agree(world: World, where, error: BaseException | None, record: dict | None = None) -> list[dict]:
    """Every rank's ``record`` (what it wrote), once every rank got here; raise on every rank if any failed.

    A rank re-raises its own error; the others raise ``RankFailed`` naming the first failed rank.
    """
    host = socket.gethostname()
    mine = {"rank": world.rank, "host": host, "error": None if error is None else f"{type(error).__name__}: {error}"}
    mine |= record or {}
    statuses = [mine] if world.size == 1 else _all_gather(world, mine)
    if error is not None:
        raise error
    failed = [status for status in statuses if status["error"]]
    if failed:
        first = failed[0]
        raise RankFailed(where, f"rank {first['rank']} (host {first['host']}) failed: {first['error']}; "
                         "the outputs were not written")
    return statuses


def fail(world: World, where, error: BaseException) -> None:
    """This rank failed before scoring: join the two exchanges the other ranks are in (``agree``,
    ``share``), so that none waits forever, and raise ``error``."""
    try:
        agree(world, where, error)
    except Exception as raised:
        share(world, where, None, raised)


def share(world: World, where, result: dict | None, error: BaseException | None) -> dict:
    """Rank 0's ``result`` on every rank; rank 0's error is raised on rank 0 and a ``RankFailed`` elsewhere."""
    if world.size == 1:
        if error is not None:
            raise error
        return result
    import torch.distributed as dist

    box = [None if error is not None else result, None if error is None else f"{type(error).__name__}: {error}"]
    dist.broadcast_object_list(box, src=0)
    if error is not None:
        raise error
    if box[1] is not None:
        raise RankFailed(where, f"rank 0 failed to merge the parts: {box[1]}")
    return box[0]


def _all_gather(world: World, mine: dict) -> list[dict]:
    import torch.distributed as dist

    gathered: list = [None] * world.size
    dist.all_gather_object(gathered, mine)
    return gathered
