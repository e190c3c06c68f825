"""``entropy-lens scan ROLLOUTS``: degeneracy flags and per-step rates of a rollout dump or run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import Columns, Env, JsonOut, Quiet, RunName, Strict, progress_unless
from entropy_lens.cli.output import print_json, warn_problems
from entropy_lens.detectors import scan_run
from entropy_lens.detectors.groups import GROUP_SIGNALS
from entropy_lens.errors import NoRollouts
from entropy_lens.readers import read_run


def scan(
    rollouts: Annotated[
        Path, typer.Argument(metavar="ROLLOUTS", help="Rollout dump file, or a run directory holding dumps.")
    ],
    json_out: JsonOut = False,
    env: Env = None,
    strict: Strict = False,
    columns: Columns = None,
    run_name: RunName = None,
    quiet: Quiet = False,
) -> None:
    """Flag duplication and hallucination in every policy output; rates per step, onsets.

    In Python: entropy_lens.detectors.scan_run(entropy_lens.read_run(path)). Dumps larger
    than memory are read in batches of whole steps.
    """
    with progress_unless(quiet):
        run = read_run(rollouts, strict=strict, columns=columns, run=run_name)
        warn_problems(run)
        if not run.n_rollouts:
            raise NoRollouts(rollouts)
        result = scan_run(run, env=env)
    if json_out:
        print_json(result.to_dict())
        return
    for line in render(result.to_dict()):
        typer.echo(line)


#: Column labels of the human table.
LABELS = {
    "sentence_dup": "sent_dup",
    "char_run": "char_run",
    "fabricated_observation": "fab_obs",
    "invalid_action": "inv_act",
    "unsupported_claim": "unsup",
    "contradictory_rambling": "contra",
    "hallucination": "halluc",
    "local_loop": "loop",
    "ramble": "ramble",
    "paper_hallucination": "seal_hal",
    "sentence_dup_rate": "sdr",
    "seq_rep_4": "rep4",
    "compression_ratio": "zlib",
    "repeated_5gram_ratio": "rep5",
    "repeated_10gram_ratio": "rep10",
    "clause_repeat_ratio": "clause",
    "group_diversity": "grp_div",
    "near_identical_groups": "grp_same",
    "turn_echo": "echo",
}


def render(summary: dict) -> list[str]:
    """The human-readable scan table: flagged share (patterns) or mean value (companions) per step
    and detector, then onsets."""
    columns = summary["detectors"] + [s for s in GROUP_SIGNALS if s != "n_groups"]
    envs = ", ".join(f"{k} {v}" for k, v in sorted(summary["environments"].items()))
    lines = [f"outputs: {summary['n_outputs']}  environments: {envs}", ""]
    lines.append(f"{'split':<6}{'step':>7}{'n':>7}" + "".join(f"{LABELS.get(c, c[:8]):>9}" for c in columns))
    for row in summary["per_step"]:
        cells = "".join(f"{'-' if row.get(c) is None else format(row[c], '.3f'):>9}" for c in columns)
        lines.append(f"{row['split']!s:<6}{row['step']!s:>7}{row['n']:>7}{cells}")
    lines += [
        "(share of the step's outputs flagged; sdr, rep4, zlib, rep5, rep10, clause: means of the numeric",
        " companions' values; loop, ramble, seal_hal: SEAL's local_loop, ramble and hallucination flags;",
        " grp_div, grp_same: GRPO-group diversity and share of near-identical groups; echo: turn echo)",
        "",
        f"onsets ({summary['onsets_split']} split):",
    ]
    lines += [f"  {n}: {'-' if step is None else f'step {step}'}" for n, step in summary["onsets"].items()]
    return lines
