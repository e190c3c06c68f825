"""``entropy-lens analyze RUN_DIR``: the main job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import (
    Columns,
    Device,
    DeviceMap,
    Env,
    Quiet,
    RunName,
    Sensitivity,
    Strict,
    TrustCheckpoint,
    progress_unless,
)
from entropy_lens.cli.output import warn_problems
from entropy_lens.run_report import analyze as analyze_run


def analyze(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="Run directory (logs, rollout dumps, checkpoints).")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="DIR",
            help="Output folder (default: entropy-lens-<run folder name>[-<run>] in the current folder).",
        ),
    ] = None,
    metric: Annotated[str, typer.Option(help="Series to segment into phases (canonical or raw name).")] = "entropy",
    sensitivity: Sensitivity = 1.0,
    env: Env = None,
    strict: Strict = False,
    columns: Columns = None,
    run: RunName = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", metavar="CKPT", help="Checkpoint to score outputs under (separation)."),
    ] = None,
    checkpoints: Annotated[
        str | None,
        typer.Option(
            metavar="all|STEP,STEP,…",
            help="Score outputs under the run's checkpoints (separation trend); not with --model.",
        ),
    ] = None,
    model_samples: Annotated[
        int, typer.Option(min=1, metavar="N", help="Outputs to score with --model / --checkpoints.")
    ] = 512,
    device: Device = "auto",
    device_map: DeviceMap = None,
    trust_checkpoint: TrustCheckpoint = False,
    quiet: Quiet = False,
) -> None:
    """Read the run, find entropy phases and degenerate patterns, write report.html,
    diagnosis.json and tables/*.parquet.

    In Python: entropy_lens.analyze(run_dir, out_dir).
    """
    started = time.perf_counter()
    with progress_unless(quiet):
        diagnosis, written = analyze_run(
            run_dir, out, metric=metric, sensitivity=sensitivity, env=env, strict=strict, columns=columns,
            run=run, model=model, checkpoints=checkpoints, model_samples=model_samples, device=device,
            device_map=device_map and device_map.value,            trust_checkpoint=trust_checkpoint,
        )
    warn_problems(diagnosis.run)
    for note in diagnosis.run.notes + diagnosis.notes:
        typer.echo(f"Note: {note}", err=True)
    for line in diagnosis.headline():
        typer.echo(line)
    typer.echo(f"Report: {written['report.html']}  ({time.perf_counter() - started:.1f} s)")
