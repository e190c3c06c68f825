"""``persistence``: every pattern judged against its pre-eruption base rate, the rate after each
cycle against before it (accumulation), and the final rate.

Cycles come from ``synthetic.planted_eruption`` (the planted truth, as the phases module would
report it: logged steps = index + 1); per-step rates are planted around them, dumped every 10 steps.
"""

from __future__ import annotations

import polars as pl
import pytest

from entropy_lens import persistence as module
from entropy_lens.persistence import VERDICTS, persistence, rise
from entropy_lens.synthetic import planted_eruption

STEPS = list(range(10, 301, 10))


@pytest.fixture(scope="module")
def cycles() -> list[dict]:
    _, truth = planted_eruption(n_steps=300, seed=3, n_cycles=2)
    return [
        {"onset_step": c.onset + 1, "peak_step": c.peak + 1, "end_step": c.end + 1, "amplitude": c.amplitude}
        for c in truth.cycles
    ]


def table(columns: dict[str, list[float]], split: str = "val", n: int = 64) -> pl.DataFrame:
    return pl.DataFrame({"step": STEPS, "split": [split] * len(STEPS), "n": [n] * len(STEPS), **columns})


def planted(cycles: list[dict], split: str = "val") -> pl.DataFrame:
    """sentence_dup acquired in eruption 1 and kept; char_run only during it; fabricated_observation
    from mid-recovery; invalid_action never; turn_echo a group signal."""
    first = cycles[0]
    return table(
        {
            "sentence_dup": [0.30 if s >= first["onset_step"] else 0.01 for s in STEPS],
            "char_run": [0.40 if first["onset_step"] <= s <= first["end_step"] else 0.0 for s in STEPS],
            "fabricated_observation": [0.20 if s >= first["end_step"] + 20 else 0.0 for s in STEPS],
            "invalid_action": [0.0] * len(STEPS),
            "turn_echo": [0.9] * len(STEPS),  # a group signal: not a detector, not judged
        },
        split,
    )


def by_name(records: list[dict]) -> dict[str, dict]:
    return {r["detector"]: r for r in records}


def stepwise(cycles: list[dict], levels: tuple[float, float, float], during: float = 0.5) -> list[float]:
    """``levels[0]`` before C1, ``levels[1]`` between C1 and C2, ``levels[2]`` after C2; ``during`` in cycles."""
    (c1, c2) = cycles
    out = []
    for s in STEPS:
        inside = c1["onset_step"] <= s <= c1["end_step"] or c2["onset_step"] <= s <= c2["end_step"]
        out.append(during if inside else levels[0] if s < c1["onset_step"] else levels[1] if s < c2["onset_step"] else levels[2])
    return out


def test_acquired_in_an_eruption_and_persisted(cycles):
    records = by_name(persistence(planted(cycles), cycles))
    assert set(records) == {"sentence_dup", "char_run", "fabricated_observation", "invalid_action"}
    dup = records["sentence_dup"]
    first = cycles[0]
    assert first["onset_step"] - 10 <= dup["onset_step"] <= first["peak_step"] + 10
    assert dup["onset_in_eruption"] is True and dup["cycle"]["index"] == 0
    assert dup["base_rate"] == pytest.approx(0.01) and dup["final_rate"] == pytest.approx(0.30)
    assert dup["cycles"][0]["before"] == pytest.approx(0.01) and dup["cycles"][0]["after"] == pytest.approx(0.30)
    assert dup["acquired_in"] == [0] and dup["persisted"] is True and dup["verdict"] == "persisted"
    assert dup["split"] == "val" and dup["final_change"] == pytest.approx(0.29)


def test_acquired_in_an_eruption_but_gone_after_it(cycles):
    run = by_name(persistence(planted(cycles), cycles))["char_run"]
    assert run["onset_in_eruption"] is True and run["acquired_in"] == []
    assert run["base_rate"] == 0.0 and run["final_rate"] == 0.0
    assert [c["rose_during"] for c in run["cycles"]] == [True, False]
    assert run["persisted"] is False and run["verdict"] == "only during eruptions"
    flat = by_name(persistence(table({"char_run": [0.05] * len(STEPS)}), cycles))["char_run"]
    assert flat["verdict"] == "unchanged" and flat["persisted"] is False


def test_rise_outside_eruptions_and_never_flagged(cycles):
    records = by_name(persistence(planted(cycles), cycles))
    late = records["fabricated_observation"]
    assert late["onset_step"] is not None and late["onset_in_eruption"] is False
    assert late["verdict"] == "rose outside the eruptions" and late["persisted"] is False
    never = records["invalid_action"]
    assert never["onset_step"] is None and never["onset_in_eruption"] is None
    assert never["verdict"] == "never flagged" and never["persisted"] is None


def test_present_from_the_first_dump_is_judged_against_its_base(cycles):
    """Above the 5% onset level at the first dump: judged all the same (once, it was not)."""
    rates = stepwise(cycles, (0.10, 0.30, 0.30))
    record = by_name(persistence(table({"sentence_dup": rates}), cycles))["sentence_dup"]
    assert record["onset_step"] == 10 and record["onset_in_eruption"] is False
    assert record["persisted"] is True and record["acquired_in"] == [0]


def test_accumulates_across_cycles(cycles):
    record = by_name(persistence(table({"sentence_dup": stepwise(cycles, (0.02, 0.15, 0.30))}), cycles))
    dup = record["sentence_dup"]
    assert dup["acquired_in"] == [0, 1] and dup["verdict"] == "persisted"
    assert [round(c["after"], 2) for c in dup["cycles"]] == [0.15, 0.30]


def test_not_judged_on_the_onset_cycle_alone(cycles):
    """Onset in C1 (a blip inside it), acquired only in C2: persisted, not 'faded' (the demo's
    hallucination once read 'faded' while running at 15–29% after C2 against 2% before)."""
    rates = stepwise(cycles, (0.02, 0.02, 0.25), during=0.3)
    dup = by_name(persistence(table({"hallucination": rates}), cycles))["hallucination"]
    assert dup["cycle"]["index"] == 0 and dup["acquired_in"] == [1] and dup["persisted"] is True


def test_acquired_then_faded(cycles):
    dup = by_name(persistence(table({"sentence_dup": stepwise(cycles, (0.02, 0.20, 0.02))}), cycles))["sentence_dup"]
    assert dup["acquired_in"] == [0] and dup["verdict"] == "faded" and dup["persisted"] is False


def test_unjudgeable_runs(cycles):
    rates = {"sentence_dup": [0.3] * len(STEPS)}
    assert persistence(table(rates), [])[0]["verdict"] == "no eruption to judge against"
    early = [{**cycles[0], "onset_step": 5}]
    assert persistence(table(rates), early)[0]["verdict"] == "no dump before the first eruption"
    late = [{**cycles[1], "end_step": 400}]
    assert persistence(table(rates), late)[0]["verdict"] == "no dump after an eruption"
    assert all(VERDICTS[persistence(table(rates), c)[0]["verdict"]] is None for c in ([], early, late))
    assert persistence(planted(cycles).clear(), cycles)[0]["onset_step"] is None


def test_reads_the_split_with_most_steps(cycles):
    mixed = pl.concat([planted(cycles, "train"), planted(cycles, "val").head(3)])
    assert {r["split"] for r in persistence(mixed, cycles)} == {"train"}


def test_min_gap_is_two_points():
    """Huge samples (z ≫ 3): only the 2-point gap decides."""
    assert module.MIN_GAP == 0.02
    n = 1_000_000
    assert rise((0.10 * n, n), (0.121 * n, n))[1] is True
    assert rise((0.10 * n, n), (0.119 * n, n))[1] is False


def test_min_z_is_three():
    """10% → 20% (gap ≫ 2 points): z 3.07 at 240 outputs each rises, z 2.94 at 220 does not."""
    assert module.MIN_Z == 3.0
    z, rose = rise((24, 240), (48, 240))
    assert z == pytest.approx(3.068, abs=1e-3) and rose is True
    z, rose = rise((22, 220), (44, 220))
    assert z == pytest.approx(2.937, abs=1e-3) and rose is False


def test_final_rate_pools_the_last_three_dumps(cycles):
    assert module.FINAL_DUMPS == 3
    rates = [0.0] * (len(STEPS) - 4) + [0.9, 0.3, 0.3, 0.6]
    record = persistence(table({"sentence_dup": rates}), cycles)[0]
    assert record["final_rate"] == pytest.approx(0.4)


def test_z_matches_a_float64_reference():
    """The pooled two-proportion z against a direct formula on random counts."""
    import numpy as np

    rng = np.random.default_rng(0)
    for _ in range(200):
        n1, n2 = rng.integers(10, 5000, 2)
        k1, k2 = rng.integers(0, n1), rng.integers(0, n2)
        p = (k1 + k2) / (n1 + n2)
        expected = (k2 / n2 - k1 / n1) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
        assert rise((float(k1), float(n1)), (float(k2), float(n2)))[0] == pytest.approx(expected, rel=1e-12)
