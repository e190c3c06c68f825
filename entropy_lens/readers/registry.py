"""The readers ``read_run`` tries, in order (the first whose ``sniff`` says yes reads the path).

Order matters where formats overlap: specific formats come before generic ones, and among
metric readers the more exact source comes first (the file logger keeps full floats; the
console log only prints them), because duplicated (step, key) rows keep the first reader's value.
``supported_formats`` describes these lists for people (the error when nothing is recognised).
"""

from __future__ import annotations

from entropy_lens.readers.areal import ArealRolloutReader
from entropy_lens.readers.base import Reader
from entropy_lens.readers.checkpoints import CHECKPOINT_READERS
from entropy_lens.readers.mlflow import MlflowFileStoreReader, MlflowSqliteReader
from entropy_lens.readers.rllm import RllmEpisodeReader
from entropy_lens.readers.rllm_strands import RllmStrandsReader
from entropy_lens.readers.roll import RollDumpReader, RollStdoutReader
from entropy_lens.readers.skyrl import SkyrlAggregatedReader, SkyrlEvalReader
from entropy_lens.readers.tabular import TableReader
from entropy_lens.readers.tensorboard import TensorBoardReader
from entropy_lens.readers.trl import CompletionsReader, TrainerStateReader
from entropy_lens.readers.verl_console import VerlConsoleReader
from entropy_lens.readers.verl_dumps import (
    VerlAgentValDumpReader,
    VerlRolloutDumpReader,
)
from entropy_lens.readers.verl_file_logger import VerlFileLoggerReader
from entropy_lens.readers.wandb import WandbRunReader

#: Readers of whole folders (checkpoints); ``read_run`` does not descend into a folder one claims.
FOLDER_READERS: list[Reader] = [*CHECKPOINT_READERS, MlflowFileStoreReader()]

#: Readers of single files.
FILE_READERS: list[Reader] = [
    # rLLM, SkyRL, AReaL, ROLL: claimed by exact file or folder names (ROLL's log by its metrics_tag lines)
    RllmEpisodeReader(),
    RllmStrandsReader(),
    SkyrlEvalReader(),
    SkyrlAggregatedReader(),
    ArealRolloutReader(),
    RollDumpReader(),
    RollStdoutReader(),
    # verl family: the file logger before the console log (its full floats win duplicated rows)
    VerlFileLoggerReader(),
    VerlRolloutDumpReader(),
    VerlAgentValDumpReader(),
    VerlConsoleReader(),
    # TRL, W&B, MLflow (float64 values), then TensorBoard (float32) after every exact source
    TrainerStateReader(),
    CompletionsReader(),
    WandbRunReader(),
    MlflowSqliteReader(),
    TensorBoardReader(),
    # fallback, keep last: any CSV / flat JSONL with a step column
    TableReader(),
]

#: reader name → (framework, what it reads), for ``supported_formats``; a test keeps it in step with the lists.
_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "verl-checkpoint": ("verl", "global_step_N checkpoints"),
    "verl-file-logger": ("verl", "file-logger JSONL"),
    "verl-rollout-dump": ("verl", "rollout/validation dumps"),
    "verl-agent-val-dump": ("verl", "verl-agent validation dumps"),
    "verl-console": ("verl", "console logs"),
    "skyrl-checkpoint": ("SkyRL", "global_step_N/policy checkpoints"),
    "skyrl-evals": ("SkyRL", "dumped_evals JSONL"),
    "skyrl-aggregated": ("SkyRL", "aggregated_results.jsonl"),
    "trl-checkpoint": ("TRL", "checkpoint-N folders"),
    "trl-trainer-state": ("TRL", "trainer_state.json"),
    "trl-completions": ("TRL", "completions Parquet"),
    "openrlhf-checkpoint": ("OpenRLHF", "global_stepN_hf checkpoints"),
    "deepspeed-checkpoint": ("DeepSpeed", "global_stepN checkpoints"),
    "areal-checkpoint": ("AReaL", "epoch…globalstepN checkpoints"),
    "areal-rollout": ("AReaL", "rollout JSONL dumps"),
    "mlflow-files": ("MLflow", "mlruns file store"),
    "mlflow-sqlite": ("MLflow", "sqlite store"),
    "rllm-episode": ("rLLM", "episode JSON"),
    "rllm-strands": ("rLLM", "Strands trajectories"),
    "roll-dump": ("ROLL", "rollout_dump_data JSONL"),
    "roll-stdout": ("ROLL", "metrics_tag logs"),
    "wandb-run": ("W&B", "run-<id>.wandb files"),
    "tensorboard-events": ("TensorBoard", "event files"),
    "generic-table": ("tables", "CSV, JSONL or Parquet with a step column"),
}


def supported_formats(readers: list[Reader] | None = None) -> list[str]:
    """What ``readers`` read, one entry per framework in order of first appearance.

    Args:
        readers: defaults to ``FOLDER_READERS`` then ``FILE_READERS`` (checkpoints first, so verl
            leads and the generic tables come last).

    Returns:
        e.g. ``["verl (global_step_N checkpoints, file-logger JSONL, …)", …, "W&B (run-<id>.wandb files)"]``;
        a reader missing from the descriptions is listed under its own name.
    """
    readers = [*FOLDER_READERS, *FILE_READERS] if readers is None else readers
    grouped: dict[str, list[str]] = {}
    for reader in readers:
        framework, what = _DESCRIPTIONS.get(reader.name, (reader.name, ""))
        items = grouped.setdefault(framework, [])
        if what and what not in items:
            items.append(what)
    return [f"{framework} ({', '.join(items)})" if items else framework for framework, items in grouped.items()]
