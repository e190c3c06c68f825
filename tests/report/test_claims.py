"""Every sentence the report prints is true of the data it was given: one test per claim that
once was false (issue 11: the title, "never flagged", "faded", single-step dumps, examples)."""

from __future__ import annotations

import re

import polars as pl
import pytest

from entropy_lens.persistence import persistence
from entropy_lens.report import render_html
from entropy_lens.report.figures import PHASE_COLOURS
from entropy_lens.report.sections import RELATIVE_BASE

COUNTS = {"sentence_dup": 5, "char_run": 0, "sentence_dup_rate": 867, "seq_rep_4": 724, "compression_ratio": 469}


def section(page: str, name: str, following: str) -> str:
    return page[page.index(f'id="{name}"') : page.index(f'id="{following}"')]


def tick_labels(svg: str) -> list[str]:
    return re.findall(r">([^<>]*%)</text>", svg)


def scan_of(per_step: list[dict], counts: dict[str, int], onsets: dict | None = None) -> dict:
    return {"detectors": list(counts), "flagged": counts, "per_step": per_step, "onsets": onsets or {},
            "n_outputs": sum(row["n"] for row in per_step)}


def test_title_names_the_run_chosen_with_run():
    run = {"path": "/x/ragen_xixwisexix", "name": "490c0d4/logs/QWEN_3B-small"}
    page = render_html({"run": run}, pl.DataFrame(), [])
    assert "<title>entropy-lens · QWEN_3B-small</title>" in page
    assert "<h1>490c0d4/logs/QWEN_3B-small</h1>" in page and "ragen_xixwisexix</b>" in page
    alone = render_html({"run": {"path": "/x/demo_run", "name": None}}, pl.DataFrame(), [])
    assert "<title>entropy-lens · demo_run</title>" in alone and "<h1>demo_run</h1>" in alone


def test_never_flagged_means_no_output_flagged():
    """No onset is not 'never flagged': counts decide; numeric companions are listed apart."""
    rows = [{"step": s, "split": "train", "n": 100, "sentence_dup": 0.01, "char_run": 0.0} for s in (1, 2, 3, 4, 5)]
    page = render_html({"scan": scan_of(rows, COUNTS)}, pl.DataFrame(), [])
    assert re.search(r"sentence_dup</span>\s*5 outputs\s*</span>", page)
    assert "Never flagged: char_run." in page
    assert "outputs over their threshold: sentence_dup_rate 867, seq_rep_4 724, compression_ratio 469." in page
    assert "No detector flagged" not in page and "No degenerate pattern flagged" not in page


def test_nothing_flagged_says_so():
    rows = [{"step": s, "split": "train", "n": 10, "sentence_dup": 0.0} for s in (1, 2)]
    page = render_html({"scan": scan_of(rows, {"sentence_dup": 0})}, pl.DataFrame(), [])
    assert "No degenerate pattern flagged in 20 outputs." in page and "Never flagged" not in page


def test_verdict_counts_every_cycle_and_shows_the_final_rate():
    """Onset inside C1 with nothing kept, raised by C2: 'persisted', with its base and final rates."""
    cycles = [{"onset_step": 60, "peak_step": 70, "end_step": 110}, {"onset_step": 160, "peak_step": 170, "end_step": 210}]
    steps = range(10, 301, 10)
    rate = [0.3 if 60 <= s <= 110 or 160 <= s <= 210 else 0.25 if s > 210 else 0.02 for s in steps]
    per_step = [{"step": s, "split": "train", "n": 100, "hallucination": r} for s, r in zip(steps, rate)]
    judged = persistence(pl.DataFrame(per_step), cycles)
    assert judged[0]["cycle"]["index"] == 0 and judged[0]["acquired_in"] == [1]
    diagnosis = {"scan": scan_of(per_step, {"hallucination": 1000}), "persistence": judged,
                 "phases": {"cycles": cycles, "phases": [], "change_points": []}}
    page = render_html(diagnosis, pl.DataFrame(), [])
    assert re.search(r"persisted</span> · 2.0% → 25.0% \(rose after C2\)", page)
    assert "faded" not in page
    table = page[page.index('id="persistence-table"') :]
    assert "C2: 2.0% → 30.0% → 25.0% <span" in table and "<td class=\"num\">25.0%</td>" in table


def test_single_step_dump_is_a_bar_chart():
    per_step = [{"step": 1, "split": "train", "n": 128, "sentence_dup": 1 / 128, "char_run": 0.0, "seq_rep_4": 0.21,
                 "seq_rep_4_flag": 8 / 128}]  # a companion: its mean value, and its share over the threshold
    counts = {"sentence_dup": 1, "char_run": 0, "seq_rep_4": 8}
    examples = [{"detector": "sentence_dup", "step": 1, "response": "a. a.", "score": 1.0}]
    page = render_html({"scan": scan_of(per_step, counts)}, pl.DataFrame(), examples)
    figure = section(page, "degeneracy", "cycles")
    assert "0.8% (1 of 128)" in figure and "6.2% (8 of 128)" in figure and ">0%<" in figure
    assert "one step only (step 1)" in figure and "training step" not in figure
    labels = tick_labels(figure.split("<figcaption>")[0])
    assert len(labels) == len(set(labels)) > 2
    assert "No detector flagged" not in page and "No degenerate pattern flagged" not in page


def test_small_rates_get_distinct_percent_ticks_and_whole_steps():
    per_step = [{"step": s, "split": "train", "n": 128, "sentence_dup": r} for s, r in ((1, 0.0078), (2, 0.0), (3, 0.0039))]
    page = render_html({"scan": scan_of(per_step, {"sentence_dup": 2})}, pl.DataFrame(), [])
    figure = section(page, "degeneracy", "cycles")
    labels = tick_labels(figure)
    assert len(labels) == len(set(labels)) >= 2, labels  # once: "0%" twice
    steps = re.findall(r">(\d+(?:\.\d+)?)</text>", figure)
    assert steps and all("." not in s for s in steps), steps  # no step 1.5


def test_example_scores_say_what_they_are_and_where_they_come_from():
    example = {"detector": "char_run", "step": 70, "phase": "eruption C1", "response": "!" * 30, "score": 20.0,
               "evidence": "'!' × 30"}
    page = render_html({}, pl.DataFrame(), [example])
    assert "run length <b>20</b>" in page and "in the <b>eruption C1</b>" in page
    assert ">score <" not in page and "score <b>" not in page


def test_cosignal_changes_are_points_for_shares_and_never_relative_to_nothing():
    rows = [
        {"cycle": 0, "signal": "truncation", "before": 0.0004, "during": 0.16, "after": 0.1},
        {"cycle": 0, "signal": "response_length", "before": 2.0, "during": 400.0, "after": 300.0},
        {"cycle": 0, "signal": "reward", "before": 0.5, "during": 0.2, "after": 0.4},
    ]
    page = render_html({"cosignals": rows}, pl.DataFrame(), [])
    table = page[page.index('id="cosignals-table"') :]
    assert "+16.0 points" in table and "39915" not in table and "39,9" not in table
    assert "+398" in table and "(+19" not in table  # 2 → 400: no +19,900%
    assert "(−60%)" in table  # 0.5 → 0.2


@pytest.mark.parametrize("before, shown", [(10.0, True), (9.9, False)])
def test_relative_change_needs_a_base_of_a_tenth(before, shown):
    """``RELATIVE_BASE``: a relative change is shown up to a 10× level, not from a base near 0."""
    assert RELATIVE_BASE == 0.1
    rows = [{"cycle": 0, "signal": "grad_norm", "before": before, "during": 100.0, "after": 1.0}]
    table = render_html({"cosignals": rows}, pl.DataFrame(), [])
    assert ("%)" in table[table.index('id="cosignals-table"') :]) is shown


@pytest.mark.parametrize("n_dumps, marked", [(60, True), (61, False)])
def test_dumps_are_marked_up_to_sixty(n_dumps, marked):
    """``figures.MARKED``: a rate line of at most 60 dumps marks each dump."""
    per_step = [{"step": 10 * s, "split": "train", "n": 50, "sentence_dup": 0.1} for s in range(1, n_dumps + 1)]
    page = render_html({"scan": scan_of(per_step, {"sentence_dup": 5 * n_dumps})}, pl.DataFrame(), [])
    figure = section(page, "degeneracy", "cycles")
    assert (figure.count("<use ") >= n_dumps) is marked


def test_new_phase_labels_and_patterns_render():
    """The phase finder's ``plateau`` label is shaded and named; an ``exploded`` pattern gets a badge."""
    phases = {
        "metric": "entropy",
        "pattern": "exploded",
        "phases": [{"label": "plateau", "start_step": 1, "end_step": 5}, {"label": "eruption", "start_step": 6, "end_step": 9}],
        "cycles": [],
        "change_points": [6],
    }
    metrics = pl.DataFrame({"step": list(range(1, 10)), "name": ["entropy"] * 9, "value": [0.5] * 5 + [1.0, 2.0, 4.0, 8.0]})
    page = render_html({"phases": phases}, metrics, [])
    assert 'class="badge pattern-exploded"' in page and ".pattern-exploded" in page
    assert ">plateau</text>" in page and "var(--plateau)" in page and f"--plateau: {PHASE_COLOURS['plateau']}" in page


def test_captions_claim_only_what_is_drawn():
    metrics = pl.DataFrame({"step": [1, 2, 3], "name": ["entropy"] * 3, "value": [1.0, 1.1, 1.2]})
    per_step = [{"step": s, "split": "train", "n": 10, "sentence_dup": 0.1} for s in (1, 2, 3)]
    page = render_html({"scan": scan_of(per_step, {"sentence_dup": 3})}, metrics, [])
    assert "Below: the co-signals" not in page and "validation" not in page.split('id="cycles"')[0].split("<figcaption>", 1)[1]
    assert "over the same phases" not in page and "onset dotted" not in page


def test_a_one_step_metric_is_drawn_as_a_point_on_a_whole_step():
    metrics = pl.DataFrame({"step": [7], "name": ["entropy"], "value": [0.4]})
    figure = section(render_html({}, metrics, []), "timeline", "degeneracy")
    assert "<use " in figure  # the point is marked
    assert re.findall(r">(\d+(?:\.\d+)?)</text>", figure.split("training step")[0])[-1:] == ["7"]


def test_companions_with_no_output_over_threshold_are_not_listed():
    rows = [{"step": s, "split": "train", "n": 2, "sentence_dup": 0.0} for s in (0, 1)]
    counts = {"sentence_dup": 0, "seq_rep_4": 0, "compression_ratio": 1}
    page = render_html({"scan": scan_of(rows, counts)}, pl.DataFrame(), [])
    assert "outputs over their threshold: compression_ratio 1." in page and "seq_rep_4 0" not in page


def test_companion_panels_plot_flag_shares_when_the_scan_names_them_flag():
    """Per-step keys of DESIGN §2: ``<companion>`` is a mean value, ``<companion>_flag`` its flag
    share; the panel plots the share (a compression ratio of 3 is not 300% of outputs)."""
    rows = [{"step": s, "split": "train", "n": 10, "compression_ratio": 3.0, "compression_ratio_flag": 0.1 * s}
            for s in (1, 2, 3)]
    page = render_html({"scan": scan_of(rows, {"compression_ratio": 6})}, pl.DataFrame(), [])
    figure = section(page, "degeneracy", "cycles")
    assert ">compression_ratio · share over its threshold</text>" in figure
    assert max(float(t[:-1]) for t in tick_labels(figure)) <= 40
