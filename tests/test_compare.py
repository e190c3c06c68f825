"""``compare``: two verl runs written with verl's own writers (file logger + rollout dumps), side by side.

Run ``seal`` stands for a SEAL fine-tune (flat entropy, clean outputs); ``weight0`` for the same
fine-tune at weight 0 (an entropy eruption, and outputs that write the environment's feedback
themselves). Every sentence ``compare`` prints is checked against numbers computed here.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from agent_prompts import ALFWORLD
from typer.testing import CliRunner
from verl_writers import file_logger_line

from entropy_lens.cli.main import app
from entropy_lens.compare import compare, write_comparison

runner = CliRunner()
STEPS = range(1, 61)
DUMP_STEPS = (15, 30, 45, 60)
CLEAN = "<think>The apple is on the countertop; I take it first.</think>\n<action>take apple 1 from countertop 1</action>"
FABRICATED = CLEAN + "\nObservation: You pick up the apple 1 from the countertop 1. reward: 0 done: False"


def entropy_series(erupts: bool) -> np.ndarray:
    """0.6 ± noise; with ``erupts``, a rise over steps 21–24 to 1.6, then a decay back by step 40."""
    rng = np.random.default_rng(3 if erupts else 4)
    values = 0.6 + 0.01 * rng.standard_normal(len(STEPS))
    if erupts:
        values[20:24] += [0.25, 0.5, 0.75, 1.0]
        values[24:40] += np.linspace(1.0, 0.0, 16)
    return values


def write_run(root, *, erupts: bool, fabricated_per_step: int):
    log = root / "logs" / "seal_demo" / f"{root.name}.jsonl"
    log.parent.mkdir(parents=True)
    with open(log, "wb") as handle:
        for step, value in zip(STEPS, entropy_series(erupts), strict=True):
            handle.write(file_logger_line(step, {"actor/entropy": np.float64(value), "critic/score/mean": np.float64(0.5)}))
    dumps = root / "rollout_data"
    dumps.mkdir()
    for step in DUMP_STEPS:
        rows = [
            {"input": ALFWORLD, "output": FABRICATED if i < fabricated_per_step else CLEAN, "gts": None,
             "score": float(i % 2), "step": step}
            for i in range(8)
        ]
        (dumps / f"{step}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return root


@pytest.fixture
def runs(tmp_path):
    return (
        write_run(tmp_path / "seal", erupts=False, fabricated_per_step=0),
        write_run(tmp_path / "weight0", erupts=True, fabricated_per_step=2),
    )


def numbers(sentence: str) -> list[float]:
    """The numbers of a sentence, the run names (``weight0``) left out."""
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", sentence.replace("weight0", ""))]


def test_every_sentence_is_true_of_the_data(runs):
    payload = compare(*runs).to_dict()
    seal, weight0 = (entropy_series(False), entropy_series(True))
    entropy, pattern, *degenerate, separation = payload["sentences"]
    assert entropy.startswith("Entropy ends at") and "in seal" in entropy and "in weight0" in entropy
    expected = [seal[-1], weight0[-1], seal.mean(), weight0.mean(), seal.max(), weight0.max()]
    assert numbers(entropy) == pytest.approx(expected, abs=5e-4)
    # the weight-0 run erupts once and subsides; the SEAL run stays flat
    assert pattern == "Entropy pattern: stable (0 eruption cycles) in seal, single-eruption (1 eruption cycle) in weight0."
    # 2 of 8 outputs per dump of weight0 write the environment's observation: 25%; none of seal's
    by_detector = {line.split(":")[0]: numbers(line.split(":", 1)[1]) for line in degenerate}
    assert by_detector["fabricated_observation"] == [0.0, 32, 25.0, 32]
    assert by_detector["hallucination"] == [0.0, 32, 25.0, 32]  # any of the four hallucination detectors
    assert set(by_detector) == {"fabricated_observation", "hallucination"}  # nothing else fired on either run
    assert separation == "Separation: not scored (pass --separation to score each run's latest checkpoint)."
    rates = {run["name"]: run["degenerate"]["rates"]["fabricated_observation"] for run in payload["runs"]}
    assert rates == {"seal": 0.0, "weight0": 0.25}


def test_cli_prints_the_sentences_and_writes_one_page(runs, tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(runs[0]), str(runs[1]), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    payload = json.loads((out / "comparison.json").read_text())
    assert result.stdout.splitlines() == payload["sentences"] + [f"Report: {out / 'report.html'}"]
    html = (out / "report.html").read_text()
    for sentence in payload["sentences"]:
        assert sentence.replace("'", "&#39;") in html
    assert "default-src 'none'" in html and "http" not in html.replace('http-equiv', '')
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # two runs' figures share the page without clashing ids
    assert any(i.startswith("a-timeline-") for i in ids) and any(i.startswith("b-degeneracy-") for i in ids)
    assert html.count("<svg") == 3  # both timelines, and the one run that has degenerate outputs


def test_user_errors_are_one_line_and_write_nothing(runs, tmp_path):
    result = runner.invoke(app, ["compare", str(runs[0]), str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "o").exists()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    result = runner.invoke(app, ["compare", str(runs[0]), str(runs[1]), "--out", str(taken)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    assert sorted(p.name for p in taken.iterdir()) == ["mine.txt"]


@pytest.mark.slow
def test_separation_of_each_runs_latest_checkpoint(runs, tmp_path):
    from checkpoint_layouts import verl_step

    checkpoints = runs[0] / "checkpoints" / "seal_demo" / "seal"
    verl_step(checkpoints, 30, "hf")
    latest = verl_step(checkpoints, 60, "hf")
    comparison = compare(*runs, separation_dir=tmp_path / "sep", max_samples=32, device="cpu")
    payload = comparison.to_dict()
    scored = comparison.diagnoses[0].separation
    assert scored["checkpoint"].startswith(str(latest))
    probe, diff_means = payload["sentences"][-2:]
    assert probe.startswith("Separation (held-out probe AUROC, latest checkpoint)")
    assert probe.endswith("not scored in weight0.")
    assert numbers(diff_means)[0] == pytest.approx(scored["overall"]["diff_means_auroc"], abs=5e-4)
    assert payload["notes"] == [f"{runs[1]}: no checkpoint with weights, so its separation was not scored."]
    written = write_comparison(comparison, tmp_path / "page")
    assert "seal" in written["report.html"].read_text()


def test_separation_sentences_say_scored_undefined_or_not_scored():
    from entropy_lens.compare import sentences

    def run(name, separation):
        return {"name": name, "entropy": None, "degenerate": None, "separation": separation}

    undefined = {"checkpoint": "c", "n": 8, "n_correct": 0, "n_incorrect": 8, "probe_auroc": None, "diff_means_auroc": None}
    scored = {"checkpoint": "c", "n": 40, "n_correct": 20, "n_incorrect": 20, "probe_auroc": 0.8125, "diff_means_auroc": 0.75}
    lines = sentences([run("seal", scored), run("weight0", undefined)])
    assert lines[0] == "Entropy: not logged by seal and weight0."
    assert lines[1] == "Degenerate outputs: seal and weight0 dumped no rollouts to scan."
    assert lines[2] == (
        "Separation (held-out probe AUROC, latest checkpoint): 0.812 in seal, "
        "undefined (0 correct, 8 incorrect outputs) in weight0."
    )
    assert lines[3].startswith("Separation (difference-of-means AUROC, latest checkpoint): 0.750 in seal")
    assert lines[4].startswith("Each checkpoint scored its own run's outputs, so a gap may come from the outputs")
    assert len(sentences([run("seal", scored), run("weight0", None)])) == 4  # one side scored: nothing to compare
    assert sentences([run("x", None), run("x", None)])[-1] == (
        "Separation: not scored (pass --separation to score each run's latest checkpoint)."
    )
