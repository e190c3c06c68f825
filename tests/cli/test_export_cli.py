"""`entropy-lens export RUN_DIR --out DIR`: one ATIF document per trajectory, through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from entropy_lens import read_run
from entropy_lens.atif import SCHEMA_VERSION
from entropy_lens.cli.main import app
from entropy_lens.outputs import MARKER

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
runner = CliRunner()


def test_export_writes_valid_atif_and_can_run_again(tmp_path):
    atif = pytest.importorskip("atif")
    out = tmp_path / "atif"
    args = ["export", str(FIXTURES / "rllm"), "--out", str(out), "--model-name", "Qwen2.5-1.5B"]
    result = runner.invoke(app, args)
    rollouts = read_run(FIXTURES / "rllm").rollouts
    n = rollouts.select("split", "step", "traj_id").n_unique()
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Wrote {n} ATIF trajectories to {out}"
    files = sorted(p for p in out.iterdir() if p.name != MARKER)
    assert len(files) == n and all(f.suffix == ".json" for f in files)
    assert (out / MARKER).is_file()  # run discovery skips the folder
    for path in files:
        document = json.loads(path.read_text())
        assert atif.Trajectory.model_validate(document).schema_version == SCHEMA_VERSION
        assert document["agent"]["model_name"] == "Qwen2.5-1.5B"
    again = runner.invoke(app, args)  # an earlier export of the same run is ours to replace
    assert again.exit_code == 0 and sorted(p for p in out.iterdir() if p.name != MARKER) == files


def test_export_refuses_a_foreign_folder(tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    result = runner.invoke(app, ["export", str(FIXTURES / "skyrl"), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {out}: already holds files entropy-lens did not write (mine.txt)")
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


def test_export_of_a_run_without_rollouts(tmp_path):
    (tmp_path / "train.log").write_text("step:1 - actor/entropy:0.5\n")
    result = runner.invoke(app, ["export", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "no rollouts" in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_of_a_mapped_table(tmp_path):
    table = tmp_path / "answers.csv"
    table.write_text("iter,question,answer,score\n1,2+2?,4,1.0\n1,2+2?,5,0.0\n")
    columns = "prompt=question,response=answer,reward=score,step=iter"
    result = runner.invoke(app, ["export", str(table), "--out", str(tmp_path / "out"), "--columns", columns])
    assert result.exit_code == 0, result.output
    documents = [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("*.json"))]
    assert [d["steps"][-1]["message"] for d in documents] == ["4", "5"]
    assert [d["final_metrics"]["extra"]["reward"] for d in documents] == [1.0, 0.0]
