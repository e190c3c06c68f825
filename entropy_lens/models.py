"""Loading a policy (model + tokenizer) from a checkpoint: the only module that loads models.

torch and transformers are imported inside the functions, so readers, phases, detectors and the
report import without them. Accepted paths (``resolve_checkpoint``):

* an HF model folder (``config.json`` + safetensors, else ``pytorch_model*.bin``);
* any checkpoint folder ``readers.checkpoints`` discovers (verl/SkyRL ``global_step_N``, TRL
  ``checkpoint-N``, OpenRLHF ``global_step<N>_hf``, AReaL ``epoch…globalstep<G>``), or a trainer's
  checkpoint directory holding several (the tracker file's step, else the highest with weights);
* a folder of verl/SkyRL FSDP shards ``model_world_size_W_rank_R.pt`` beside ``huggingface/``
  (config + tokenizer), merged on CPU without verl (``fsdp_shards.merge_fsdp_shards``);
* a ``.gguf`` file, or a folder holding one (dequantised by transformers; needs ``gguf``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from entropy_lens.errors import CheckpointNotFound, InvalidInput, MissingDependency
from entropy_lens.fsdp_shards import merge_fsdp_shards
from entropy_lens.readers import checkpoints as layouts
from entropy_lens.readers.checkpoints import Checkpoint, has_hf_weights, shard_files

DTYPES = ("auto", "bfloat16", "float16", "float32")

#: ``device_map`` strategies: ``auto`` spreads the layers over this node's GPUs (accelerate's
#: big-model inference, ``from_pretrained(device_map="auto")``); CPU alone when there is no GPU.
DEVICE_MAPS = ("auto",)


def resolve_checkpoint(path: str | Path) -> Path:
    """The HF folder, FSDP shard folder or ``.gguf`` file to load for ``path``.

    Raises:
        CheckpointNotFound: nothing loadable at ``path``; the message says what is there.
        InvalidInput: FSDP shards of some rank are missing (an interrupted save).
    """
    root = Path(path)
    if not root.exists():
        raise CheckpointNotFound(root, "does not exist")
    if root.is_file():
        if root.suffix == ".gguf":
            return root
        raise CheckpointNotFound(root, "is a file, but not a .gguf model; pass a checkpoint folder")
    if has_hf_weights(root) or shard_files(root):
        return root
    ggufs = sorted(root.glob("*.gguf"))
    if len(ggufs) == 1 and not (root / "config.json").is_file():
        return ggufs[0]
    info = layouts.checkpoint_info(root) or layouts.latest_checkpoint(root)
    if info is not None and info.weights is not None:
        return info.weights
    raise CheckpointNotFound(root, _found(root, info))


def _found(root: Path, info: Checkpoint | None) -> str:
    if info is not None:
        return f"{info.format} checkpoint of step {info.step} at {info.path} has no weights: {info.note}"
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())
    shown = ", ".join(names[:8]) + (f" (+{len(names) - 8} more)" if len(names) > 8 else "")
    return (
        "no HF config.json + weights, FSDP model_world_size_*_rank_*.pt shards, .gguf file or trainer "
        f"checkpoint folder; found: {shown or 'nothing'}"
    )


def load_policy(
    path: str | Path,
    *,
    dtype: str = "auto",
    device: str = "cpu",
    device_map: str | None = None,
    trust_checkpoint: bool = False,
) -> tuple:
    """Load ``(model, tokenizer)`` in eval mode from anything ``resolve_checkpoint`` accepts.

    Args:
        path: HF folder, checkpoint folder, trainer checkpoint directory, shard folder or ``.gguf``.
        dtype: ``auto`` (the checkpoint's own dtype on an accelerator, float32 on CPU), ``bfloat16``,
            ``float16`` or ``float32``.
        device: ``cpu``, ``cuda``, ``cuda:1``, … or ``auto`` (CUDA when available); ignored with ``device_map``.
        device_map: ``auto``: the model's layers spread over every GPU of the node (``spread``), for
            models larger than one GPU; ``None``: all of it on ``device``.
        trust_checkpoint: unpickle ``.pt`` shards fully (``weights_only=False``): only for files you trust.

    Returns:
        A transformers causal LM on ``device`` and its tokenizer.

    Raises:
        CheckpointNotFound: nothing loadable, or no tokenizer beside the weights.
        UntrustedCheckpoint: a shard needs full unpickling and ``trust_checkpoint`` is off.
        InvalidInput: weights do not match the config (every key must match), a bad ``dtype`` or
            ``device_map``, or a model that does not fit the GPUs without offloading.
        MissingDependency: torch, transformers (or gguf, for ``.gguf``) is not installed.
    """
    torch, transformers = _libraries()
    if dtype not in DTYPES:
        raise InvalidInput(path, f"dtype must be one of {', '.join(DTYPES)} (got '{dtype}')")
    if device_map is not None and device_map not in DEVICE_MAPS:
        raise InvalidInput(path, f"device_map must be one of {', '.join(DEVICE_MAPS)} (got '{device_map}')")
    target = resolve_checkpoint(path)
    if device_map is not None:
        device = "auto"
    where = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device)
    chosen = "auto" if dtype == "auto" else getattr(torch, dtype)
    if chosen == "auto" and where.type == "cpu":
        chosen = torch.float32  # CPU half-precision kernels are slow and coarse
    auto = transformers.AutoModelForCausalLM.from_pretrained
    if target.suffix == ".gguf":
        if importlib.util.find_spec("gguf") is None:
            raise MissingDependency("gguf", "model", "Loading a GGUF checkpoint")
        tokenizer = _tokenizer(transformers, target.parent, gguf_file=target.name)
        model = _checked(target, auto, target.parent, gguf_file=target.name, dtype=chosen, device_map=device_map)
    elif shard_files(target):
        tokenizer = _tokenizer(transformers, target / "huggingface")
        model = _merged_model(transformers, target, chosen, trust_checkpoint, device_map)
    else:
        tokenizer = _tokenizer(transformers, target)
        safetensors = any(target.glob("*.safetensors"))  # preferred; .bin only when there are none
        model = _checked(target, auto, target, dtype=chosen, use_safetensors=safetensors, device_map=device_map)
    return (model.to(where) if device_map is None else spread(model, target)).eval(), tokenizer


def spread(model, where: Path):
    """A model accelerate placed over several devices, made scoreable as one.

    ``recompute.scoring`` feeds inputs on the device of the first parameter (the embeddings) and
    applies the lm-head weight to the body's output itself: the body's output is sent back to the
    embeddings' device and the lm-head moved there (its weight is tied to the embeddings in small
    models, and one [V, H] matrix in large ones).

    Raises:
        InvalidInput: accelerate offloaded weights to CPU or disk (the model does not fit the GPUs).
    """
    from accelerate.utils import send_to_device

    if any(p.device.type == "meta" for p in model.parameters()):
        raise InvalidInput(where, "does not fit this node's GPUs (accelerate offloaded weights to CPU or disk); "
                           "see docs/recompute.md \"Scale out\" for models larger than one node")
    home = model.get_input_embeddings().weight.device
    head = model.get_output_embeddings()
    if head.weight.device != home:
        head.to(home)
    model.base_model.register_forward_hook(lambda _module, _args, output: send_to_device(output, home))
    return model


def _libraries() -> tuple:
    """``(torch, transformers)``, or a ``MissingDependency`` naming the one that is absent."""
    try:
        import torch
    except ImportError:
        raise MissingDependency("torch", "model", "Loading a checkpoint") from None
    try:
        import transformers
    except ImportError:
        raise MissingDependency("transformers", "model", "Loading a checkpoint") from None
    return torch, transformers


def _checked(where: Path, load, *args, **options):
    """Call a transformers ``from_pretrained`` and insist that every weight matched the model."""
    try:
        model, info = load(*args, output_loading_info=True, **options)
    except (OSError, ValueError, RuntimeError) as exc:
        raise InvalidInput(where, f"transformers cannot load it: {exc}") from None
    kinds = ("missing_keys", "unexpected_keys", "mismatched_keys")
    mismatch = {k: sorted(map(str, info.get(k) or ())) for k in kinds}
    if any(mismatch.values()):
        detail = "; ".join(f"{k.replace('_', ' ')}: {', '.join(v[:5])}" for k, v in mismatch.items() if v)
        raise InvalidInput(where, f"weights do not match the model config ({detail})")
    return model


def _tokenizer(transformers, folder: Path, gguf_file: str | None = None):
    try:
        return transformers.AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointNotFound(folder, f"no usable tokenizer beside the weights ({exc})") from None


def _merged_model(transformers, folder: Path, dtype, trust_checkpoint: bool, device_map: str | None):
    """The HF model built from ``folder/huggingface/config.json`` and the merged FSDP shards."""
    config_dir = folder / "huggingface"
    if not (config_dir / "config.json").is_file():
        raise CheckpointNotFound(folder, "FSDP shards without huggingface/config.json (the architecture)")
    config = transformers.AutoConfig.from_pretrained(config_dir)
    model_class = transformers.MODEL_FOR_CAUSAL_LM_MAPPING.get(type(config), None)
    if model_class is None:
        raise InvalidInput(config_dir / "config.json", f"{type(config).__name__} is not a causal LM")
    state = merge_fsdp_shards(folder, trust_checkpoint=trust_checkpoint)
    return _checked(folder, model_class.from_pretrained, None, config=config, state_dict=state, dtype=dtype,
                    device_map=device_map)
