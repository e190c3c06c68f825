"""`entropy-lens analyze` on small verl-shaped runs: warnings, skipped stages, errors, outputs."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from entropy_lens.cli.main import app
from entropy_lens.outputs import MARKER
from entropy_lens.synthetic import planted_eruption

runner = CliRunner()


@pytest.fixture
def run_dir(tmp_path):
    """A verl file-logger JSONL of a planted two-cycle run, with one broken line in the middle."""
    curves, _ = planted_eruption(200, seed=7)
    lines = [
        json.dumps({"step": int(r["step"]), "data": {"actor/entropy": r["entropy"], "critic/score/mean": r["reward"]}})
        for r in curves.iter_rows(named=True)
    ]
    lines.insert(50, '{"step": 51, "data": {"actor/entropy": 0.4')  # a torn write
    path = tmp_path / "run" / "logs" / "proj" / "exp.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    return tmp_path / "run"


def test_broken_line_is_a_warning_and_strict_makes_it_fatal(run_dir, tmp_path):
    result = runner.invoke(app, ["analyze", str(run_dir), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Warning: logs/proj/exp.jsonl: skipped 1 unparsable line(s)" in result.stderr
    assert "logs/proj/exp.jsonl:51" in result.stderr
    assert "Degeneracy scan skipped" in result.stderr  # no rollouts: noted, not fatal
    diagnosis = json.loads((tmp_path / "out" / "diagnosis.json").read_text())
    assert diagnosis["phases"]["pattern"] == "cyclical" and diagnosis["scan"] is None

    strict = runner.invoke(app, ["analyze", str(run_dir), "--out", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1
    assert strict.stderr.startswith(f"Error: {run_dir / 'logs/proj/exp.jsonl'}:51:")
    assert not (tmp_path / "strict").exists()


def test_missing_metric_is_noted_and_named(run_dir, tmp_path):
    result = runner.invoke(app, ["analyze", str(run_dir), "--out", str(tmp_path / "o"), "--metric", "nope"])
    assert result.exit_code == 0
    assert "metric 'nope' never appears" in result.stderr and "entropy" in result.stderr


def test_output_folder_with_foreign_files_is_refused(run_dir, tmp_path):
    out = tmp_path / "occupied"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    result = runner.invoke(app, ["analyze", str(run_dir), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {out}: already holds files entropy-lens did not write (thesis.tex)")
    assert (out / "thesis.tex").read_text() == "precious"


def test_rerun_replaces_its_own_outputs(run_dir, tmp_path):
    out = tmp_path / "o"
    for _ in range(2):
        assert runner.invoke(app, ["analyze", str(run_dir), "--out", str(out)]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "diagnosis.json", "report.html", "tables"]


def test_inputs_are_never_modified(run_dir, tmp_path):
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    runner.invoke(app, ["analyze", str(run_dir), "--out", str(tmp_path / "o")])
    after = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert before == after


def test_nan_values_survive_to_strict_json(run_dir, tmp_path):
    path = run_dir / "logs" / "proj" / "exp.jsonl"
    with path.open("a") as handle:
        handle.write(json.dumps({"step": 201, "data": {"actor/entropy": float("nan")}}) + "\n")  # a NaN token
    result = runner.invoke(app, ["analyze", str(run_dir), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "o" / "diagnosis.json").read_text()
    assert "NaN" not in text
    assert np.isfinite(json.loads(text)["phases"]["noise_sigma"])
