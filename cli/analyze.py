"""``entropy-lens analyze RUN_DIR``: the main job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import Columns, RunName, Strict
from entropy_lens.cli.output import warn_problems
from entropy_lens.pipeline import analyze as analyze_run


def analyze(
    run_dir: Annotated[Path, typer.Argument(help="Run directory (logs, rollout dumps, checkpoints).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder [default: ./entropy-lens-<run name>].")
    ] = None,
    metric: Annotated[str, typer.Option(help="Series to segment into phases.")] = "entropy",
    sensitivity: Annotated[float, typer.Option(help=">1 finds smaller eruptions, <1 fewer.")] = 1.0,
    env: Annotated[
        str | None, typer.Option(help="Environment format for the detectors [default: recognised].")
    ] = None,
    strict: Strict = False,
    columns: Columns = None,
    run: RunName = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="Checkpoint to score outputs under (separation).")
    ] = None,
    checkpoints: Annotated[
        str | None,
        typer.Option(help="Score outputs under the run's checkpoints: all, or STEP,STEP,… (separation trend)."),
    ] = None,
    model_samples: Annotated[int, typer.Option(help="Outputs to score with --model / --checkpoints.")] = 512,
    device: Annotated[str, typer.Option(help="Device for --model: auto, cpu, cuda, …")] = "auto",
    trust_checkpoint: Annotated[
        bool, typer.Option(help="Allow full unpickling of .pt shards (only for files you trust).")
    ] = False,
) -> None:
    """Read the run, find entropy phases and degenerate patterns, write report.html,
    diagnosis.json and tables/*.parquet.

    In Python: ``entropy_lens.analyze(run_dir, out_dir)``.
    """
    started = time.perf_counter()
    diagnosis, written = analyze_run(
        run_dir, out, metric=metric, sensitivity=sensitivity, env=env, strict=strict, columns=columns, run=run,
        model=model, checkpoints=checkpoints, model_samples=model_samples, device=device, trust_checkpoint=trust_checkpoint,
    )
    warn_problems(diagnosis.run)
    for note in diagnosis.run.notes + diagnosis.notes:
        typer.echo(f"Note: {note}", err=True)
    for line in diagnosis.headline():
        typer.echo(line)
    typer.echo(f"Report: {written['report.html']}  ({time.perf_counter() - started:.1f} s)")
