"""The real-model example run (examples/seal/smollm2_grpo): SmolLM2-135M-Instruct, 15 GRPO steps per arm on
the counting game, λ = 0.02 (`seal`) and λ = 0 (`weight0`), written by examples/seal/real_model_run.sh.

Readings of its plots and logs, as a person reads them: entropy collapsed in the first steps and
never erupted; the SEAL head learned only where it had weight; one fabricated observation, nothing else degenerate.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import ROOT

from entropy_lens import read_run
from entropy_lens.compare import compare
from entropy_lens.phases import find_phases
from entropy_lens.detectors.scan import scan_run

RUN = ROOT / "examples" / "seal" / "smollm2_grpo"
ARMS = ("seal", "weight0")


def logged(arm: str, key: str) -> np.ndarray:
    lines = (RUN / arm / "logs" / "seal_smollm2" / f"{arm}.jsonl").read_text().splitlines()
    return np.array([json.loads(line)["data"][key] for line in lines])


@pytest.mark.parametrize("arm", ARMS)
def test_each_arm_reads_as_a_verl_run_that_collapsed(arm):
    run = read_run(RUN / arm)
    entropy = run.series("entropy")
    assert entropy["step"].to_list() == list(range(1, 16))
    assert run.rollouts.height == 15 * 32 and run.rollouts["step"].n_unique() == 15
    phases = find_phases(entropy["step"].to_numpy(), entropy["value"].to_numpy())
    assert phases.pattern == "collapse" and not phases.cycles
    assert phases.verdict.startswith("entropy collapsed with no eruption: from 0.92 nats at the start to 0.1")


def test_both_arms_start_from_the_same_step():
    """Same weights, same seed: step 1 saw the same completions, so its entropy and reward agree."""
    for key in ("actor/entropy", "critic/score/mean"):
        assert logged("seal", key)[0] == pytest.approx(logged("weight0", key)[0], abs=1e-6)


def test_the_head_learns_only_where_it_has_weight():
    """λ = 0.02: head accuracy 0.53 → above 0.8 over the last 5 steps; λ = 0: the head gets no gradient
    and stays at chance, its loss at ln 2."""
    seal, weight0 = logged("seal", "actor/seal_accuracy"), logged("weight0", "actor/seal_accuracy")
    assert seal[0] < 0.6 and seal[-5:].mean() > 0.8
    assert 0.4 < weight0[-5:].mean() < 0.6
    assert logged("weight0", "actor/seal_loss")[-5:].mean() == pytest.approx(np.log(2), abs=0.02)


def test_one_fabricated_observation_and_nothing_else():
    """The seal arm wrote nothing degenerate. The weight0 arm wrote one fabricated observation, at
    step 14 ("<action>add 4</action>user\nObservation: total is 8. Target: 10."; reward 0), which
    the detectors flag (and count under the hallucination family); nothing else."""
    assert not any(scan_run(read_run(RUN / "seal")).to_dict()["flagged"].values())
    scanned = scan_run(read_run(RUN / "weight0"))
    flagged = {k: v for k, v in scanned.to_dict()["flagged"].items() if v}
    assert flagged == {"fabricated_observation": 1, "hallucination": 1}
    finding = scanned.findings.filter(flagged=True, detector="fabricated_observation").row(0, named=True)
    assert finding["step"] == 14 and "Observation: total is 8" in finding["evidence"]


def test_compare_reads_both_arms():
    comparison = compare(RUN / "seal", RUN / "weight0")
    assert [d.phases.pattern for d in comparison.diagnoses] == ["collapse", "collapse"]
