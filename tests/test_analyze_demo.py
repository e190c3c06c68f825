"""End to end: `entropy-lens analyze` on the bundled demo run finds what was planted in it."""

import json
import re

import polars as pl
import pytest
from typer.testing import CliRunner

from entropy_lens.cli.main import app
from entropy_lens.detectors.base import COMPANION_FLAGS, NUMERIC, PATTERNS

runner = CliRunner()
MARGIN = 6  # max(5, 2% of 300 steps), the phase benchmark's margin


@pytest.fixture(scope="module")
def truth(demo_run):
    return json.loads((demo_run.parent / "demo_truth.json").read_text())


@pytest.fixture(scope="module")
def analyzed(demo_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "report"
    result = runner.invoke(app, ["analyze", str(demo_run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result, json.loads((out / "diagnosis.json").read_text())


def test_writes_report_json_and_tables(analyzed):
    out, result, _ = analyzed
    assert (out / "report.html").stat().st_size > 10_000
    assert "Report:" in result.stdout
    for name in ("metrics", "rollouts", "checkpoints", "phases", "cycles", "findings", "per_step"):
        assert pl.read_parquet(out / "tables" / f"{name}.parquet").height > 0, name
    assert not [p for p in out.rglob("*.tmp")]


def test_planted_cycles_found(analyzed, truth):
    phases = analyzed[2]["phases"]
    planted = truth["entropy"]["cycles"]
    assert phases["metric"] == "entropy" and phases["pattern"] == "cyclical"
    assert len(phases["cycles"]) == len(planted) == 2
    for found, true in zip(phases["cycles"], planted):
        assert abs(found["onset_step"] - true["onset_step"]) <= MARGIN
        assert abs(found["peak_step"] - true["peak_step"]) <= MARGIN
    labels = [p["label"] for p in phases["phases"]]
    assert labels.count("eruption") == 2 and set(labels) == {"eruption", "decay", "recovery"}


def test_planted_patterns_onset_and_persistence(analyzed, truth):
    diagnosis = analyzed[2]
    persistence = {p["detector"]: p for p in diagnosis["persistence"]}
    for name, planted in truth["patterns"].items():
        found = persistence[name]
        # onset at the first dump that carries the pattern, inside the cycle that brought it
        assert planted["planted_from_step"] <= found["onset_step"] <= planted["first_dump_step"] + 10, name
        assert found["persisted"] is planted["persists_after_cycle"], name
    assert persistence["sentence_dup"]["onset_in_eruption"]
    assert persistence["fabricated_observation"]["onset_in_eruption"]


def test_per_step_rates_follow_the_plant(analyzed, truth):
    per_step = pl.DataFrame(analyzed[2]["scan"]["per_step"]).filter(pl.col("split") == "train")
    planted = {(d["split"], d["step"]): d["rate"] for d in truth["dumps"]}
    for row in per_step.iter_rows(named=True):
        true = planted[("train", row["step"])]
        for name in ("sentence_dup", "fabricated_observation"):
            assert abs(row[name] - true[name]) <= 0.05, (row["step"], name)


def test_inspect_lists_the_demo_run(demo_run):
    result = runner.invoke(app, ["inspect", str(demo_run), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["path"] == str(demo_run) and len(payload["runs"]) == 1
    summary = payload["runs"][0]
    assert summary["step_min"] == 0 and summary["step_max"] == 300
    assert {"entropy", "reward", "response_length", "grad_norm"} <= set(summary["metrics"])
    assert [c["step"] for c in summary["checkpoints"]] == [150, 300]
    assert all(c["has_weights"] for c in summary["checkpoints"])
    assert summary["possible"] == {"phases": "yes", "scan": "yes", "recompute": "yes"}
    readers = {s["reader"] for s in summary["sources"]}
    assert {"verl-console", "verl-file-logger", "verl-rollout-dump", "verl-agent-val-dump"} <= readers


def test_model_option_adds_separation(demo_run, tmp_path):
    checkpoint = demo_run / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_300"
    out = tmp_path / "with-model"
    args = ["analyze", str(demo_run), "--out", str(out), "--model", str(checkpoint), "--model-samples", "64"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    separation = json.loads((out / "diagnosis.json").read_text())["separation"]
    assert separation["split"] == "val" and separation["n_samples"] == 64
    assert separation["checkpoint"] == str(checkpoint)
    steps = [row["step"] for row in separation["per_step"]]
    assert steps == sorted(steps) and len(steps) >= 8  # spread over the dumped validation steps
    assert all(row["recomputed_entropy"] > 0 for row in separation["per_step"])
    assert 0.0 <= separation["overall"]["probe_auroc"] <= 1.0
    assert (out / "recompute" / "checkpoint_300" / "tokens.parquet").exists()  # one folder per checkpoint
    assert 'id="separation-table"' in (out / "report.html").read_text()


def test_persistence_accumulates_as_planted(analyzed, truth):
    """sentence_dup rose after both cycles (planted 2% → 20% → 30%); hallucination, whose onset is
    a blip in C1, was raised by C2 and persisted (it once read 'faded')."""
    persistence = {p["detector"]: p for p in analyzed[2]["persistence"]}
    for name, planted in truth["patterns"].items():
        found = persistence[name]
        assert abs(found["base_rate"] - planted["base_rate"]) <= 0.02, name
        assert abs(found["final_rate"] - planted["persist_rates"][-1]) <= 0.05, name
    assert persistence["sentence_dup"]["acquired_in"] == [0, 1]
    assert persistence["fabricated_observation"]["acquired_in"] == [1]
    assert persistence["hallucination"]["verdict"] == "persisted"


def test_headline_sentences_are_true(analyzed):
    diagnosis = analyzed[2]
    cycles, persistence = diagnosis["phases"]["cycles"], diagnosis["persistence"]
    peaks, acquired = diagnosis["headline"][1:]  # the first line is the phase verdict
    assert peaks == "Eruption peaks: " + ", ".join(
        f"step {c['peak_step']} (+{c['amplitude']:.2f} nats)" for c in cycles
    ) + "."
    named = re.findall(r"(\w+) ([\d.]+)% → ([\d.]+)% \(rose after ([C\d, ]+)\)", acquired)
    persisted = [p for p in persistence if p["persisted"]]
    assert [n for n, *_ in named] == [p["detector"] for p in persisted]
    for (name, base, final, after), record in zip(named, persisted):
        assert float(base) == round(100 * record["base_rate"], 1) and float(final) == round(100 * record["final_rate"], 1)
        assert after == ", ".join(f"C{i + 1}" for i in record["acquired_in"])


def test_report_page_claims_match_the_diagnosis(analyzed):
    out, _, diagnosis = analyzed
    page = (out / "report.html").read_text()
    flagged = diagnosis["scan"]["flagged"]
    never = re.search(r"Never flagged: ([\w, ]+)\.", page).group(1).split(", ")
    assert never and all(flagged[name] == 0 for name in never)
    assert {n for n, k in flagged.items() if k == 0 and n in PATTERNS} == set(never)
    companions = re.search(r"outputs over their threshold: ([\w\d, ]+)\.", page).group(1)
    assert companions == ", ".join(f"{n} {flagged[n]}" for n in COMPANION_FLAGS)
    assert not set(NUMERIC) - set(COMPANION_FLAGS) & set(flagged)  # no threshold: nothing to count
    assert "faded" not in page
    # examples come from the eruptions, and no bare 'score' is printed
    phases = re.findall(r"in the <b>(\w+) C\d</b>", page)
    assert phases and set(phases) == {"eruption"}
    assert "<span>score <b>" not in page
    # sources in step order: rollout_data/10, 20, …, 100
    dumps = [int(n) for n in re.findall(r"rollout_data/(\d+)\.jsonl", page)]
    assert dumps == sorted(dumps) and len(dumps) == 30
