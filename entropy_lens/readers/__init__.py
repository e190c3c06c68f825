"""Readers: a run directory (or one file) → ``Run`` with the canonical tables.

``read_run`` discovers every recognised file anywhere inside the directory; each format has one
module here and is listed in ``registry``. A folder holding several training runs is split by
``runs`` (``read_runs`` returns each; ``read_run`` needs ``run=`` to pick one), and steps a
restarted run logged twice are resolved and noted by ``restarts``.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from entropy_lens.environments import annotate
from entropy_lens.errors import InvalidInput, RunNotFound, RunNotRecognized, SeveralRuns, UnknownRun
from entropy_lens.outputs import MARKER
from entropy_lens.progress import track
from entropy_lens.readers.base import Reader, Table
from entropy_lens.readers.registry import FILE_READERS, FOLDER_READERS, supported_formats
from entropy_lens.readers.restarts import merge_metrics
from entropy_lens.readers.runs import Part, group_runs
from entropy_lens.readers.tabular import TABLE_SUFFIXES, TableReader
from entropy_lens.rollout_store import RolloutStore, Spill
from entropy_lens.run import Problem, Run, SourceFile
from entropy_lens.schema import CHECKPOINTS_SCHEMA, conform

_SKIP_DIRS = {".git", "__pycache__", ".ipynb_checkpoints", "node_modules"}

__all__ = ["Reader", "Table", "discover", "read_run", "read_runs"]


def discover(root: Path, *, file_readers: list[Reader] | None = None) -> tuple[list[tuple[Path, Reader]], int]:
    """Every (path, reader) pair inside ``root``, and how many files were looked at.

    Symbolic links to folders are not followed (no loops); hidden folders and folders entropy-lens
    wrote (``outputs.MARKER``: ``analyze --out RUN_DIR/diag``) are skipped. A folder a folder
    reader claims is not walked further, but the files directly inside it are still offered.
    ``file_readers`` defaults to ``registry.FILE_READERS``.
    """
    file_readers = FILE_READERS if file_readers is None else file_readers
    if root.is_file():
        reader = _first(file_readers, root)
        return ([(root, reader)] if reader else []), 1
    found: list[tuple[Path, Reader]] = []
    looked_at = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            sub = here / name
            if name in _SKIP_DIRS or name.startswith(".") or (sub / MARKER).exists():
                continue
            reader = _first(FOLDER_READERS, sub)
            if reader:
                found.append((sub, reader))
                # its own files still go to the file readers (TRL keeps trainer_state.json in checkpoint-N/)
                files = [*files, *(f"{name}/{f.name}" for f in sub.iterdir() if f.is_file())]
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = here / name
            if not path.is_file():
                continue
            looked_at += 1
            reader = _first(file_readers, path)
            if reader:
                found.append((path, reader))
    return found, looked_at


def _first(readers: list[Reader], path: Path) -> Reader | None:
    for reader in readers:
        try:
            if reader.sniff(path):
                return reader
        except OSError:
            continue
    return None


def read_run(
    path: str | Path, *, strict: bool = False, columns: dict[str, str] | None = None, run: str | None = None
) -> Run:
    """Read every recognised file under ``path`` (a run directory or a single file): one run.

    Args:
        path: run directory, or one log / dump file.
        strict: raise on the first unparsable line instead of skipping it.
        columns: ``{our name: the file's column}`` for generic CSV / JSONL / Parquet tables whose
            columns are named otherwise (``--columns step=Step,entropy=ent_mean``).
        run: which run, when ``path`` holds several (``read_runs``): its name, or the end of it
            after a ``/`` (``exp_a`` for ``logs/proj/exp_a``).

    Raises:
        RunNotFound: ``path`` does not exist, is an empty folder or an output folder of ours.
        RunNotRecognized: nothing inside is in a known format.
        InvalidInput: a file is unreadable as a whole (or any bad line, with ``strict``), or a
            column of ``columns`` is missing.
        SeveralRuns: ``path`` holds several runs and ``run`` is not given.
        UnknownRun: ``run`` names none of them (or several).
    """
    runs = read_runs(path, strict=strict, columns=columns)
    names = [r.name for r in runs if r.name is not None]
    if run is None:
        if len(runs) > 1:
            raise SeveralRuns(path, names)
        return runs[0]
    chosen = [r for r in runs if r.name is not None and (r.name == run or r.name.endswith(f"/{run}"))]
    exact = [r for r in chosen if r.name == run]
    if len(exact or chosen) != 1:
        raise UnknownRun(path, run, names, "no run is called" if not chosen else "more than one run ends in")
    return (exact or chosen)[0]


def read_runs(path: str | Path, *, strict: bool = False, columns: dict[str, str] | None = None) -> list[Run]:
    """Every training run under ``path``, sorted by name (one run named ``None`` in the usual case).

    How sources are split into runs: ``readers.runs``; restarts: ``readers.restarts``. Arguments
    and errors as ``read_run``.
    """
    root = Path(path)
    if not root.exists():
        raise RunNotFound(root)
    if root.is_dir() and not any(root.iterdir()):
        raise RunNotFound(root, "is an empty folder")
    if root.is_dir() and (root / MARKER).exists():
        raise RunNotFound(
            root, f"is an entropy-lens output folder ({MARKER}), not a run; point at the run it came from"
        )
    if root.is_file() and root.stat().st_size == 0:
        raise RunNotFound(root, "is an empty file")
    file_readers = _file_readers(columns)
    if root.is_file() and columns and root.suffix.lower() in TABLE_SUFFIXES:
        found, looked_at = [(root, file_readers[-1])], 1  # the user named both the file and its columns
    else:
        found, looked_at = discover(root, file_readers=file_readers)
    if not found:
        raise RunNotRecognized(root, looked_at, supported_formats())
    base = root if root.is_dir() else root.parent
    spill = Spill()
    parts = []
    with track(f"Reading {len(found)} file(s)", total=len(found)) as advance:
        for item, reader in found:
            parts += _parts(item, reader, base, file_readers, strict, spill)
            advance()
    runs = [_assemble(root, name, members, spill) for name, members in group_runs(parts).items()]
    if columns and not any(s.reader == TableReader.name for r in runs for s in r.sources):
        runs[0].notes.append(f"--columns {_shown(columns)}: no CSV, JSONL or Parquet file had these columns")
    return runs


def _file_readers(columns: dict[str, str] | None) -> list[Reader]:
    """The registry's file readers; with ``columns``, a mapped generic reader in place of the plain one."""
    if not columns:
        return FILE_READERS
    return [r for r in FILE_READERS if not isinstance(r, TableReader)] + [TableReader(columns=columns)]


def _parts(
    item: Path, reader: Reader, base: Path, file_readers: list[Reader], strict: bool, spill: Spill
) -> list[Part]:
    """What ``reader`` got from ``item``: one part, or one per run the file labels its rows with.

    Rollout rows get their admissible actions from the prompts and go to ``spill`` at once, so
    a dump larger than memory is never held whole.
    """
    try:
        table = reader.read(item)
    except OSError as exc:  # unreadable (permissions), vanished, a device error
        raise InvalidInput(item, f"cannot be read ({exc.strerror or exc})") from None
    relative = str(item.relative_to(base))
    problems = [Problem(relative, p.line, p.reason) for p in table.problems]
    if strict and problems:
        raise InvalidInput(base / problems[0].path, problems[0].reason, problems[0].line)
    frame = table.frame.with_columns(pl.lit(relative).alias("source"))
    rank = file_readers.index(reader) if reader in file_readers else -1
    order = (rank, item.stat().st_mtime, relative)
    labelled = "run" in frame.columns and frame["run"].is_not_null().any()
    pieces = frame.partition_by("run", as_dict=True) if labelled else {(None,): frame}
    return [
        Part(SourceFile(relative, reader.name, table.kind, rows.height, len(problems)),
             _kept(rows.drop("run", strict=False), table.kind, spill), label, order, problems)
        for (label,), rows in pieces.items()
    ]


def _kept(rows: pl.DataFrame, kind: str, spill: Spill) -> pl.DataFrame | pl.LazyFrame:
    """Rollouts annotated and handed to ``spill`` (a lazy table); other tables as they are."""
    return spill.keep(annotate(rows)) if kind == "rollouts" else rows


def _assemble(root: Path, name: str | None, parts: list[Part], spill: Spill) -> Run:
    """One ``Run`` from its parts (already in precedence order)."""
    rollouts = RolloutStore([p.frame for p in parts if p.source.kind == "rollouts"], spill)
    run = Run(path=root, name=name, sources=[part.source for part in parts], rollout_store=rollouts)
    seen: set[str] = set()
    for part in parts:
        if part.source.path not in seen:
            run.problems.extend(part.problems)
            seen.add(part.source.path)
    run.metrics, run.notes = merge_metrics([p for p in parts if p.source.kind == "metrics"])
    checkpoints = _concat([p.frame for p in parts if p.source.kind == "checkpoints"], CHECKPOINTS_SCHEMA)
    run.checkpoints = checkpoints.sort("step")
    return run


def _concat(frames: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    conformed = [conform(f, schema).select(list(schema)) for f in frames]
    if not conformed:
        return pl.DataFrame(schema=schema)
    return pl.concat(conformed, how="vertical")


def _shown(columns: dict[str, str]) -> str:
    return ",".join(f"{name}={column}" for name, column in columns.items())
