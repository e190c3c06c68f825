"""`entropy-lens seal`: --from / --from-diagnosis, warnings, errors, and `analyze` on its output."""

import json

import pytest
from typer.testing import CliRunner

from entropy_lens.cli.main import app

from seal_fixtures import CHECKPOINT, TEMPLATE_PROMPT, write_dump

runner = CliRunner()
FAST = ["--steps", "2", "--batch-size", "4", "--device", "cpu", "--quiet"]


def test_missing_inputs_are_one_error_line(tmp_path):
    result = runner.invoke(app, ["seal", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'o'}: pass --from CKPT and ROLLOUTS, or --from-diagnosis DIAG_DIR\n"
    result = runner.invoke(app, ["seal", "--out", str(tmp_path / "o"), "--from-diagnosis", str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {tmp_path / 'diagnosis.json'}: cannot read")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("absent", ["torch", "accelerate"])
def test_a_missing_training_library_is_one_error_line(tmp_path, monkeypatch, absent):
    """On an install without the ``train`` extra: the extra to install, not an ImportError traceback."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == absent else find_spec(name, *a))
    rollouts = write_dump(tmp_path / "dump", 1, [{"input": "2+2?", "output": "4", "score": 1.0}])
    result = runner.invoke(app, ["seal", str(rollouts), "--from", str(CHECKPOINT), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: A SEAL fine-tune needs the '{absent}' package: pip install 'entropy-lens[train]'\n"
    assert not (tmp_path / "o").exists()


def test_a_diagnosis_without_a_fine_tune_says_why(tmp_path):
    reason = "no entropy eruption was found, so there is nothing for SEAL to prevent"
    (tmp_path / "diagnosis.json").write_text(json.dumps({"recommendation": {"action": "none", "reason": reason}}))
    result = runner.invoke(app, ["seal", "--out", str(tmp_path / "o"), "--from-diagnosis", str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.rstrip().endswith(f"recommends no SEAL fine-tune: {reason}")


@pytest.mark.slow  # one short fine-tune, then analyze on it (~15 s)
def test_from_diagnosis_follows_the_recommendation_and_analyze_reads_the_result(small_run, tmp_path):
    recommendation = {"action": "seal", "checkpoint": str(CHECKPOINT), "rollouts": str(small_run), "until_step": 1}
    (tmp_path / "diagnosis.json").write_text(json.dumps({"recommendation": recommendation}))
    out = tmp_path / "ft"
    result = runner.invoke(app, ["seal", "--from-diagnosis", str(tmp_path), "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    assert f"Checkpoint: {out / 'global_step_2'}" in result.stdout
    record = json.loads((out / "seal_run.json").read_text())
    assert record["config"]["checkpoint"] == str(CHECKPOINT) and record["config"]["until_step"] == 1
    assert record["n_outputs"] == 6  # step 1 only: 2 tasks × 3 outputs

    analyzed = runner.invoke(app, ["analyze", str(out), "--out", str(tmp_path / "diag-ft")])
    assert analyzed.exit_code == 0, analyzed.output
    diagnosis = json.loads((tmp_path / "diag-ft" / "diagnosis.json").read_text())
    assert [c["step"] for c in diagnosis["checkpoints"]] == [2]
    metrics = (tmp_path / "diag-ft" / "tables" / "metrics.parquet")
    import polars as pl

    names = set(pl.read_parquet(metrics)["name"])
    assert {"entropy", "grad_norm", "actor/seal_loss", "actor/seal_accuracy", "actor/pg_loss"} <= names


@pytest.mark.slow  # one short fine-tune (~10 s)
def test_singleton_groups_are_announced(tmp_path):
    rows = [
        {"input": TEMPLATE_PROMPT.format(task=f"task {k}"), "output": "<action>look</action>", "score": float(k % 2),
         "acc": bool(k % 2)}
        for k in range(4)
    ]
    write_dump(tmp_path / "run" / "rollout_data", 1, rows)
    out = tmp_path / "ft"
    result = runner.invoke(app, ["seal", "--from", str(CHECKPOINT), str(tmp_path / "run"), "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    warning = "Warning: 4 of 4 groups are singletons (one output each)"
    assert warning in result.stderr and "(100% of outputs)" in result.stderr and "50% of outputs are labelled correct" in result.stderr
    record = json.loads((out / "seal_run.json").read_text())
    assert record["warnings"] and record["warnings"][0].startswith("4 of 4 groups are singletons")
    assert record["groups"]["label_sources"] == {"success": 4}
