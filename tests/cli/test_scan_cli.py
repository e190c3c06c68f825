"""``entropy-lens scan``: human table, ``--json`` contract, ``--env``, warnings and user errors."""

from __future__ import annotations

import json
import shutil

import pytest
from entropy_lens.cli.main import app
from typer.testing import CliRunner

from entropy_lens.detectors import DETECTOR_NAMES
from entropy_lens.detectors.base import PATTERNS

runner = CliRunner()


@pytest.fixture(scope="module")
def dump(external):
    return external / "verl_rollout_dump_zyqiu6" / "1.jsonl"


def test_human_table(dump):
    result = runner.invoke(app, ["scan", str(dump)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "outputs: 128  environments: generic 128"
    assert lines[2].split()[:5] == ["split", "step", "n", "sent_dup", "char_run"]
    assert lines[3].split()[:3] == ["train", "1", "128"]
    assert "onsets (train split):" in lines and "  hallucination: -" in lines


def test_json_contract(dump):
    result = runner.invoke(app, ["scan", str(dump), "--json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["n_outputs"] == 128 and payload["detectors"] == list(DETECTOR_NAMES)
    (step,) = payload["per_step"]
    assert step["step"] == 1 and step["split"] == "train" and step["n"] == 128
    assert all(0.0 <= step[name] <= 1.0 for name in PATTERNS)
    # companions: the mean value (docs/detectors.md: compression_ratio mean 2.36 on this healthy dump)
    assert step["compression_ratio"] == pytest.approx(2.36, abs=0.005) and 0 < step["seq_rep_4"] < 0.3
    assert step["compression_ratio_flag"] == pytest.approx(55 / 128) and step["seq_rep_4_flag"] == 8 / 128
    result = runner.invoke(app, ["scan", str(dump)])
    assert "sdr, rep4, zlib, rep5, rep10, clause: means of the numeric" in result.stdout
    header = result.stdout.splitlines()[2].split()
    assert len(header) == len(set(header)) == 3 + len(DETECTOR_NAMES) + 3  # split, step, n; 3 group signals
    assert set(payload["onsets"]) == set(PATTERNS)


def test_env_override_changes_the_verdict(dump):
    # read as ALFWorld, GSM8K answers have no <action>: every output is an invalid action
    payload = json.loads(runner.invoke(app, ["scan", str(dump), "--json", "--env", "alfworld"]).stdout)
    assert payload["per_step"][0]["invalid_action"] == 1.0 and payload["environments"] == {"alfworld": 128}
    bad = runner.invoke(app, ["scan", str(dump), "--env", "minecraft"])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: Invalid value for '--env': 'minecraft' is not one of ")
    assert "alfworld" in bad.stderr


def test_skipped_lines_are_counted_not_fatal(dump, tmp_path):
    folder = tmp_path / "rollout_data"
    folder.mkdir()
    lines = dump.read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "7.jsonl").write_text("".join(lines[:5]) + '{"input": "broken', encoding="utf-8")
    result = runner.invoke(app, ["scan", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert "skipped 1 unparsable line" in result.stderr
    assert json.loads(result.stdout)["n_outputs"] == 5


def test_user_errors(tmp_path, external):
    missing = runner.invoke(app, ["scan", str(tmp_path / "missing")])
    assert missing.exit_code == 1 and missing.stderr.strip() == f"Error: {tmp_path / 'missing'}: does not exist"
    state = external / "trl_minesweeper_grpo"
    shutil.copytree(state, tmp_path / "run")
    metrics_only = runner.invoke(app, ["scan", str(tmp_path / "run")])
    assert metrics_only.exit_code == 1
    assert metrics_only.stderr.startswith(f"Error: {tmp_path / 'run'}: no rollouts")
    assert "Traceback" not in metrics_only.output


def test_help_mentions_the_python_equivalent():
    result = runner.invoke(app, ["scan", "--help"])
    assert result.exit_code == 0 and "entropy_lens.detectors.scan" in result.output
