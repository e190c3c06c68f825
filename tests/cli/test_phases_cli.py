"""``entropy-lens phases`` and ``entropy-lens watch`` through the typer app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from entropy_lens.cli.main import app
from entropy_lens.synthetic import planted_eruption

runner = CliRunner()
FRAC20_ENT = "adrs_paper_logs/analysis/paper_logs/data_fraction/frac20_ent.jsonl"
CONTRACT = {"metric", "n_steps", "change_points", "phases", "cycles", "pattern", "noise_sigma", "verdict"}
BANDIT = "ragen_xixwisexix/d9d7a9c/logs/bandit-grpo.out"


def test_json_on_a_real_flat_jsonl(external):
    result = runner.invoke(app, ["phases", str(external / FRAC20_ENT), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert CONTRACT <= set(payload) and payload["pattern"] == "cyclical"  # a 1 → 2 nat rise, then 2 → 9.6
    cycle = payload["cycles"][-1]
    assert 65 <= cycle["onset_step"] <= 80 and cycle["amplitude"] > 5
    assert payload["verdict"].startswith("entropy erupted 2 times") and "came back after the last" in payload["verdict"]
    assert {row["signal"] for row in payload["cosignals"]} >= {"reward", "response_length", "grad_norm"}


def test_human_listing_on_a_console_log(external):
    log = external / "verl_training_log_yushengsu/gsm8k/grpo_run_deepseek7b_llm.log"
    result = runner.invoke(app, ["phases", str(log)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("entropy: collapse (0 eruption cycle(s), 1119 logged steps")
    assert lines[1].startswith("entropy collapsed with no eruption: from 0.")
    assert lines[4:6] == ["phases:", "  recovery        1 – 1119   "]


def test_an_exploded_run_reads_exploded_with_its_verdict(external):
    """ragen bandit-grpo: 1.7 → 9.6 nats and flat there for the last 70 steps."""
    result = runner.invoke(app, ["phases", str(external / BANDIT), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["pattern"] == "exploded" and payload["phases"][-1]["label"] == "plateau"
    onset = payload["cycles"][0]["onset_step"]
    expected = f"entropy erupted at step {onset} and never came back: 9.7 nats at the end against 0.93 before"
    assert payload["verdict"] == expected


def test_csv_with_a_step_column_any_metric_and_sensitivity(tmp_path):
    curves, truth = planted_eruption(300, 2, noise=0.05)
    path = tmp_path / "curves.csv"
    curves.write_csv(path)
    result = runner.invoke(app, ["phases", str(path), "--metric", "response_length", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metric"] == "response_length"
    result = runner.invoke(app, ["phases", str(path), "--json", "--sensitivity", "2"])
    cycles = json.loads(result.stdout)["cycles"]
    assert [c["onset_step"] for c in cycles] == pytest.approx([c.onset + 1 for c in truth.cycles], abs=3)


def test_skipped_lines_are_warned_about(tmp_path):
    curves, _ = planted_eruption(100, 0)
    lines = [json.dumps({"step": s, "entropy": e}) for s, e in curves.select("step", "entropy").iter_rows()]
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(lines[:50] + ["{not json"] + lines[50:]) + "\n")
    result = runner.invoke(app, ["phases", str(path)])
    assert result.exit_code == 0
    assert "Warning: metrics.jsonl: skipped 1 unparsable line(s)" in result.stderr


def test_user_errors(tmp_path, external):
    result = runner.invoke(app, ["phases", str(external / FRAC20_ENT), "--metric", "no/such"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "never appears" in result.stderr
    path = tmp_path / "short.jsonl"
    path.write_text("".join(json.dumps({"step": s, "entropy": 0.5}) + "\n" for s in range(5)))
    result = runner.invoke(app, ["phases", str(path)])
    assert result.exit_code == 1 and "at least 10 are needed" in result.stderr
    result = runner.invoke(app, ["watch", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "does not exist" in result.stderr


def test_watch_once_reports_the_eruptions_already_logged(external, tmp_path):
    log = tmp_path / "train.log"
    log.write_bytes((external / "verl_agent_hgae/examples/ppo_trainer/run_alfworld_dev_h100_norm.txt").read_bytes())
    result = runner.invoke(app, ["watch", str(tmp_path), "--once"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == f"Following {log}"
    assert any(line.startswith("WARNING step ") and "entropy eruption started at step" in line for line in lines)
    assert lines[-1].startswith("Stopped: 150 step(s) read, last step 150")


def test_watch_stops_cleanly_on_ctrl_c(tmp_path, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("entropy_lens.cli.watch.time.sleep", interrupt)
    result = runner.invoke(app, ["watch", str(tmp_path), "--interval", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Stopped: 0 step(s) read, last step -1, 0 eruption(s) flagged."
