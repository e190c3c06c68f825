"""Scoring the demo run under every checkpoint: tokenised once, one folder per checkpoint, the CLI options."""

import json

import pytest
from typer.testing import CliRunner

import entropy_lens.recompute.across_checkpoints as across
from entropy_lens import read_run
from entropy_lens.cli.main import app
from entropy_lens.errors import InvalidInput
from entropy_lens.recompute.score_rollouts import select_rollouts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_run):
    return read_run(demo_run)


def test_spec_selects_checkpoints(demo):
    assert [s for s, _ in across.run_checkpoints(demo, "all")] == [150, 300]
    assert [s for s, _ in across.run_checkpoints(demo, "300,150,300")] == [150, 300]
    with pytest.raises(InvalidInput, match="steps with weights: 150, 300"):
        across.run_checkpoints(demo, "150,200")
    with pytest.raises(InvalidInput, match="--checkpoints"):
        across.run_checkpoints(demo, "last")


def test_tokenised_once_for_every_checkpoint(demo, tmp_path, monkeypatch):
    calls = []
    real = across.encode_rollouts
    monkeypatch.setattr(across, "encode_rollouts", lambda *a, **k: calls.append(1) or real(*a, **k))
    rollouts = select_rollouts(demo, split="val", steps=[150, 300], max_samples=16)
    result = across.recompute_checkpoints(across.run_checkpoints(demo, "all"), rollouts, tmp_path)
    assert len(calls) == 1 and result["tokenisations"] == 1
    assert [c["tokenised"] for c in result["checkpoints"]] == [True, False]
    for step in (150, 300):
        assert {p.name for p in (tmp_path / f"checkpoint_{step}").iterdir()} == {
            "tokens.parquet", "samples.parquet", "hidden.npz", "separation.json"}
    # the two checkpoints have different weights: the same tokens score differently
    a, b = (c["mean_policy_entropy"] for c in result["checkpoints"])
    assert a != b
    assert json.loads((tmp_path / "checkpoints.json").read_text())["tokenisations"] == 1


def test_analyze_checkpoints_all(demo_run, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["analyze", str(demo_run), "--out", str(out), "--checkpoints", "all",
                                      "--model-samples", "40"])
    assert result.exit_code == 0, result.output
    separation = json.loads((out / "diagnosis.json").read_text())["separation"]
    assert [c["step"] for c in separation["by_checkpoint"]] == [150, 300]
    for row in separation["by_checkpoint"]:
        assert row["model_adds"] == pytest.approx(row["probe_auroc"] - separation["text_control"]["probe_auroc"])
        assert len(row["projection"]["x"]) == row["n"]
    assert separation["early_warning"]["sentence"]
    assert separation["overall"]["probe_auroc"] == separation["by_checkpoint"][-1]["probe_auroc"]
    page = (out / "report.html").read_text()
    assert 'id="separation-trend"' in page and separation["early_warning"]["sentence"].split(":")[0] in page
    scale = page.split('id="token-scale"')[1].split("</p>")[0]  # the examples' tokens, under the last checkpoint
    assert "coloured by their entropy recomputed under" in scale and "global_step_300" in scale
    assert "global_step_150" not in scale and page.count('class="tok"') == page.count('<article class="example">')


def test_recompute_needs_model_or_checkpoints(demo_run, tmp_path):
    result = CliRunner().invoke(app, ["recompute", str(demo_run), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "exactly one of --model" in result.stderr
    ok = CliRunner().invoke(app, ["recompute", str(demo_run), "--out", str(tmp_path / "o"), "--checkpoints", "150",
                                  "--split", "val", "--max-samples", "8"])
    assert ok.exit_code == 0, ok.output
    assert [c["step"] for c in json.loads(ok.stdout)["checkpoints"]] == [150]


def test_analyze_refuses_model_and_checkpoints_together(demo_run, tmp_path):
    result = CliRunner().invoke(app, ["analyze", str(demo_run), "--out", str(tmp_path / "o"), "--checkpoints", "all",
                                      "--model", str(demo_run)])
    assert result.exit_code == 1 and "not both" in result.stderr and not (tmp_path / "o").exists()
