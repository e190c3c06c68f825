"""``registry.supported_formats``: what the error for an unrecognised run lists, derived from the reader lists."""

from __future__ import annotations

import pytest

from entropy_lens.errors import RunNotRecognized
from entropy_lens.readers import read_runs
from entropy_lens.readers.registry import _DESCRIPTIONS, FILE_READERS, FOLDER_READERS, supported_formats

REGISTERED = [*FOLDER_READERS, *FILE_READERS]


def test_every_registered_reader_is_described_and_no_description_is_stale():
    names = [reader.name for reader in REGISTERED]
    assert len(names) == len(set(names))
    assert set(_DESCRIPTIONS) == set(names)


def test_one_entry_per_framework_in_registry_order():
    formats = supported_formats()
    frameworks = [entry.split(" (")[0] for entry in formats]
    assert frameworks == ["verl", "SkyRL", "TRL", "OpenRLHF", "DeepSpeed", "AReaL", "MLflow", "rLLM", "ROLL",
                          "W&B", "TensorBoard", "tables"]
    assert "verl (global_step_N checkpoints, file-logger JSONL, rollout/validation dumps, " in formats[0]
    assert formats[-1] == "tables (CSV, JSONL or Parquet with a step column)"
    for reader in REGISTERED:  # every reader's description sits under its framework
        framework, what = _DESCRIPTIONS[reader.name]
        assert what in next(entry for entry in formats if entry.startswith(f"{framework} ("))


def test_a_reader_without_description_is_listed_by_name():
    class Stray:
        name, kind = "stray-format", "metrics"

    assert supported_formats([FILE_READERS[0], Stray()]) == ["rLLM (episode JSON)", "stray-format"]


def test_error_lists_the_formats_given_and_names_the_path(tmp_path):
    error = RunNotRecognized(tmp_path, 2, supported_formats())
    message = str(error)
    assert error.path == tmp_path and error.formats == supported_formats()
    assert message.startswith(f"{tmp_path}: no metrics, rollout dumps or checkpoints in a known format (2 files")
    assert "; tables (CSV, JSONL or Parquet with a step column). " in message
    assert message.endswith("is read with --columns (e.g. --columns step=Step,entropy=ent_mean).")
    assert "entropy-lens inspect" not in message  # `inspect` is what the user just ran
    for entry in supported_formats():
        assert entry in message
    assert "Supported" not in str(RunNotRecognized(tmp_path, 2))


def test_read_runs_lists_what_the_registry_reads(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(RunNotRecognized) as info:
        read_runs(tmp_path)
    assert info.value.formats == supported_formats()
    for framework in ("W&B", "MLflow", "TensorBoard", "rLLM", "SkyRL", "AReaL", "ROLL", "TRL", "OpenRLHF"):
        assert f"; {framework} (" in str(info.value)
