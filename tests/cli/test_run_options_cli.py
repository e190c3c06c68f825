"""`--strict`, `--columns` and `--run` on every command that reads a run; `inspect` lists every run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner
from verl_writers import file_logger_line, write_log

from entropy_lens.cli.main import app
from entropy_lens.synthetic import planted_eruption

runner = CliRunner()
DUMPS = Path(__file__).resolve().parent.parent / "fixtures" / "verl" / "run" / "rollout_data"
#: command → the arguments it needs besides the path (recompute fails before any model is loaded)
COMMANDS = {
    "inspect": [],
    "analyze": ["--out", "{tmp}/out"],
    "phases": [],
    "scan": [],
    "recompute": ["--model", "{tmp}/no-model", "--out", "{tmp}/rec"],
    "export": ["--out", "{tmp}/atif"],
}


def invoke(command: str, path: Path, tmp: Path, *extra: str):
    args = [a.format(tmp=tmp) for a in COMMANDS[command]]
    return runner.invoke(app, [command, str(path), *args, *extra])


@pytest.fixture
def two_runs(tmp_path):
    """Two verl file-logger experiments with planted eruption curves, and shared rollout dumps."""
    for name, seed in (("exp_a", 1), ("exp_b", 2)):
        curves, _ = planted_eruption(120, seed=seed)
        rows = curves.iter_rows(named=True)
        lines = [file_logger_line(int(r["step"]), {"actor/entropy": r["entropy"]}) for r in rows]
        path = tmp_path / "run" / "logs" / "proj" / f"{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(lines))
    shutil.copytree(DUMPS, tmp_path / "run" / "rollout_data")
    return tmp_path / "run"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "inspect"])
def test_several_runs_need_run(two_runs, tmp_path, command):
    result = invoke(command, two_runs, tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {two_runs}: holds 2 runs: logs/proj/exp_a, logs/proj/exp_b. Pick one")
    chosen = invoke(command, two_runs, tmp_path, "--run", "exp_b")
    if command == "recompute":  # gets past reading, to the missing checkpoint
        assert chosen.exit_code == 1 and chosen.stderr.endswith("no-model: does not exist\n")
    else:
        assert chosen.exit_code == 0, chosen.output
    wrong = invoke(command, two_runs, tmp_path, "--run", "exp_c")
    assert wrong.exit_code == 1 and "no run is called 'exp_c'" in wrong.stderr


def test_inspect_lists_every_run(two_runs):
    human = runner.invoke(app, ["inspect", str(two_runs)])
    assert human.exit_code == 0
    assert human.stdout.startswith(f"{two_runs} holds 2 runs; analyze one with --run NAME.")
    assert f"run: {two_runs}  --run logs/proj/exp_a" in human.stdout
    assert f"run: {two_runs}  --run logs/proj/exp_b" in human.stdout
    payload = json.loads(runner.invoke(app, ["inspect", str(two_runs), "--json"]).stdout)
    assert [r["name"] for r in payload["runs"]] == ["logs/proj/exp_a", "logs/proj/exp_b"]
    assert [r["n_rollouts"] for r in payload["runs"]] == [12, 12]
    one = json.loads(runner.invoke(app, ["inspect", str(two_runs), "--json", "--run", "exp_a"]).stdout)
    assert set(one) == set(payload) == {"path", "runs"}  # one shape, for one run as for several
    assert [r["name"] for r in one["runs"]] == ["logs/proj/exp_a"] and one["runs"][0]["notes"] == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_strict_everywhere(tmp_path, command):
    run = tmp_path / "run"
    write_log(run / "logs" / "m.jsonl", range(1, 60), seed=1, writer=file_logger_line)
    shutil.copytree(DUMPS, run / "rollout_data")
    with open(run / "rollout_data" / "2.jsonl", "a") as dump:
        dump.write('{"input": "cut off')
    result = invoke(command, run, tmp_path, "--strict")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {run / 'rollout_data' / '2.jsonl'}:5:")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_columns_everywhere(tmp_path, command):
    table = tmp_path / "answers.csv"
    rows = [f"{step},q{i},The answer is {i}. The answer is {i}.,{i % 2}" for step in (1, 2) for i in range(4)]
    table.write_text("iter,question,answer,score\n" + "\n".join(rows) + "\n")
    mapping = ["--columns", "prompt=question,response=answer,reward=score,step=iter"]
    if command in ("inspect", "scan", "export"):
        result = invoke(command, table, tmp_path, *mapping)
        assert result.exit_code == 0, result.output
    bad = invoke(command, table, tmp_path, "--columns", "step=Step")
    assert bad.exit_code == 1
    assert bad.stderr.startswith(f"Error: {table}:1: no column 'Step' (columns: iter, question, answer, score)")
    syntax = invoke(command, table, tmp_path, "--columns", "step")
    assert syntax.exit_code == 1 and syntax.stdout == ""
    assert syntax.stderr.startswith("Error: Invalid value for '--columns'") and "is not name=column" in syntax.stderr
    assert syntax.stderr.count("\n") == 1


def test_runs_of_one_folder_get_their_own_default_output(two_runs, tmp_path, monkeypatch):
    """Without --out, `analyze --run A` and `--run B` write two folders: neither overwrites the other."""
    monkeypatch.chdir(tmp_path)
    for name in ("exp_a", "exp_b"):
        assert runner.invoke(app, ["analyze", str(two_runs), "--run", name, "--quiet"]).exit_code == 0
    written = sorted(p.name for p in tmp_path.glob("entropy-lens-*"))
    assert written == ["entropy-lens-run-exp_a", "entropy-lens-run-exp_b"]
    for name in ("exp_a", "exp_b"):
        title = (tmp_path / f"entropy-lens-run-{name}" / "report.html").read_text()
        assert f"logs/proj/{name}" in title
