"""``Diagnosis.headline`` (after its first line, the phase verdict) and ``Diagnosis.examples``:
every sentence true of the diagnosis, examples from the eruptions."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from test_report_real_runs import hostile_rollouts

from entropy_lens.detectors import scan
from entropy_lens.diagnosis import Diagnosis
from entropy_lens.phases.detect import PhaseResult
from entropy_lens.phases.label import Cycle
from entropy_lens.rollout_store import RolloutStore
from entropy_lens.run import Run


def phases(metric: str, n_cycles: int) -> PhaseResult:
    cycles = [Cycle(10 + 40 * i, 14 + 40 * i, 30 + 40 * i, 0.5 + i, 20, 0.9) for i in range(n_cycles)]
    return PhaseResult(metric, 40 * n_cycles + 20, [], [], cycles, "cyclical", 0.05)


def test_peaks_carry_nats_only_for_entropy_and_say_when_cut():
    lines = Diagnosis(run=Run(path=Path("r")), phases=phases("reward", 5)).headline()
    assert lines[1].startswith("Eruption peaks (the first 4 of 5): step 14 (+0.50),") and "nats" not in lines[1]
    lines = Diagnosis(run=Run(path=Path("r")), phases=phases("entropy", 2)).headline()
    assert lines[1] == "Eruption peaks: step 14 (+0.50 nats), step 54 (+1.50 nats)."


def test_flagged_patterns_are_counted_not_called_none():
    rollouts = hostile_rollouts()
    diagnosis = Diagnosis(run=Run(path=Path("r"), rollout_store=RolloutStore([rollouts.lazy()])), scan=scan(rollouts))
    counts = diagnosis.scan.to_dict()["flagged"]
    line = diagnosis.headline()[-1]
    assert line.startswith("Degenerate patterns flagged: sentence_dup in 60 of 320 outputs")
    assert f"fabricated_observation in {counts['fabricated_observation']} of 320" in line
    assert "seq_rep_4" not in line  # a numeric companion, not a pattern


def test_nothing_flagged():
    clean = hostile_rollouts().filter(pl.col("step") <= 20)
    diagnosis = Diagnosis(run=Run(path=Path("r")), scan=scan(clean))
    assert diagnosis.headline() == ["No degenerate pattern flagged in 160 outputs."]


def test_examples_come_from_eruptions_first():
    """Flags at steps 21–40; an eruption over 30–34: every example is from it, then its decay."""
    rollouts = hostile_rollouts()
    run = Run(path=Path("r"), rollout_store=RolloutStore([rollouts.lazy()]))
    cycle = Cycle(30, 34, 38, 1.0, 8, 0.9)
    diagnosis = Diagnosis(run=run, phases=PhaseResult("entropy", 40, [], [], [cycle], "single-eruption", 0.05),
                          scan=scan(rollouts))
    examples = diagnosis.examples(per_detector=3)
    dup = [e for e in examples if e["detector"] == "sentence_dup"]
    assert len(dup) == 3 and all(30 <= e["step"] <= 34 and e["phase"] == "eruption C1" for e in dup)
    assert all(e["response"] for e in examples)
    more = [e for e in diagnosis.examples(per_detector=20) if e["detector"] == "sentence_dup"]
    assert [e["phase"] for e in more] == ["eruption C1"] * 15 + ["decay C1"] * 5  # 3 per step


def test_judged_but_not_persisted_says_so():
    """Flags from step 21, an eruption over 5–8: the rise is not the eruption's."""
    from entropy_lens.persistence import persistence

    rollouts = hostile_rollouts()
    cycle = Cycle(5, 6, 8, 1.0, 3, 0.9)
    diagnosis = Diagnosis(run=Run(path=Path("r")), phases=PhaseResult("entropy", 40, [], [], [cycle], "single-eruption", 0.05),
                          scan=scan(rollouts))
    diagnosis.persistence = persistence(diagnosis.scan.per_step, [vars(cycle)])
    verdicts = {p["detector"]: p["verdict"] for p in diagnosis.persistence}
    assert verdicts["sentence_dup"] == "rose outside the eruptions"
    assert diagnosis.headline()[-1].startswith(
        "Degenerate patterns flagged (none acquired in an eruption and persisted): sentence_dup in 60 of 320 outputs"
    )
