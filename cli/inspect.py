"""``entropy-lens inspect RUN_DIR``: what was found, before anything is analysed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import Columns, JsonOut, Quiet, RunName, Strict, progress_unless
from entropy_lens.cli.output import print_json, warn_problems
from entropy_lens.readers import read_run, read_runs
from entropy_lens.run import Run
from entropy_lens.summary import summarize


def inspect(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="Run directory (or a single log/dump file).")],
    json_out: JsonOut = False,
    strict: Strict = False,
    columns: Columns = None,
    run: RunName = None,
    quiet: Quiet = False,
) -> None:
    """Show formats, step range, metric keys (raw → canonical), rollouts per step and checkpoints;
    every run, when the folder holds several.

    --json prints {"path": RUN_DIR, "runs": [one object per run]}, for one run as for several.
    In Python: entropy_lens.summary.summarize(entropy_lens.read_run(run_dir));
    entropy_lens.readers.read_runs(run_dir) for every run.
    """
    with progress_unless(quiet):
        if run is None:
            runs = read_runs(run_dir, strict=strict, columns=columns)
        else:
            runs = [read_run(run_dir, strict=strict, columns=columns, run=run)]
    summaries = [summarize(r) for r in runs]
    warn_problems(Run(path=run_dir, problems=list(dict.fromkeys(p for r in runs for p in r.problems))))
    if json_out:
        print_json({"path": str(run_dir), "runs": summaries})
        return
    if len(runs) > 1:
        typer.echo(f"{run_dir} holds {len(runs)} runs; analyze one with --run NAME.\n")
    for summary in summaries:
        for line in render(summary):
            typer.echo(line)


def render(summary: dict) -> list[str]:
    """The human-readable inspect listing."""
    lines = [
        f"run: {summary['path']}" + (f"  --run {summary['name']}" if summary["name"] else ""),
        f"format: {summary['source_format']}",
        f"steps: {summary['step_min']}–{summary['step_max']} ({summary['n_steps']} distinct)",
        "",
        f"files read ({len(summary['sources'])}):",
    ]
    lines += [
        f"  {s['path']}  [{s['reader']}, {s['rows']} {s['kind']} rows"
        + (f", {s['skipped']} lines skipped]" if s["skipped"] else "]")
        for s in summary["sources"]
    ]
    lines += ["", f"metric keys ({len(summary['metric_keys'])}, raw → canonical):"]
    lines += [
        f"  {k['raw_name']} → {k['name']}  ({k['n_steps']} steps, {k['first_step']}–{k['last_step']})"
        if k["raw_name"] != k["name"]
        else f"  {k['raw_name']}  ({k['n_steps']} steps)"
        for k in summary["metric_keys"]
    ]
    lines += ["", f"rollouts: {summary['n_rollouts']}"]
    lines += [f"  {r['split']} step {r['step']}: {r['n']}" for r in summary["rollouts_per_step"]]
    lines += ["", f"checkpoints: {len(summary['checkpoints'])}"]
    lines += [
        f"  step {c['step']}: {c['path']} ({c['format']}{', weights' if c['has_weights'] else ', no weights'})"
        for c in summary["checkpoints"]
    ]
    lines += ["", "possible:"] + [f"  {stage}: {why}" for stage, why in summary["possible"].items()]
    if summary["notes"]:
        lines += ["", "notes:"] + [f"  {note}" for note in summary["notes"]]
    return lines + ([""] if summary["name"] else [])
