"""Folders that mix several training runs: real W&B offline runs, verl file-logger experiments,
console logs, real third-party folders; picked with ``run=`` / ``--run``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from verl_writers import file_logger_line, metrics, write_log

from entropy_lens import read_run
from entropy_lens.errors import SeveralRuns, UnknownRun
from entropy_lens.readers import read_runs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DUMPS = FIXTURES / "verl" / "run" / "rollout_data"


def entropy(run) -> dict[int, float]:
    return dict(run.series("entropy").iter_rows())


def expected(steps, seed) -> dict[int, float]:
    return {step: float(metrics(step, seed)["actor/entropy"]) for step in steps}


def offline_run(folder, seed: int, steps, run_id: str | None = None) -> str:
    """A real ``wandb.init(mode="offline")`` run logging ``actor/entropy``; its run id."""
    wandb = pytest.importorskip("wandb")
    run = wandb.init(mode="offline", dir=folder, project="p", id=run_id, resume="allow" if run_id else None,
                     reinit="finish_previous", settings=wandb.Settings(silent=True))
    for step in steps:
        run.log({"actor/entropy": float(metrics(step, seed)["actor/entropy"])}, step=step)
    run.finish()
    wandb.teardown()  # finish() can return before wandb-core has flushed the .wandb file
    return run.id


def test_two_wandb_runs_and_a_shared_console_log(tmp_path):
    first, second = offline_run(tmp_path, 1, range(1, 21)), offline_run(tmp_path, 2, range(1, 31))
    write_log(tmp_path / "train.log", range(1, 6), seed=3, keys=("actor/pg_loss",))
    runs = read_runs(tmp_path)
    assert [r.name for r in runs] == sorted([first, second])
    for run, seed, steps in sorted([(first, 1, range(1, 21)), (second, 2, range(1, 31))]):
        chosen = read_run(tmp_path, run=run)
        assert entropy(chosen) == expected(steps, seed)
        assert chosen.series("actor/pg_loss").height == 5  # the console log sits in neither run's folder
        assert {s.reader for s in chosen.sources} == {"wandb-run", "verl-console"}
    with pytest.raises(SeveralRuns) as error:
        read_run(tmp_path)
    assert f"holds 2 runs: {', '.join(sorted([first, second]))}. Pick one with --run NAME" in str(error.value)


def test_a_resumed_wandb_run_is_one_run(tmp_path):
    run_id = offline_run(tmp_path, 1, range(1, 16))
    offline_run(tmp_path, 2, range(11, 26), run_id=run_id)  # resume="allow": a second folder, same id
    assert len(list(tmp_path.glob("wandb/offline-run-*"))) == 2
    run = read_run(tmp_path)
    assert run.name == run_id and entropy(run) == expected(range(1, 11), 1) | expected(range(11, 26), 2)
    assert len(run.notes) == 1 and "steps 11–15 also logged in" in run.notes[0]


@pytest.fixture
def two_experiments(tmp_path):
    """``VERL_FILE_LOGGER_ROOT=logs``, experiments exp_a and exp_b of project proj, and rollout dumps."""
    write_log(tmp_path / "logs/proj/exp_a.jsonl", range(0, 40), seed=1, writer=file_logger_line)
    write_log(tmp_path / "logs/proj/exp_b.jsonl", range(0, 25), seed=2, writer=file_logger_line)
    shutil.copytree(DUMPS, tmp_path / "rollout_data")
    return tmp_path


def test_two_file_logger_experiments(two_experiments):
    runs = read_runs(two_experiments)
    assert [r.name for r in runs] == ["logs/proj/exp_a", "logs/proj/exp_b"]
    assert [r.notes for r in runs] == [[], []]
    for run, seed, steps in zip(runs, (1, 2), (range(0, 40), range(0, 25))):
        assert entropy(run) == expected(steps, seed)
        assert run.rollouts.height == 12  # the dumps are in neither experiment's folder: shared
    assert entropy(read_run(two_experiments, run="exp_b")) == expected(range(0, 25), 2)  # the end of the name
    assert read_run(two_experiments, run="logs/proj/exp_a").name == "logs/proj/exp_a"


def test_wrong_run_names(two_experiments):
    with pytest.raises(UnknownRun, match="no run is called 'exp_c' \\(runs: logs/proj/exp_a, logs/proj/exp_b\\)"):
        read_run(two_experiments, run="exp_c")
    write_log(two_experiments / "other/exp_a.jsonl", range(0, 10), seed=5, writer=file_logger_line)
    with pytest.raises(UnknownRun, match="more than one run ends in 'exp_a'"):
        read_run(two_experiments, run="exp_a")
    with pytest.raises(UnknownRun, match="one unnamed run; leave out --run"):
        read_run(DUMPS, run="exp_a")


def test_run_folders_keep_their_own_dumps_and_loggers(tmp_path):
    """``exp_a/`` and ``exp_b/``, each with a console log, a file logger and dumps: two runs of two files."""
    for name, seed in (("exp_a", 1), ("exp_b", 2)):
        write_log(tmp_path / name / "train.log", range(1, 21), seed=seed, keys=("actor/pg_loss",))
        write_log(tmp_path / name / "metrics.jsonl", range(1, 21), seed=seed, writer=file_logger_line)
        shutil.copytree(DUMPS, tmp_path / name / "rollout_data")
    (tmp_path / "exp_b" / "rollout_data" / "3.jsonl").unlink()
    runs = read_runs(tmp_path)
    assert [r.name for r in runs] == ["exp_a", "exp_b"]
    assert [r.rollouts.height for r in runs] == [12, 8]
    for run, seed in zip(runs, (1, 2)):
        assert entropy(run) == expected(range(1, 21), seed)
        assert {s.reader for s in run.sources} == {"verl-console", "verl-file-logger", "verl-rollout-dump"}


def test_two_console_logs_from_the_start_are_two_runs(tmp_path):
    write_log(tmp_path / "seed1.log", range(0, 30), seed=1)
    write_log(tmp_path / "seed2.log", range(0, 30), seed=2)
    write_log(tmp_path / "sft.log", range(0, 30), seed=3, keys=("train/loss",))  # no key in common
    assert [r.name for r in read_runs(tmp_path)] == ["seed1", "seed2", "sft"]


def manifest(external, folder: str) -> dict[str, dict]:
    entries = json.loads((external / "MANIFEST.json").read_text())
    chosen = [e for e in entries if e["file"].startswith(folder) and "n_steps" in e]
    return {Path(e["file"]).stem: e for e in chosen}


def test_real_folder_of_four_logs(external):
    """verl's published GSM8K baselines: three PPO runs and one SFT run in one folder."""
    golden = manifest(external, "verl_data_experiments/gsm8k/")
    runs = read_runs(external / "verl_data_experiments")
    assert [r.name for r in runs] == [f"gsm8k/{name}" for name in sorted(golden)]
    for run in runs:
        entry = golden[run.name.removeprefix("gsm8k/")]
        assert run.metrics["step"].n_unique() == entry["n_steps"] and not run.notes
        if entry["entropy"]:
            values = run.series("entropy")["value"]
            assert (values.len(), values[0], values[-1]) == tuple(entry["entropy"][k] for k in ("n", "first", "last"))


def test_real_wandb_exports_are_split_by_run(external):
    folder = external / "deep_grpo_wandb_csv/recipe/DEEP_GRPO/paper_draw/data/training_dynamics"
    runs = read_runs(folder)
    assert [r.name for r in runs] == [
        "Qwen2.5-0.5B-Instruct-GSM8K-CRPO-sp-p1-b8-gamma2.0-lam1.0-01161659",
        "qwen2.5-0.5b-instruct-gsm8k-crpo-no-branch",
    ]
    for run in runs:
        assert {"entropy", "response_length/main_chain/mean"} <= set(run.metric_names)  # main_chain entropy
        assert "actor/main_chain/entropy" in run.metrics["raw_name"].to_list()
        assert len(run.sources) == 3 and not run.notes
    alone = read_run(folder.parent / "tree_methods_training_instability")  # one run over two files
    assert alone.name == "Qwen2.5-0.5B-Instruct-TreeRL" and alone.series("actor/entropy").height > 100
