"""Which training run each source belongs to, for a folder that mixes several runs.

Rules, in order:

1. **The file says.** Metric rows with a ``run`` label (W&B run id, MLflow run name, the run
   prefix of a W&B export column) belong to that run.
2. **The data says.** Unlabelled metric files of one reader (two console logs, two verl
   file-logger JSONLs, two TensorBoard files) are one run, unless a (step, key) holds different
   values in them *and* some key they share begins at the same step in both: two runs logged
   from the start. Files that differ only from a later step on are a restart (one run; see
   ``restarts``); files with no key in common are two runs. When one reader's files form
   several such chains, each chain is a run, named after its first file without suffix
   (``logs/proj/exp_a``; for TensorBoard its folder, ``tensorboard_log/proj/exp_a``); chains of
   different readers in the same folder are one run, named after the folder.
3. **The folder says.** Everything else (a reader's single chain, rollout dumps, checkpoints)
   belongs to the run whose files sit in the deepest folder above it, or to every run when no
   run, or more than one, sits there.

With no named run the folder holds one run, named ``None``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import polars as pl

from entropy_lens.run import Problem, SourceFile


@dataclass
class Part:
    """One table a reader got from one path (or one labelled run's rows of it)."""

    source: SourceFile
    #: canonical rows plus ``source`` (rollouts: a lazy table, in memory or spilled; ``rollout_store``)
    frame: pl.DataFrame | pl.LazyFrame
    label: str | None = None  #: the run the file names (rule 1)
    order: tuple = ()  #: (reader rank, modification time, path): later sorts after
    problems: list[Problem] = field(default_factory=list)  #: the file's skipped lines

    @property
    def folder(self) -> PurePosixPath:
        return PurePosixPath(self.source.path).parent


def last_values(frame: pl.DataFrame) -> pl.DataFrame:
    """``step, raw_name, value`` with one row per (step, raw_name): the last one logged."""
    return frame.select("step", "raw_name", "value").unique(["step", "raw_name"], keep="last", maintain_order=True)


def group_runs(parts: list[Part]) -> dict[str | None, list[Part]]:
    """Run name → its parts (a part shared by several runs is in each); ``{None: parts}`` for one run."""
    named: dict[str, list[Part]] = defaultdict(list)
    for part in parts:
        if part.label is not None:
            named[part.label].append(part)
    chained = _merge_by_folder(_chain_runs(parts))
    for name, members in chained.items():
        named[name] += members
    if not named:
        return {None: parts}
    homes = {name: _common_folder(members) for name, members in named.items()}
    taken = {id(part) for members in named.values() for part in members}
    for part in parts:
        if id(part) not in taken:
            for name in _owners(part.folder, homes):
                named[name].append(part)
    return {name: sorted(members, key=lambda p: p.order) for name, members in sorted(named.items())}


def _chain_runs(parts: list[Part]) -> dict[str, list[Part]]:
    """Rule 2: the chains of every reader that has more than one, by name."""
    by_reader: dict[str, list[Part]] = defaultdict(list)
    for part in parts:
        if part.label is None and part.source.kind == "metrics" and part.frame.height:
            by_reader[part.source.reader].append(part)
    runs: dict[str, list[Part]] = {}
    for members in by_reader.values():
        chains = chain(sorted(members, key=lambda p: p.order))
        if len(chains) > 1:
            runs |= {_chain_name(members[0]): members for members in chains}
    return runs


def _chain_name(first: Part) -> str:
    """The first file's path without suffix; its folder for a TensorBoard event file (a writer
    session: the folder, ``tensorboard_log/<project>/<experiment>``, is the run)."""
    path = PurePosixPath(first.source.path)
    return str(path.parent) if path.name.startswith("events.out.tfevents.") else str(path.with_suffix(""))


def chain(parts: list[Part]) -> list[list[Part]]:
    """Split one reader's metric files (oldest first) into runs: a file joins the run it shares
    the most (step, key) pairs with, unless it conflicts with that run from the start."""
    chains: list[list[Part]] = []
    merged: list[pl.DataFrame] = []
    for part in parts:
        rows = last_values(part.frame)
        fits = [(shared, i) for i, frame in enumerate(merged) if (shared := _fit(frame, rows)) is not None]
        if not fits:
            chains.append([part])
            merged.append(rows)
            continue
        _, best = max(fits, key=lambda fit: (fit[0], -fit[1]))
        chains[best].append(part)
        merged[best] = last_values(pl.concat([merged[best], rows]))
    return chains


def _fit(run: pl.DataFrame, rows: pl.DataFrame) -> int | None:
    """How many (step, key) pairs ``rows`` shares with ``run``; None when they are two runs
    (no key in common, or different values from a common start)."""
    if not set(run["raw_name"].unique()) & set(rows["raw_name"].unique()):
        return None
    shared = run.join(rows, on=["step", "raw_name"], suffix="_new")
    differs = shared.filter(pl.col("value").ne_missing(pl.col("value_new")) & ~(
        pl.col("value").is_nan() & pl.col("value_new").is_nan()))
    if differs.is_empty():
        return shared.height
    keys = set(shared["raw_name"].unique())
    firsts = [
        frame.filter(pl.col("raw_name").is_in(keys)).group_by("raw_name").agg(pl.col("step").min())
        for frame in (run, rows)
    ]
    same_start = firsts[0].join(firsts[1], on=["raw_name", "step"]).height > 0
    return None if same_start else shared.height


def _merge_by_folder(runs: dict[str, list[Part]]) -> dict[str, list[Part]]:
    """Chains of different readers in the same folder (one chain per reader there) are one run."""
    by_home: dict[PurePosixPath, list[str]] = defaultdict(list)
    for name, members in runs.items():
        by_home[_common_folder(members)].append(name)
    merged: dict[str, list[Part]] = {}
    for home, names in by_home.items():
        readers = [runs[name][0].source.reader for name in names]
        if len(names) > 1 and len(set(readers)) == len(readers) and str(home) != ".":
            merged[str(home)] = [part for name in names for part in runs[name]]
        else:
            merged |= {name: runs[name] for name in names}
    return merged


def _common_folder(parts: list[Part]) -> PurePosixPath:
    folders = [part.folder.parts for part in parts]
    common = []
    for level in zip(*folders):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return PurePosixPath(*common) if common else PurePosixPath(".")


def _owners(folder: PurePosixPath, homes: dict[str, PurePosixPath]) -> list[str]:
    """Rule 3: the run whose home is the deepest folder above ``folder``, else every run."""
    above = {name: home for name, home in homes.items() if home == folder or home in folder.parents}
    if not above:
        return list(homes)
    deepest = max(len(home.parts) for home in above.values())
    owners = [name for name, home in above.items() if len(home.parts) == deepest]
    return owners if len(owners) == 1 else list(homes)
