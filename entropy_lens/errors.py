"""Every user-facing exception of entropy-lens.

The library raises these; the command line turns each into one ``Error: …`` line on stderr and
exit status 1, without a traceback. Every message names the path (and line) at fault and, where
there is one, the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class EntropyLensError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""


class RunNotFound(EntropyLensError):
    """The run directory (or file) does not exist or is empty."""

    def __init__(self, path: Path | str, reason: str = "does not exist"):
        self.path = Path(path)
        super().__init__(f"{path}: {reason}")


class RunNotRecognized(EntropyLensError):
    """Nothing inside the run directory is in a format entropy-lens reads.

    ``formats`` lists what is read (``readers.registry.supported_formats()``, passed in by
    ``read_runs``: this module imports no reader).
    """

    def __init__(self, path: Path | str, looked_at: int = 0, formats: Sequence[str] = ()):
        self.path = Path(path)
        self.formats = list(formats)
        supported = f" Supported: {'; '.join(self.formats)}." if self.formats else ""
        super().__init__(
            f"{path}: no metrics, rollout dumps or checkpoints in a known format "
            f"({looked_at} file{'s' if looked_at != 1 else ''} looked at).{supported} A CSV, JSONL or Parquet table whose columns are "
            "named otherwise is read with --columns (e.g. --columns step=Step,entropy=ent_mean)."
        )


class SeveralRuns(EntropyLensError):
    """The folder holds more than one training run and the command needs one."""

    def __init__(self, path: Path | str, names: list[str]):
        self.path = Path(path)
        self.names = names
        listed = ", ".join(names[:8]) + (f" (+{len(names) - 8} more)" if len(names) > 8 else "")
        super().__init__(
            f"{path}: holds {len(names)} runs: {listed}. Pick one with --run NAME "
            f"(`entropy-lens inspect {path}` describes each)."
        )


class UnknownRun(EntropyLensError):
    """``--run NAME`` names no run of the folder (or more than one)."""

    def __init__(self, path: Path | str, name: str, names: list[str], reason: str = "no run is called"):
        self.path = Path(path)
        found = ", ".join(names) if names else "one unnamed run; leave out --run"
        super().__init__(f"{path}: {reason} '{name}' (runs: {found})")


class InvalidInput(EntropyLensError):
    """A file (or one line of it) cannot be parsed."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {reason}")


class MissingMetric(EntropyLensError):
    """The metric asked for never appears in the run."""

    def __init__(
        self, name: str, where: Path | str, available: list[str] | None = None, label: str = "Available"
    ):
        self.name = name
        self.available = sorted(available or [])
        hint = ""
        if available:
            shown = ", ".join(self.available[:12])
            more = f" (+{len(available) - 12} more)" if len(available) > 12 else ""
            hint = f" {label}: {shown}{more}."
        super().__init__(f"{where}: metric '{name}' never appears.{hint} Choose one with --metric.")


class NotEnoughSteps(EntropyLensError):
    """A series is too short to segment."""

    def __init__(self, name: str, n_steps: int, needed: int, where: Path | str = ""):
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}metric '{name}' has {n_steps} logged steps; at least {needed} are needed "
            "to find phases."
        )


class CheckpointNotFound(EntropyLensError):
    """No loadable checkpoint at the given path."""

    def __init__(self, path: Path | str, reason: str = "no HF checkpoint (config.json) found"):
        self.path = Path(path)
        super().__init__(f"{path}: {reason}")


class MissingDependency(EntropyLensError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install 'entropy-lens[{extra}]'"
        )


class OutputExists(EntropyLensError):
    """Writing would overwrite something that is not ours to replace."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        super().__init__(f"{path}: {reason}")


class OutputNotWritable(EntropyLensError):
    """The output folder cannot be created or written to."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        super().__init__(f"{path}: cannot write output here ({reason}); choose another --out")


class NoRollouts(EntropyLensError):
    """The input holds no rollout or validation dumps (or none match the selection)."""

    def __init__(self, path: Path | str, selection: str = ""):
        self.path = Path(path)
        what = f" matching {selection}" if selection else ""
        super().__init__(
            f"{path}: no rollouts{what}. Point at a rollout dump (e.g. verl's rollout_data_dir) or a run "
            f"directory containing one; `entropy-lens inspect {path}` lists what was found."
        )


class UntrustedCheckpoint(EntropyLensError):
    """A pickled checkpoint file holds objects that ``torch.load(weights_only=True)`` refuses."""

    def __init__(self, path: Path | str, detail: str):
        self.path = Path(path)
        super().__init__(
            f"{path}: refused by the safe loader (weights_only=True: {detail}). Unpickling can run "
            "arbitrary code; if you trust this file, pass --trust-checkpoint (Python: trust_checkpoint=True)."
        )


class RankFailed(EntropyLensError):
    """Under torchrun, another process (rank) failed or its part of the output cannot be read."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        super().__init__(f"{path}: {reason}")
