"""Merging verl/SkyRL FSDP shards ``model_world_size_W_rank_R.pt`` into one state dict, on CPU, without verl.

``models.load_policy`` builds a model from the merged dict and the ``huggingface/`` config beside
the shards. torch is imported inside the functions.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

from entropy_lens.errors import CheckpointNotFound, InvalidInput, UntrustedCheckpoint
from entropy_lens.readers.checkpoints import shard_files


def merge_fsdp_shards(folder: str | Path, *, trust_checkpoint: bool = False) -> dict:
    """The full state dict of verl/SkyRL FSDP shards ``model_world_size_W_rank_R.pt``, on CPU, without verl.

    DTensor entries (FSDP2 ``fully_shard``; FSDP1 ``SHARDED_STATE_DICT`` over a device mesh) are
    stitched by their placements over the mesh: ``Shard(d)`` → concatenated along ``d`` in mesh
    order, ``Replicate`` → the first copy. Plain tensors are concatenated along dim 0 in rank order
    (as verl's ``model_merger/fsdp_model_merger.py`` does). dtypes are kept.

    Returns:
        ``{key: tensor}`` with every tensor at its full (global) shape.

    Raises:
        UntrustedCheckpoint: ``weights_only=True`` refused a shard and ``trust_checkpoint`` is off.
        InvalidInput: ranks disagree on keys, a placement is unsupported (Partial, strided), or a file
            is unreadable.
        CheckpointNotFound: ``folder`` holds no shards.
    """
    folder = Path(folder)
    files = shard_files(folder)
    if not files:
        raise CheckpointNotFound(folder, "no model_world_size_W_rank_R.pt shards")
    shards = [_load_shard(file, trust_checkpoint) for file in files]
    keys = list(shards[0])
    for file, shard in zip(files[1:], shards[1:], strict=True):
        if odd := sorted(set(shard) ^ set(keys)):
            raise InvalidInput(file, f"holds other keys than {files[0].name}: {odd[:5]}")
    return {key: _merge_key(key, [shard.pop(key) for shard in shards], files[0]) for key in keys}


def _load_shard(path: Path, trust_checkpoint: bool) -> dict:
    import torch
    import torch.distributed.tensor  # noqa: F401  (registers DTensor with the safe unpickler)

    # torch warns for every DeviceMesh unpickled without process groups: harmless here
    mesh_log = logging.getLogger("torch.distributed.device_mesh")
    level = mesh_log.level
    mesh_log.setLevel(logging.ERROR)
    try:
        state = torch.load(path, map_location="cpu", weights_only=not trust_checkpoint, mmap=True)
    except pickle.UnpicklingError as exc:
        if trust_checkpoint:
            raise InvalidInput(path, f"cannot be unpickled ({exc})") from None
        lines = str(exc).splitlines()  # keep the line naming the refused global
        detail = next((line for line in lines if "global" in line.lower()), lines[0])
        raise UntrustedCheckpoint(path, detail) from None
    except (RuntimeError, OSError, EOFError) as exc:
        raise InvalidInput(path, f"not a readable torch.save file ({exc})") from None
    finally:
        mesh_log.setLevel(level)
    if not isinstance(state, dict):
        raise InvalidInput(path, f"holds a {type(state).__name__}, not a state dict")
    return state


def _merge_key(key: str, values: list, where: Path):
    """One full tensor from its per-rank values (rank order)."""
    import torch
    from torch.distributed.tensor import DTensor

    first = values[0]
    if isinstance(first, DTensor):
        try:
            merged = _stitch(first.device_mesh.mesh, tuple(first.placements), [v.to_local() for v in values])
        except ValueError as exc:
            raise InvalidInput(where, f"{key}: {exc}") from None
        if merged.shape != first.shape:
            raise InvalidInput(where, f"{key}: stitched {tuple(merged.shape)}, not {tuple(first.shape)}")
        return merged
    if isinstance(first, torch.Tensor):
        return torch.cat(values, dim=0)
    raise InvalidInput(where, f"{key}: unsupported entry of type {type(first).__name__}")


def _stitch(mesh, placements: tuple, local: list):
    """Reassemble a tensor from per-rank pieces ``local[rank]`` over ``mesh`` (int tensor of ranks).

    DTensor splits along the outer mesh dimension first, so inner dimensions are joined first.
    """
    import torch
    from torch.distributed.tensor import Replicate, Shard

    if mesh.ndim == 0:
        return local[int(mesh)]
    parts = [_stitch(sub, placements[1:], local) for sub in mesh]
    placement = placements[0]
    if isinstance(placement, Replicate):
        return parts[0]
    if type(placement) is Shard:
        return torch.cat(parts, dim=placement.dim)
    raise ValueError(f"placement {placement} is not supported (only Shard and Replicate)")
