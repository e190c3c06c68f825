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


def test_missing_metric_is_an_error_naming_the_entropy_keys(run_dir, tmp_path):
    result = runner.invoke(app, ["analyze", str(run_dir), "--out", str(tmp_path / "o"), "--metric", "nope"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {run_dir}: metric 'nope' never appears. Entropy-like keys found: actor/entropy. "
        "Choose one with --metric.\n"
    )
    assert not (tmp_path / "o").exists()


def test_no_entropy_metric_names_the_entropy_like_keys_instead_of_an_empty_report(tmp_path):
    log = tmp_path / "run" / "metrics.jsonl"
    log.parent.mkdir()
    curves, _ = planted_eruption(60, seed=3)
    rows = [{"step": int(r["step"]), "policy/token_entropy_avg": r["entropy"], "loss": 1.0}
            for r in curves.iter_rows(named=True)]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["analyze", str(log.parent), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {log.parent}: metric 'entropy' never appears. Entropy-like keys found: "
        "policy/token_entropy_avg. Choose one with --metric.\n"
    )
    assert not (tmp_path / "o").exists()
    chosen = runner.invoke(app, ["analyze", str(log.parent), "--out", str(tmp_path / "o"),
                                 "--metric", "policy/token_entropy_avg"])
    assert chosen.exit_code == 0, chosen.output
    assert json.loads((tmp_path / "o" / "diagnosis.json").read_text())["phases"]["metric"] == "policy/token_entropy_avg"


def test_output_inside_the_run_does_not_break_later_commands(run_dir, tmp_path, monkeypatch):
    inside = run_dir / "diag"
    for _ in range(2):  # the second run reads the run with its first output inside it
        result = runner.invoke(app, ["analyze", str(run_dir), "--out", str(inside)])
        assert result.exit_code == 0, result.output
    monkeypatch.chdir(run_dir)
    for _ in range(2):
        result = runner.invoke(app, ["analyze", "."])
        assert result.exit_code == 0, result.output
    assert (run_dir / "entropy-lens-run" / MARKER).is_file() and (inside / MARKER).is_file()
    listing = runner.invoke(app, ["inspect", "."])
    assert listing.exit_code == 0, listing.output
    assert "holds" not in listing.stdout and "diag" not in listing.stdout and "entropy-lens-run" not in listing.stdout


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
