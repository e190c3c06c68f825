"""diagnosis.json's ``recommendation``: where a SEAL fine-tune should start, and the exact command."""

import json
import shlex
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from typer.testing import CliRunner

from entropy_lens.cli.main import app
from entropy_lens.recommendation import recommend
from entropy_lens.rollout_store import RolloutStore
from entropy_lens.run import Run
from entropy_lens.schema import CHECKPOINTS_SCHEMA

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo_run"


def _run(tmp_path, steps, *, weights=True, rollouts=1) -> Run:
    checkpoints = pl.DataFrame(
        {"step": steps, "path": [str(tmp_path / f"global_step_{s}") for s in steps],
         "format": ["hf"] * len(steps), "has_weights": [weights] * len(steps)},
        schema=CHECKPOINTS_SCHEMA,
    )
    store = RolloutStore([pl.LazyFrame({"step": [1] * rollouts})]) if rollouts else RolloutStore()
    return Run(path=tmp_path, checkpoints=checkpoints, rollout_store=store)


def _phases(*onsets):
    return SimpleNamespace(cycles=[SimpleNamespace(onset_step=s) for s in onsets])


def test_last_checkpoint_at_or_before_the_first_onset(tmp_path):
    rec = recommend(_run(tmp_path, [0, 50, 100, 150]), _phases(120, 60))
    assert rec["action"] == "seal" and rec["checkpoint_step"] == 50 and rec["onset_step"] == 60
    assert rec["checkpoint"] == str((tmp_path / "global_step_50").resolve())
    assert rec["until_step"] == 60
    assert shlex.split(rec["command"]) == [
        "entropy-lens", "seal", "--from", rec["checkpoint"], str(tmp_path.resolve()),
        "--out", "seal-from-step-50", "--until-step", "60",
    ]
    # a save at the onset step itself precedes the rise (the onset is the last point before it)
    assert recommend(_run(tmp_path, [0, 60, 100]), _phases(60))["checkpoint_step"] == 60


def test_earliest_checkpoint_when_none_precedes_the_onset(tmp_path):
    rec = recommend(_run(tmp_path, [300, 150]), _phases(65))
    assert rec["checkpoint_step"] == 150 and rec["until_step"] == 150
    assert rec["reason"] == "no checkpoint precedes the first eruption's onset (step 65); step 150 is the earliest"


@pytest.mark.parametrize(
    ("run_kwargs", "phases", "reason"),
    [
        ({}, _phases(), "no entropy eruption was found"),
        ({}, None, "no entropy eruption was found"),
        ({"weights": False}, _phases(40), "saved no checkpoint with weights"),
        ({"rollouts": 0}, _phases(40), "left no rollouts"),
    ],
)
def test_no_fine_tune_and_why(tmp_path, run_kwargs, phases, reason):
    rec = recommend(_run(tmp_path, [10, 20], **run_kwargs), phases)
    assert rec["action"] == "none" and reason in rec["reason"] and rec["command"] is None


def test_analyze_writes_it_and_the_report_shows_it_first(tmp_path):
    out = tmp_path / "diag"
    result = CliRunner().invoke(app, ["analyze", str(DEMO), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rec = json.loads((out / "diagnosis.json").read_text())["recommendation"]
    # the demo erupts first at step 65 and saved steps 150 and 300: the earliest is recommended
    assert rec["action"] == "seal" and rec["onset_step"] == 65 and rec["checkpoint_step"] == 150
    html = (out / "report.html").read_text()
    block = html.index('id="recommendation"')
    assert block < html.index('id="found"') and block < html.index('id="timeline"')
    assert "fine-tune with SEAL from the checkpoint of step 150" in html
    assert "--until-step 150</pre>" in html


def test_the_report_says_why_there_is_no_fine_tune(tmp_path):
    from entropy_lens.report import render_html

    reason = "no entropy eruption was found, so there is nothing for SEAL to prevent"
    html = render_html({"recommendation": {"action": "none", "reason": reason}}, pl.DataFrame(), [])
    assert f"<b>Recommendation:</b> no SEAL fine-tune: {reason}." in html
    assert 'id="recommendation"' not in render_html({}, pl.DataFrame(), [])  # older diagnoses: no block
