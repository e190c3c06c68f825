"""The phase detector against hand readings of every real entropy series in ../shared/external.

``real_readings.json`` holds one reading per run, made by a person from the plots in
docs/phase_readings/ before the detector was run on them (docs/phase_readings.md). Each label at a
step, the pattern and the cycle count are one reading each; at least ``BAR`` of them must hold, and
none may confuse an exploded run with a recovered one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entropy_lens import read_run
from entropy_lens.phases import phases_of_run

READINGS = Path(__file__).with_name("real_readings.json")
FIGURES = Path(__file__).resolve().parents[2] / "docs" / "phase_readings"
LABELS = {"eruption", "decay", "recovery", "plateau"}
PATTERNS = {"stable", "collapse", "single-eruption", "cyclical", "exploded"}
#: Share of the readings that must hold (issue #10).
BAR = 0.9
#: (hand label, detector label) pairs that read a high run as recovered or a recovered one as high.
CONFUSIONS = {("recovery", "plateau"), ("recovery", "eruption"), ("plateau", "recovery")}


def load_readings() -> list[dict]:
    return json.loads(READINGS.read_text())["readings"]


def accepted(value) -> list:
    """A reading's accepted answers: a pattern or a list of them."""
    return value if isinstance(value, list) else [value]


def cycle_range(cycles) -> tuple[int, int]:
    """``cycles`` as an inclusive ``(low, high)``: a count, or ``[low, high]``."""
    return (cycles, cycles) if isinstance(cycles, int) else (cycles[0], cycles[1])


def label_at(result, step: int) -> str:
    """The detector's label of the phase holding ``step`` (the last one starting at or before it)."""
    return [p.label for p in result.phases if p.start_step <= step][-1]


@pytest.fixture(scope="module")
def runs(external) -> dict[int, object]:
    """Every reading's run, read once: ``{index in the readings: Run}``."""
    return {i: read_run(external / r["file"], run=r["run"]) for i, r in enumerate(load_readings())}


def score(reading: dict, result) -> tuple[list[str], list[str]]:
    """``(misses, confusions)`` of one reading against the detector: one line per reading that fails."""
    misses, confusions = [], []
    for step, label in reading["labels"].items():
        found = label_at(result, int(step))
        if found != label:
            misses.append(f"step {step}: {label} read, {found} found")
            if (label, found) in CONFUSIONS:
                confusions.append(f"step {step}: {label} read as {found}")
    if result.pattern not in accepted(reading["pattern"]):
        misses.append(f"pattern: {reading['pattern']} read, {result.pattern} found")
    low, high = cycle_range(reading["cycles"])
    if not low <= len(result.cycles) <= high:
        misses.append(f"cycles: {reading['cycles']} read, {len(result.cycles)} found")
    ended_recovered = result.phases[-1].label == "recovery"
    if reading["exploded"] is True and (result.pattern != "exploded" or ended_recovered):
        confusions.append(f"exploded run read {result.pattern}, ending in {result.phases[-1].label}")
    if reading["exploded"] is False and result.pattern == "exploded":
        confusions.append("recovered run read exploded")
    return misses, confusions


def readings_in(reading: dict) -> int:
    """Readings one run contributes: its labels, its pattern and its cycle count."""
    return len(reading["labels"]) + 2


@pytest.mark.slow
def test_detector_agrees_with_the_hand_readings(runs):
    readings = load_readings()
    rows, total, missed, confused = [], 0, 0, 0
    for i, reading in enumerate(readings):
        misses, confusions = score(reading, phases_of_run(runs[i], reading["metric"]))
        total += readings_in(reading)
        missed += len(misses)
        confused += len(confusions)
        if misses or confusions:
            name = reading["file"] + (f" [{reading['run']}]" if reading["run"] else "")
            rows.append(f"{name}: " + "; ".join(misses + [f"CONFUSION {c}" for c in confusions]))
    held = 1.0 - missed / total
    table = "\n".join(rows)
    print(f"{total - missed}/{total} readings hold ({held:.1%}); {confused} confusions")
    assert confused == 0 and held >= BAR, (
        f"{total - missed}/{total} readings hold ({held:.1%}, bar {BAR:.0%}); "
        f"{confused} exploded/recovery confusions\n{table}"
    )


def test_readings_are_well_formed(runs, external):
    readings = load_readings()
    assert [(r["file"], r["run"] or "") for r in readings] == sorted((r["file"], r["run"] or "") for r in readings)
    assert len({(r["file"], r["run"]) for r in readings}) == len(readings)
    for i, reading in enumerate(readings):
        where = f"{reading['file']} {reading['run'] or ''}"
        assert (external / reading["file"]).is_file(), where
        assert (FIGURES / reading["figure"].split()[0]).is_file(), where
        assert set(accepted(reading["pattern"])) <= PATTERNS, where
        assert reading["exploded"] in (True, False, None), where
        exploded_read = "exploded" in accepted(reading["pattern"])
        ambiguous = isinstance(reading["pattern"], list)
        assert reading["exploded"] == (None if ambiguous and exploded_read else exploded_read), where
        low, high = cycle_range(reading["cycles"])
        assert 0 <= low <= high and (isinstance(reading["cycles"], int) or low < high), where
        assert 2 <= len(reading["labels"]) <= 4 and set(reading["labels"].values()) <= LABELS, where
        steps = runs[i].series(reading["metric"])["step"]
        for step in reading["labels"]:
            assert steps.min() <= int(step) <= steps.max(), f"{where}: step {step}"
        assert reading["note"], where
