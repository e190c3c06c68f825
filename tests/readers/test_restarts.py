"""Restarted runs: steps logged twice keep the later value, and every such case is noted."""

from __future__ import annotations

import json
import os

import polars as pl
import pytest
from verl_writers import console_line, file_logger_line, metrics, write_log

from entropy_lens import read_run
from entropy_lens.readers.restarts import ranges


def entropy(run) -> dict[int, float]:
    return dict(run.series("entropy").iter_rows())


def expected(steps, seed) -> dict[int, float]:
    return {step: float(metrics(step, seed)["actor/entropy"]) for step in steps}


def test_appended_console_log(tmp_path):
    """``python -m verl.trainer.main_ppo … >> train.log`` twice: crashed at 150, resumed from 100."""
    log = tmp_path / "train.log"
    write_log(log, range(1, 151), seed=1)
    write_log(log, range(101, 201), seed=2, mode="ab")
    run = read_run(tmp_path)
    assert entropy(run) == expected(range(1, 101), 1) | expected(range(101, 201), 2)
    assert run.notes == ["train.log: steps 101–150 logged twice (a restart?); the later values are kept"]
    assert not run.problems and run.name is None


def set_times(*paths) -> None:
    """Modification times in the order given, one minute apart."""
    for minute, path in enumerate(paths):
        os.utime(path, (1_800_000_000 + 60 * minute,) * 2)


@pytest.mark.parametrize("writer", [console_line, file_logger_line], ids=["console", "file-logger"])
def test_second_file_newer_file_wins(tmp_path, writer):
    first, second = tmp_path / "b_first.log", tmp_path / "a_resumed.log"  # names sort the other way
    if writer is file_logger_line:
        first, second = first.with_suffix(".jsonl"), second.with_suffix(".jsonl")
    write_log(first, range(0, 151), seed=1, writer=writer)
    write_log(second, range(101, 201), seed=2, writer=writer)
    set_times(first, second)
    run = read_run(tmp_path)
    assert run.name is None and len(run.sources) == 2
    assert entropy(run) == expected(range(0, 101), 1) | expected(range(101, 201), 2)
    assert run.notes == [
        f"{second.name}: steps 101–150 also logged in {first.name} (a restart?); its values are kept (newer file)"
    ]
    set_times(second, first)  # copies that lost their times: the modification time still decides
    assert entropy(read_run(tmp_path)) == expected(range(0, 151), 1) | expected(range(151, 201), 2)


def test_same_time_then_path_decides(tmp_path):
    write_log(tmp_path / "a.log", range(1, 11), seed=1)
    write_log(tmp_path / "b.log", range(6, 16), seed=2)
    os.utime(tmp_path / "a.log", (1_800_000_000,) * 2)
    os.utime(tmp_path / "b.log", (1_800_000_000,) * 2)
    assert entropy(read_run(tmp_path)) == expected(range(1, 6), 1) | expected(range(6, 16), 2)


def test_a_copy_with_the_same_values_is_noted_as_such(tmp_path):
    write_log(tmp_path / "train.log", range(1, 21), seed=1)
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "train.log").write_bytes((tmp_path / "train.log").read_bytes())
    set_times(tmp_path / "train.log", tmp_path / "copy" / "train.log")
    run = read_run(tmp_path)
    assert entropy(run) == expected(range(1, 21), 1)
    assert run.notes == ["copy/train.log: steps 1–20 also logged in train.log with the same values"]


def test_more_precise_reader_still_wins_silently(tmp_path):
    """The console and the file logger of one run: full floats win, no note (not a restart)."""
    write_log(tmp_path / "train.log", range(1, 31), seed=1)
    lines = [(s, {"actor/entropy": round(float(metrics(s, 1)["actor/entropy"]), 3)}) for s in range(1, 31)]
    (tmp_path / "m.jsonl").write_bytes(b"".join(file_logger_line(s, d) for s, d in lines))
    run = read_run(tmp_path)
    assert run.notes == [] and set(run.metrics["source"]) == {"m.jsonl"}


def test_notes_reach_inspect_and_diagnosis(tmp_path):
    from typer.testing import CliRunner

    from entropy_lens.cli.main import app

    log = tmp_path / "run" / "train.log"
    write_log(log, range(1, 121), seed=1)
    write_log(log, range(81, 201), seed=2, mode="ab")
    note = "train.log: steps 81–120 logged twice (a restart?); the later values are kept"
    runner = CliRunner()
    human = runner.invoke(app, ["inspect", str(log.parent)])
    assert human.exit_code == 0 and f"notes:\n  {note}" in human.stdout
    as_json = runner.invoke(app, ["inspect", str(log.parent), "--json"])
    assert [r["notes"] for r in json.loads(as_json.stdout)["runs"]] == [[note]]
    result = runner.invoke(app, ["analyze", str(log.parent), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0 and f"Note: {note}" in result.stderr
    diagnosis = (tmp_path / "out" / "diagnosis.json").read_text()
    assert json.loads(diagnosis)["notes"][0] == note


def test_ranges():
    assert ranges(pl.Series([5, 1, 2, 3, 9, 10, 12])) == "1–3, 5, 9–10, 12"
    assert ranges(pl.Series(list(range(0, 20, 2)))) == "0, 2, 4, 6 and 6 more ranges"
