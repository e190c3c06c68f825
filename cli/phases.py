"""``entropy-lens phases FILE_OR_RUN_DIR``: change points, phases, eruption cycles and co-signals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import Columns, JsonOut, Quiet, RunName, Sensitivity, Strict, progress_unless
from entropy_lens.cli.output import print_json, warn_problems
from entropy_lens.phases import PhaseResult, align_cosignals, phases_of_run
from entropy_lens.readers import read_run


def phases(
    path: Annotated[
        Path, typer.Argument(metavar="FILE_OR_RUN_DIR", help="Run directory, a log, or a CSV/JSONL with a step column.")
    ],
    metric: Annotated[str, typer.Option(help="Series to segment (canonical or raw name).")] = "entropy",
    sensitivity: Sensitivity = 1.0,
    json_out: JsonOut = False,
    strict: Strict = False,
    columns: Columns = None,
    run_name: RunName = None,
    quiet: Quiet = False,
) -> None:
    """Segment one metric into eruption / decay / plateau / recovery phases and align the co-signals.

    In Python: entropy_lens.phases.phases_of_run(entropy_lens.read_run(path), metric).
    """
    with progress_unless(quiet):
        run = read_run(path, strict=strict, columns=columns, run=run_name)
    warn_problems(run)
    result = phases_of_run(run, metric, sensitivity=sensitivity)
    cosignals = align_cosignals(run.metrics, result)
    if json_out:
        print_json({**result.to_dict(), "cosignals": cosignals})
        return
    for line in render(result, cosignals):
        typer.echo(line)


def render(result: PhaseResult, cosignals: list[dict]) -> list[str]:
    """The human-readable listing: pattern, verdict, phases, cycles, then what each co-signal did."""
    lines = [
        f"{result.metric}: {result.pattern} ({len(result.cycles)} eruption cycle(s), {result.n_steps} logged "
        f"steps, noise σ {result.noise_sigma:.3g})",
        result.verdict,
        "change points: " + (", ".join(map(str, result.change_points)) or "none"),
        "",
        "phases:",
    ]
    lines += [f"  {p.label:9s} {p.start_step:>7d} – {p.end_step:<7d}" for p in result.phases]
    if result.cycles:
        lines += ["", "cycles:   onset     peak      end  amplitude  duration  confidence"]
        lines += [
            f"  {k + 1:3d} {c.onset_step:8d} {c.peak_step:8d} {c.end_step:8d} {c.amplitude:+10.3g} {c.duration:9d} "
            f"{c.confidence:11.2f}"
            for k, c in enumerate(result.cycles)
        ]
    if cosignals:
        lines += ["", "co-signals: level before → during → after the rise; moved = own change point − onset"]
        lines += [_cosignal_line(row) for row in cosignals]
    return lines


def _cosignal_line(row: dict) -> str:
    levels = " → ".join("-" if v is None else f"{v:.3g}" for v in (row["before"], row["during"], row["after"]))
    moved = "did not move near the onset" if row["lead_steps"] is None else f"moved {row['lead_steps']:+d} steps"
    return f"  cycle {row['cycle'] + 1} {row['signal']:16s} {levels}  ({moved})"
