"""``entropy-lens recompute --model CKPT ROLLOUTS --out DIR``: per-token entropy and separation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.cli.options import Columns, RunName, Strict
from entropy_lens.cli.output import print_json, warn_problems
from entropy_lens.outputs import check_out_dir
from entropy_lens.readers import read_run
from entropy_lens.errors import InvalidInput
from entropy_lens.recompute.across_checkpoints import recompute_checkpoints, run_checkpoints
from entropy_lens.recompute.score_rollouts import OUR_FILES, select_rollouts
from entropy_lens.recompute.score_rollouts import recompute as recompute_rollouts


def recompute(
    rollouts: Annotated[Path, typer.Argument(help="Rollout dump file, or a run directory holding dumps.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="Checkpoint: HF folder or global_step_N.")
    ] = None,
    checkpoints: Annotated[
        str | None, typer.Option(help="Instead of --model: the run's checkpoints, all or STEP,STEP,… (tokenised once).")
    ] = None,
    split: Annotated[str, typer.Option(help="train, val or all.")] = "all",
    step: Annotated[list[int] | None, typer.Option(help="Only these steps (repeatable).")] = None,
    max_samples: Annotated[int | None, typer.Option(help="Score at most this many outputs.")] = None,
    token_budget: Annotated[int, typer.Option(help="Padded tokens per forward pass.")] = 16384,
    chunk_size: Annotated[int, typer.Option(help="lm-head rows per chunk (memory knob).")] = 4096,
    max_length: Annotated[int, typer.Option(help="Longest sequence; prompts lose their start.")] = 8192,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:1, …")] = "auto",
    dtype: Annotated[str, typer.Option(help="auto, bfloat16, float16, float32.")] = "auto",
    label_rule: Annotated[str, typer.Option(help="Correct = auto, success, reward or advantage.")] = "auto",
    trust_checkpoint: Annotated[
        bool, typer.Option(help="Allow full unpickling of .pt shards (only for files you trust).")
    ] = False,
    strict: Strict = False,
    columns: Columns = None,
    run: RunName = None,
) -> None:
    """Score rollouts under a checkpoint: DIR/tokens.parquet, samples.parquet, hidden.npz, separation.json
    (with --checkpoints: one DIR/checkpoint_<step>/ of these per checkpoint, and DIR/checkpoints.json).

    In Python: ``entropy_lens.recompute.score_rollouts.recompute(model, rollouts_table, out_dir)`` and
    ``entropy_lens.recompute.across_checkpoints.recompute_checkpoints(checkpoints, rollouts_table, out_dir)``.
    """
    if (model is None) == (checkpoints is None):
        raise InvalidInput(rollouts, "give exactly one of --model CKPT and --checkpoints all|STEP,STEP,…")
    if model is not None:
        check_out_dir(out, OUR_FILES)
    chosen_run = read_run(rollouts, strict=strict, columns=columns, run=run)
    warn_problems(chosen_run)
    chosen = select_rollouts(chosen_run, split=split, steps=step, max_samples=max_samples)
    options = {"token_budget": token_budget, "chunk_size": chunk_size, "max_length": max_length, "device": device,
               "dtype": dtype, "label_rule": label_rule, "trust_checkpoint": trust_checkpoint}
    if checkpoints is not None:
        result = recompute_checkpoints(run_checkpoints(chosen_run, checkpoints), chosen, out, **options)
        print_json({"checkpoints": [_brief(s) for s in result["checkpoints"]],
                    "tokenisations": result["tokenisations"], "out": str(out)})
        return
    summary = recompute_rollouts(model, chosen, out, **options)
    print_json(_brief(summary) | {"out": str(out)})


def _brief(summary: dict) -> dict:
    """A summary with only the per-layer separation scores (per-step rows stay in the files)."""
    return {k: v for k, v in summary.items() if k != "separation"} | {"separation": summary["separation"]["layers"]}
