"""``entropy-lens compare RUN_A RUN_B``: two runs side by side (entropy, degenerate rates, separation)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import Device, Quiet, progress_unless
from entropy_lens.compare import OUR_FILES, compare as compare_runs, write_comparison
from entropy_lens.outputs import check_out_dir


def compare(
    run_a: Annotated[
        Path, typer.Argument(metavar="RUN_A", help="First run directory (e.g. the SEAL fine-tune).")
    ],
    run_b: Annotated[
        Path, typer.Argument(metavar="RUN_B", help="Second run directory (e.g. the same fine-tune at weight 0).")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="DIR",
            help="Output folder (default: entropy-lens-compare-<A>-<B> in the current folder).",
        ),
    ] = None,
    separation: Annotated[
        bool, typer.Option("--separation", help="Score each run's latest checkpoint with weights on its own outputs.")
    ] = False,
    samples: Annotated[int, typer.Option(min=1, metavar="N", help="Outputs scored per run with --separation.")] = 256,
    device: Device = "auto",
    quiet: Quiet = False,
) -> None:
    """Compare two runs in one report: OUT/report.html and OUT/comparison.json.

    In Python: entropy_lens.compare.compare(run_a, run_b), then write_comparison.
    """
    out = out or Path.cwd() / f"entropy-lens-compare-{run_a.resolve().name}-{run_b.resolve().name}"
    check_out_dir(out, OUR_FILES)
    with progress_unless(quiet):
        comparison = compare_runs(
            run_a, run_b, separation_dir=out / "separation" if separation else None, max_samples=samples,
            device=device,
        )
    written = write_comparison(comparison, out)
    for note in comparison.notes:
        typer.echo(f"Note: {note}", err=True)
    for line in comparison.to_dict()["sentences"]:
        typer.echo(line)
    typer.echo(f"Report: {written['report.html']}")
