"""Options shared by several commands, each checked when parsed (a bad value is one ``Error:`` line).

``--strict``, ``--columns`` and ``--run`` map to the keyword arguments of the same name of
``entropy_lens.read_run``; ``--quiet`` hides the progress bars (``entropy_lens.progress``);
``--sensitivity`` is ``phases_of_run``'s, ``--env`` the detectors', ``--device``, ``--device-map``
and ``--trust-checkpoint`` ``models.load_policy``'s.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Annotated

import typer

from entropy_lens import progress
from entropy_lens.environments import ENVIRONMENTS
from entropy_lens.models import DEVICE_MAPS
from entropy_lens.readers.columns import ROLLOUT_FIELDS, parse_columns


def _columns(text: str) -> dict[str, str]:
    try:
        return parse_columns(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


Strict = Annotated[bool, typer.Option("--strict", help="Fail on the first unparsable line.")]

Columns = Annotated[
    dict | None,
    typer.Option(
        parser=_columns,
        metavar="NAME=COLUMN,…",
        help="Column names of a generic CSV/JSONL/Parquet table: for metrics e.g. "
        "step=Step,entropy=ent_mean; for rollouts e.g. prompt=question,response=answer,step=iter "
        f"(also {', '.join(f for f in ROLLOUT_FIELDS if f not in ('step', 'prompt', 'response'))}).",
    ),
]

RunName = Annotated[
    str | None,
    typer.Option("--run", metavar="NAME", help="Which run, when the folder holds several (`inspect` lists them)."),
]

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars on stderr.")]

JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

#: The smallest ``--sensitivity``: it divides the change-point penalty (and the eruption threshold's
#: square), so it must be positive; 0.01 makes the penalty 100 times the default.
MIN_SENSITIVITY = 0.01


def _sensitivity(value: float) -> float:
    if not math.isfinite(value) or value < MIN_SENSITIVITY:
        raise typer.BadParameter(f"{value} is not a finite number ≥ {MIN_SENSITIVITY}")
    return value


Sensitivity = Annotated[
    float,
    typer.Option(
        callback=_sensitivity, help=f">1 finds smaller eruptions, <1 fewer (≥ {MIN_SENSITIVITY})."
    ),
]


@contextmanager
def progress_unless(quiet: bool) -> Iterator[None]:
    """Progress bars on stderr for the block, unless ``--quiet``. The bars of Hugging Face libraries
    (transformers' "Loading weights") follow ours: hidden with ``--quiet`` or when stderr is not a
    terminal."""
    from rich.console import Console

    with progress.enabled(not quiet):
        if not quiet and Console(stderr=True).is_terminal:
            yield
            return
        transformers = sys.modules.get("transformers")
        if transformers is None:  # read when huggingface_hub is first imported, for the process
            os.environ[_HF_BARS] = "1"
            yield
            return
        was_on = transformers.utils.logging.is_progress_bar_enabled()
        transformers.utils.logging.disable_progress_bar()
        try:
            yield
        finally:
            if was_on:
                transformers.utils.logging.enable_progress_bar()


_HF_BARS = "HF_HUB_DISABLE_PROGRESS_BARS"


def _env(value: str | None) -> str | None:
    if value is not None and value not in ENVIRONMENTS:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(ENVIRONMENTS)}")
    return value


Env = Annotated[
    str | None,
    typer.Option(
        callback=_env,
        metavar="NAME",
        help=f"Environment format for the detectors: {', '.join(ENVIRONMENTS)} (default: recognised from the prompts).",
    ),
]


def _device(value: str) -> str:
    if value == "auto":
        return value
    import torch

    try:
        chosen = torch.device(value)
    except RuntimeError:
        raise typer.BadParameter(f"'{value}' is not a device (auto, cpu, cuda, cuda:1, …)") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise typer.BadParameter(f"'{value}': no CUDA device here; use auto or cpu")
    return value


class Split(str, Enum):
    """Which rollouts to use."""

    train = "train"
    val = "val"
    all = "all"


Device = Annotated[str, typer.Option(callback=_device, help="Device for the model: auto, cpu, cuda, cuda:1, ….")]

DeviceMapName = Enum("DeviceMapName", {name: name for name in DEVICE_MAPS}, type=str)

DeviceMap = Annotated[
    DeviceMapName | None,
    typer.Option(
        "--device-map",
        help="auto: spread the model's layers over all GPUs of this node (accelerate), for a model larger "
        "than one GPU; replaces --device.",
    ),
]

TrustCheckpoint = Annotated[
    bool, typer.Option("--trust-checkpoint", help="Allow full unpickling of .pt shards (only for files you trust).")
]
