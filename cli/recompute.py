"""``entropy-lens recompute --model CKPT ROLLOUTS --out DIR``: per-token entropy and separation."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import (
    Columns,
    Device,
    DeviceMap,
    Quiet,
    RunName,
    Split,
    Strict,
    TrustCheckpoint,
    progress_unless,
)
from entropy_lens.cli.output import print_json, warn_problems
from entropy_lens.errors import EntropyLensError, InvalidInput
from entropy_lens.outputs import check_out_dir, mark
from entropy_lens.readers import read_run
from entropy_lens.recompute.across_checkpoints import recompute_checkpoints, run_checkpoints
from entropy_lens.recompute.score_rollouts import OUR_FILES, select_rollouts
from entropy_lens.recompute.score_rollouts import recompute as recompute_rollouts
from entropy_lens.recompute.shards import world_from_env


class Dtype(str, Enum):
    """Model dtype (``models.load_policy``)."""

    auto = "auto"
    bfloat16 = "bfloat16"
    float16 = "float16"
    float32 = "float32"


class LabelRule(str, Enum):
    """What makes an output correct (``separation.labels``)."""

    auto = "auto"
    success = "success"
    reward = "reward"
    advantage = "advantage"


def recompute(
    rollouts: Annotated[
        Path, typer.Argument(metavar="ROLLOUTS", help="Rollout dump file, or a run directory holding dumps.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Output folder.")],
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", metavar="CKPT", help="Checkpoint: HF folder, GGUF file or global_step_N."),
    ] = None,
    checkpoints: Annotated[
        str | None,
        typer.Option(
            metavar="all|STEP,STEP,…",
            help="Instead of --model: the run's checkpoints (tokenised once, scored under each).",
        ),
    ] = None,
    split: Annotated[Split, typer.Option(help="Which rollouts to score.")] = Split.all,
    step: Annotated[list[int] | None, typer.Option(min=0, metavar="STEP", help="Only this step (repeatable).")] = None,
    max_samples: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Score at most this many outputs.")
    ] = None,
    token_budget: Annotated[int, typer.Option(min=1, metavar="TOKENS", help="Padded tokens per forward pass.")] = 16384,
    chunk_size: Annotated[
        int, typer.Option(min=1, metavar="ROWS", help="lm-head rows per chunk (memory knob).")
    ] = 4096,
    max_length: Annotated[
        int, typer.Option(min=2, metavar="TOKENS", help="Longest sequence; prompts lose their start.")
    ] = 8192,
    device: Device = "auto",
    device_map: DeviceMap = None,
    dtype: Annotated[Dtype, typer.Option(help="Model dtype (auto: the checkpoint's; float32 on CPU).")] = Dtype.auto,
    label_rule: Annotated[LabelRule, typer.Option(help="What makes an output correct.")] = LabelRule.auto,
    trust_checkpoint: TrustCheckpoint = False,
    strict: Strict = False,
    columns: Columns = None,
    run: RunName = None,
    quiet: Quiet = False,
) -> None:
    """Score rollouts under a checkpoint: DIR/tokens.parquet, samples.parquet, hidden.npz, separation.json
    (with --checkpoints: one DIR/checkpoint_<step>/ of these per checkpoint, and DIR/checkpoints.json).

    In Python: ``entropy_lens.recompute.score_rollouts.recompute(model, rollouts_table, out_dir)`` and
    ``entropy_lens.recompute.across_checkpoints.recompute_checkpoints(checkpoints, rollouts_table, out_dir)``.
    Under torchrun (`torchrun --nproc-per-node N -m entropy_lens recompute …`) each rank scores a
    token-balanced shard and rank 0 writes the same files.
    """
    options = {"token_budget": token_budget, "chunk_size": chunk_size, "max_length": max_length, "device": device,
               "device_map": device_map and device_map.value, "dtype": dtype.value, "label_rule": label_rule.value,
               "trust_checkpoint": trust_checkpoint}
    main = world_from_env().is_main  # under torchrun only rank 0 shows progress, prints and reports errors
    try:
        if (model is None) == (checkpoints is None):
            raise InvalidInput(rollouts, "give exactly one of --model CKPT and --checkpoints all|STEP,STEP,…")
        if model is not None:  # --checkpoints: recompute_checkpoints checks its own files
            check_out_dir(out, OUR_FILES)
        with progress_unless(quiet or not main):
            chosen_run = read_run(rollouts, strict=strict, columns=columns, run=run)
            if main:
                warn_problems(chosen_run)
            chosen = select_rollouts(chosen_run, split=split.value, steps=step, max_samples=max_samples)
            if checkpoints is not None:
                result = recompute_checkpoints(run_checkpoints(chosen_run, checkpoints), chosen, mark(out), **options)
                shown = {"checkpoints": [_brief(s) for s in result["checkpoints"]],
                         "tokenisations": result["tokenisations"], "out": str(out)}
            else:
                shown = _brief(recompute_rollouts(model, chosen, mark(out), **options)) | {"out": str(out)}
    except EntropyLensError:
        if main:
            raise
        raise typer.Exit(1) from None
    if main:
        print_json(shown)


def _brief(summary: dict) -> dict:
    """A summary with only the per-layer separation scores (per-step rows stay in the files)."""
    return {k: v for k, v in summary.items() if k != "separation"} | {"separation": summary["separation"]["layers"]}
