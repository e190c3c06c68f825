"""``entropy-lens export RUN_DIR --out DIR``: the run's rollouts as one ATIF document per trajectory."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.atif import export_atif, file_names
from entropy_lens.cli.options import Columns, Quiet, RunName, Strict, progress_unless
from entropy_lens.cli.output import warn_problems
from entropy_lens.errors import NoRollouts
from entropy_lens.outputs import check_out_dir, mark
from entropy_lens.progress import track
from entropy_lens.readers import read_run


class ExportFormat(str, Enum):
    """Formats ``export`` writes."""

    atif = "atif"


def export(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="Run directory, or a rollout dump file.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Output folder (new, empty, or an earlier export).")
    ],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Trajectory format.")] = ExportFormat.atif,
    agent_name: Annotated[str, typer.Option(help="ATIF agent.name.")] = "rl-policy",
    model_name: Annotated[str | None, typer.Option(metavar="NAME", help="ATIF agent.model_name (the policy).")] = None,
    strict: Strict = False,
    columns: Columns = None,
    run: RunName = None,
    quiet: Quiet = False,
) -> None:
    """Write every trajectory of the run's rollouts as one ATIF JSON file (Harbor RFC 0001, v1.4).

    In Python: entropy_lens.atif.export_atif(entropy_lens.read_run(run_dir).rollouts, out).
    Dumps larger than memory are exported in batches of whole steps.
    """
    with progress_unless(quiet):
        chosen = read_run(run_dir, strict=strict, columns=columns, run=run)
        warn_problems(chosen)
        if not chosen.n_rollouts:
            raise NoRollouts(run_dir)
        keys = chosen.rollouts_lazy.select("split", "step", "traj_id", "sample_id", "turn").collect()
        mark(check_out_dir(out, file_names(keys)))
        written = []
        with track("Writing trajectories", total=chosen.n_rollouts) as advance:
            for batch in chosen.rollout_batches():
                written += export_atif(batch, out, agent_name=agent_name, model_name=model_name)
                advance(batch.height)
    typer.echo(f"Wrote {len(written)} {fmt.value.upper()} trajectories to {out}")
