"""Phases of real training logs in ../shared/external (read by ``read_run``; see its SOURCES.md)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from entropy_lens import read_run
from entropy_lens.phases import align_cosignals, phases_of_run
from entropy_lens.phases.rises import running_median

ADRS = "adrs_paper_logs/analysis/paper_logs"
HGAE = "verl_agent_hgae/examples/ppo_trainer"
RAGEN = "ragen_xixwisexix/d9d7a9c/logs"


def phases_of(external, relative: str):
    run = read_run(external / relative)
    return run, phases_of_run(run)


@pytest.mark.parametrize(
    "relative",
    [
        "verl_training_log_yushengsu/gsm8k/grpo_run_deepseek7b_llm.log",  # GRPO on GSM8K, 0.39 → 0.022
        "verl_training_log_yushengsu/gsm8k/ppo_run_deepseek7b_llm.log",
        "verldata_diqiuzhuanzhuan/run_logs/qwen2-7b_math.log",
        f"{HGAE}/run_alfworld_dev_h100_norm_seed4.txt",
        f"{ADRS}/curves_300step/gigpo_alfworld.jsonl",
    ],
)
def test_reasoning_style_collapse_has_no_eruption(external, relative):
    _, result = phases_of(external, relative)
    assert result.pattern == "collapse" and result.cycles == []
    assert [p.label for p in result.phases] == ["recovery"]


@pytest.mark.parametrize(
    "relative",
    ["verl_dstack_multinode/verl_demo.log", "trl_agent_memory_redteam/trainer_state.json"],
)
def test_flat_runs_are_stable(external, relative):
    _, result = phases_of(external, relative)
    assert result.pattern == "stable" and result.cycles == []


def test_resumed_run_starts_at_its_first_logged_step(external):
    _, result = phases_of(external, "verl_dstack_multinode/verl_demo.log")
    assert result.phases[0].start_step == 101 and result.phases[-1].end_step == 435
    assert result.n_steps == 335


@pytest.mark.parametrize(
    ("relative", "onset", "peak"),
    [
        (f"{ADRS}/curves_300step/adrs_alfworld.jsonl", (1, 10), (50, 150)),  # 0.96 → 8.3 from the start
        (f"{ADRS}/data_fraction/frac20_ent.jsonl", (65, 80), (105, 118)),  # entropy bonus: up to 9.6
        (f"{HGAE}/run_alfworld_dev_h100_norm.txt", (95, 115), (125, 145)),  # late explosion to 1.9
        (f"{HGAE}/run_alfworld_dev_h100.txt", (1, 10), (15, 30)),  # 0.16 → 0.82, then decays
    ],
)
def test_explosions_are_eruptions(external, relative, onset, peak):
    _, result = phases_of(external, relative)
    assert result.pattern in ("single-eruption", "cyclical", "exploded")
    assert any(onset[0] <= c.onset_step <= onset[1] and peak[0] <= c.peak_step <= peak[1] for c in result.cycles)


def test_rise_then_decay_has_a_decay_phase(external):
    """frac20_ent: 1 → 9.6 → 3 nats. Its opening drift 1.0 → 2.0 (20σ of the early noise) is an
    eruption too: every rise large against the noise counts, however small next to the explosion."""
    _, result = phases_of(external, f"{ADRS}/data_fraction/frac20_ent.jsonl")
    cycle = result.cycles[-1]
    assert cycle.end_step > cycle.peak_step and result.pattern == "cyclical"
    labels = [p.label for p in result.phases]
    assert labels[-2:] == ["decay", "recovery"] and "eruption" in labels[-4:-2]
    assert "came back" in result.verdict


@pytest.mark.parametrize(
    ("relative", "end", "before"),
    [
        (f"{RAGEN}/bandit-grpo.out", 9.6, 1.7),  # 1.7 → 9.6, flat for the last 70 steps
        (f"{ADRS}/curves_300step/adrs_notva_webshop.jsonl", 7.7, 1.1),  # the same shape
        (f"{ADRS}/curves_300step/adrs_alfworld.jsonl", 7.6, 1.0),  # 1 → 8, then high (with crashes) to 300
        (f"{HGAE}/run_alfworld_dev_h100_norm.txt", 1.7, 0.3),  # rises again to 1.84 at the very end
    ],
)
def test_runs_that_never_came_back_have_exploded(external, relative, end, before):
    _, result = phases_of(external, relative)
    assert result.pattern == "exploded"
    assert result.phases[-1].label in ("plateau", "eruption")  # never recovery, never decay
    last_onset = result.cycles[-1].onset_step
    assert all(p.label != "recovery" for p in result.phases if p.start_step > last_onset)
    assert "never came back" in result.verdict and str(last_onset) in result.verdict
    numbers = [float(x) for x in re.findall(r"(\d+\.\d+) nats at the end", result.verdict)]
    assert numbers and numbers[0] == pytest.approx(end, abs=0.3)


def test_bandit_verdict_reads_like_the_issue(external):
    _, result = phases_of(external, f"{RAGEN}/bandit-grpo.out")
    (cycle,) = result.cycles
    assert 12 <= cycle.onset_step <= 18  # the dip's bottom at 12, the climb under way by 19
    assert result.verdict.startswith(f"entropy erupted at step {cycle.onset_step} and never came back: 9.7 nats")


def test_a_flat_high_stretch_is_a_plateau_not_a_decay(external):
    """sokoban-grpo: 1.2 → 11.3 nats, flat at 11.3 from step 40 to 80, then a crash."""
    _, result = phases_of(external, f"{RAGEN}/sokoban-grpo.out")
    at = {step: p.label for p in result.phases for step in range(p.start_step, p.end_step + 1)}
    assert all(at[step] == "plateau" for step in range(45, 80))
    assert at[84] == "decay" and at[120] == "recovery"
    (cycle,) = result.cycles
    assert 8 <= cycle.onset_step <= 12 and 30 <= cycle.peak_step <= 45


def test_one_continuous_rise_is_one_cycle(external):
    """debug-model_len-3060: 0.05 → 2.5 nats from step 109 to about 131, in one rise."""
    _, result = phases_of(external, f"{RAGEN}/debug-model_len-3060.out")
    (cycle,) = result.cycles
    assert 107 <= cycle.onset_step <= 110 and cycle.peak_step >= 122


@pytest.mark.parametrize(
    "relative", [f"{ADRS}/curves_300step/adrs_alfworld.jsonl", f"{HGAE}/run_alfworld_dev_h100_norm.txt"]
)
def test_peaks_sit_on_the_maxima_not_on_dips(external, relative):
    """Each peak's running median is within a quarter of the rise of the highest running median
    between the onset and the next onset (a single spike or a dip cannot be the peak)."""
    run, result = phases_of(external, relative)
    table = run.series("entropy")
    steps, smooth = table["step"].to_numpy(), running_median(table["value"].to_numpy())
    for index, cycle in enumerate(result.cycles):
        stop = result.cycles[index + 1].onset_step if index + 1 < len(result.cycles) else steps[-1] + 1
        window = smooth[(steps >= cycle.onset_step) & (steps < stop)]
        at_peak = smooth[np.searchsorted(steps, cycle.peak_step)]
        assert at_peak >= np.max(window) - 0.25 * (np.max(window) - smooth[np.searchsorted(steps, cycle.onset_step)])


def test_cosignals_of_a_real_eruption(external):
    run, result = phases_of(external, f"{ADRS}/data_fraction/frac20_ent.jsonl")
    rows = align_cosignals(run.metrics, result)
    signals = {row["signal"] for row in rows}
    assert {"reward", "response_length", "grad_norm", "kl"} <= signals
    length = next(row for row in rows if row["signal"] == "response_length")
    assert length["before"] is not None and length["during"] is not None and length["after"] is not None
