"""``entropy-lens seal --from CKPT ROLLOUTS --out DIR`` / ``--from-diagnosis DIAG_DIR``: SEAL fine-tune."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import Quiet, Split, progress_unless
from entropy_lens.errors import InvalidInput
from entropy_lens.seal.config import SealConfig, from_diagnosis, require_training_libraries


class SealDevice(str, Enum):
    """Where the fine-tune runs (several GPUs: ``accelerate launch``)."""

    auto = "auto"
    cpu = "cpu"


def _positive(value: float) -> float:
    if not value > 0:  # NaN too
        raise typer.BadParameter(f"{value} is not > 0")
    return value


def seal(
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Output folder (resumed when it holds a fine-tune).")
    ],
    rollouts: Annotated[
        Path | None,
        typer.Argument(metavar="ROLLOUTS", help="Rollout dump file, or a run directory holding dumps."),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--from", metavar="CKPT", help="Checkpoint to fine-tune: HF folder or global_step_N."),
    ] = None,
    from_diag: Annotated[
        Path | None,
        typer.Option("--from-diagnosis", metavar="DIAG_DIR", help="analyze's output folder: follow its recommendation."),
    ] = None,
    seal_weight: Annotated[
        float, typer.Option(min=0.0, metavar="λ", help="The SEAL loss weight (0 = GRPO alone).")
    ] = 0.02,
    head_layers: Annotated[int, typer.Option(min=1, metavar="L", help="Depth L of the SEAL head.")] = 3,
    steps: Annotated[int, typer.Option(min=1, metavar="N", help="Optimizer steps.")] = 20,
    seed: Annotated[int, typer.Option(metavar="S", help="Seed of the head's initialisation, batches and dropout.")] = 0,
    lr: Annotated[float, typer.Option(callback=_positive, metavar="LR", help="AdamW learning rate (> 0).")] = 1e-5,
    batch_size: Annotated[
        int, typer.Option(min=1, metavar="N", help="Outputs per step (global, over every process).")
    ] = 16,
    micro_batch_size: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Outputs per forward pass (memory knob).")
    ] = None,
    until_step: Annotated[
        int | None, typer.Option(min=0, metavar="STEP", help="Train on rollouts up to this run step.")
    ] = None,
    split: Annotated[Split, typer.Option(help="Which rollouts to train on.")] = Split.train,
    save_every: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Save every N steps (default: only at the end).")
    ] = None,
    device: Annotated[SealDevice, typer.Option(help="Where to train (several GPUs: accelerate launch).")] = SealDevice.auto,
    quiet: Quiet = False,
) -> None:
    """Fine-tune a checkpoint with GRPO on the run's logged rollouts plus λ·SEAL.

    Writes DIR/global_step_N/actor/huggingface (HF model + tokenizer), the head as
    seal_head.safetensors, and DIR/metrics.jsonl (verl file logger). In Python:
    entropy_lens.seal.recipe.run_seal(SealConfig(checkpoint, rollouts, out)).
    """
    settings = dict(
        seal_weight=seal_weight, head_layers=head_layers, steps=steps, seed=seed, lr=lr, batch_size=batch_size,
        micro_batch_size=micro_batch_size, split=split.value, save_every=save_every, device=device.value,
    )
    if from_diag is not None:
        if checkpoint is not None or rollouts is not None:
            raise InvalidInput(from_diag, "--from-diagnosis takes the checkpoint and rollouts from the diagnosis; drop --from and ROLLOUTS")
        config = from_diagnosis(from_diag, out, **settings, **({"until_step": until_step} if until_step is not None else {}))
    elif checkpoint is None or rollouts is None:
        raise InvalidInput(out, "pass --from CKPT and ROLLOUTS, or --from-diagnosis DIAG_DIR")
    else:
        config = SealConfig(checkpoint=str(checkpoint), rollouts=str(rollouts), out=str(out), until_step=until_step, **settings)
    require_training_libraries()
    from entropy_lens.seal.recipe import run_seal  # torch loads only for this command

    with progress_unless(quiet):
        summary = run_seal(config, warn=lambda message: typer.echo(f"Warning: {message}", err=True))
    last = summary["last_metrics"]
    typer.echo(
        f"SEAL fine-tune: {config.steps} steps on {summary['n_outputs']} outputs (λ = {config.seal_weight}); "
        f"last step: entropy {last['actor/entropy']:.3f}, SEAL loss {last['actor/seal_loss']:.3f}, "
        f"head accuracy {last['actor/seal_accuracy']:.2f}."
    )
    typer.echo(f"Checkpoint: {summary['checkpoint']}")
