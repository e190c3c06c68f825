"""The main job: read a run, diagnose it and write the report, JSON and tables.

Outputs (all written atomically: temp file, then rename):

* ``report.html`` — the self-contained phase report;
* ``diagnosis.json`` — ``Diagnosis.to_dict()``;
* ``tables/*.parquet`` — the canonical tables and the analyses' tables;
* ``.entropy-lens-output`` — ``outputs.MARKER``: run discovery skips the folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from entropy_lens.checkpoint_scores import score_checkpoint, score_checkpoints
from entropy_lens.diagnosis import Diagnosis, diagnose
from entropy_lens.errors import CheckpointNotFound, InvalidInput, MissingMetric
from entropy_lens.outputs import check_out_dir, mark, write_json, write_parquet, write_parquet_batches, write_text
from entropy_lens.readers import read_run
from entropy_lens.report import render_html
from entropy_lens.run import Run
from entropy_lens.schema import ROLLOUTS_SCHEMA

#: What ``write_report`` writes; an output folder holding only these may be written again.
OUR_FILES = frozenset({"report.html", "diagnosis.json", "tables", "recompute"})


def default_out_dir(run_dir: Path, run: str | None = None) -> Path:
    """``./entropy-lens-<run folder>[-<run>]`` in the working directory (never inside the run).

    ``run`` (``--run``) is part of the name, so the runs of one folder never share an output.
    """
    name = Path(run_dir).resolve().name or "run"
    if run:
        name += "-" + re.sub(r"[^\w.-]+", "_", run).strip("_")
    return Path.cwd() / f"entropy-lens-{name}"


def tables_of(diagnosis: Diagnosis) -> dict[str, pl.DataFrame]:
    """Every table worth keeping, by file stem (the rollouts apart: ``write_report`` streams them)."""
    run = diagnosis.run
    tables = {"metrics": run.metrics, "checkpoints": run.checkpoints}
    if diagnosis.phases is not None:
        as_dict = diagnosis.phases.to_dict()
        tables["phases"] = pl.DataFrame(as_dict["phases"])
        tables["cycles"] = pl.DataFrame(as_dict["cycles"])
    if diagnosis.scan is not None:
        tables["findings"] = diagnosis.scan.findings
        tables["per_step"] = diagnosis.scan.per_step
    return tables


def write_report(diagnosis: Diagnosis, out_dir: str | Path, examples: list[dict] | None = None) -> dict[str, Path]:
    """Write ``report.html``, ``diagnosis.json`` and ``tables/*.parquet`` into ``out_dir``.

    ``examples``: the outputs the report shows (default ``diagnosis.examples()``).

    Returns:
        name → path of every file written.
    """
    out = mark(check_out_dir(Path(out_dir), OUR_FILES))
    payload = diagnosis.to_dict()
    written = {
        name: write_parquet(out / "tables" / f"{name}.parquet", table)
        for name, table in tables_of(diagnosis).items()
    }
    written["rollouts"] = write_parquet_batches(
        out / "tables" / "rollouts.parquet", diagnosis.run.rollout_batches(), ROLLOUTS_SCHEMA
    )
    written["diagnosis.json"] = write_json(out / "diagnosis.json", payload)
    html = render_html(payload, diagnosis.run.metrics, diagnosis.examples() if examples is None else examples)
    written["report.html"] = write_text(out / "report.html", html)
    return written


def check_metric(run: Run, metric: str) -> None:
    """Stop before writing a report without phases that the user would not expect.

    A missing ``metric`` is an error when the user named it, when the run logs keys with
    "entropy" in their name (one of them is probably meant), or when the run has no rollouts
    either (the report would be empty). A run with rollouts and no entropy-like key at all is
    analysed without phases (noted in the report).

    Raises:
        MissingMetric: naming the entropy-like keys found (else every key) and ``--metric``.
    """
    names = set(run.metrics["name"].to_list()) | set(run.metrics["raw_name"].to_list())
    if metric in names:
        return
    entropy_like = sorted(n for n in set(run.metrics["raw_name"].to_list()) if "entropy" in n.lower())
    if metric != "entropy" or entropy_like or not run.n_rollouts:
        label = "Entropy-like keys found" if entropy_like else "Keys found"
        raise MissingMetric(metric, run.path, entropy_like or sorted(names), label)


def analyze(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    metric: str = "entropy",
    sensitivity: float = 1.0,
    env: str | None = None,
    strict: bool = False,
    columns: dict[str, str] | None = None,
    run: str | None = None,
    model: str | Path | None = None,
    model_samples: int = 512,
    device: str = "auto",
    device_map: str | None = None,
    trust_checkpoint: bool = False,
    checkpoints: str | None = None,
) -> tuple[Diagnosis, dict[str, Path]]:
    """``entropy-lens analyze``: read → diagnose (→ score a checkpoint) → write.

    ``strict``, ``columns`` and ``run`` are ``read_run``'s. With ``model``, a sample of
    ``model_samples`` outputs is recomputed under that checkpoint
    (``out/recompute/``) and the diagnosis gains its ``separation`` section; ``checkpoints``
    (``all`` or ``STEP,STEP,…``) does the same under several of the run's checkpoints. Either way
    the examples the report shows are scored under the last checkpoint, their tokens coloured.

    Returns:
        the diagnosis and the files written.

    Raises:
        EntropyLensError: ``read_run``'s errors; ``OutputExists`` / ``OutputNotWritable`` for
            ``out_dir``; ``CheckpointNotFound`` for ``model``; ``MissingMetric`` (``check_metric``).
            All but a failing write are raised before anything is written.
    """
    if model is not None and checkpoints is not None:
        raise InvalidInput("--checkpoints", "give either --model CKPT or --checkpoints all|STEP,STEP,…, not both")
    out = Path(out_dir) if out_dir is not None else default_out_dir(Path(run_dir), run)
    check_out_dir(out, OUR_FILES)
    if model is not None and not Path(model).exists():
        raise CheckpointNotFound(model, "does not exist")  # before the run is read, not after
    chosen = read_run(run_dir, strict=strict, columns=columns, run=run)
    check_metric(chosen, metric)
    diagnosis = diagnose(chosen, metric=metric, sensitivity=sensitivity, env=env)
    scoring = {"max_samples": model_samples, "device": device, "device_map": device_map,
               "trust_checkpoint": trust_checkpoint,
               "phases": diagnosis.phases.to_dict() if diagnosis.phases else None}
    if checkpoints is not None:
        from entropy_lens.recompute.across_checkpoints import run_checkpoints

        diagnosis.separation = score_checkpoints(chosen, run_checkpoints(chosen, checkpoints), out / "recompute", **scoring)
    elif model is not None:
        diagnosis.separation = score_checkpoint(chosen, model, out / "recompute", **scoring)
    examples = diagnosis.examples()
    if diagnosis.separation is not None and examples:  # the examples' tokens, coloured by entropy
        from entropy_lens.recompute.example_tokens import with_token_entropy

        loading = {"device": device, "device_map": device_map, "trust_checkpoint": trust_checkpoint}
        examples = with_token_entropy(chosen, examples, diagnosis.separation["checkpoint"], **loading)
    return diagnosis, write_report(diagnosis, out, examples)
