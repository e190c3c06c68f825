"""``render_html`` end to end: sections, escaping, self-containment, missing data."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from markupsafe import escape
from report_sample import ONERROR_PAYLOAD, TITLE_PAYLOAD

from entropy_lens.report import render_html
from entropy_lens.report.html import number, percent, signed
from entropy_lens.schema import METRICS_SCHEMA, empty

SECTIONS = ("summary", "found", "timeline", "degeneracy", "cycles", "examples", "provenance")
TABLES = ("persistence-table", "cycles-table", "cosignals-table", "checkpoints-table", "sources-table")


@pytest.fixture(scope="module")
def page(sample) -> str:
    return render_html(*sample)


def outside_text(page: str) -> str:
    """The page with every ``<pre>`` and ``<code>`` body (where user text goes) removed."""
    return re.sub(r"<(pre|code)>.*?</\1>", "", page, flags=re.S)


def test_every_section_and_table_is_present(page):
    for section in SECTIONS:
        assert f'id="{section}"' in page
    for table in TABLES:
        assert f'id="{table}"' in page
    assert page.count("<svg") == 2  # the timeline and the degeneracy figure
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_header_states_run_pattern_and_headline(sample, page):
    diagnosis = sample[0]
    assert diagnosis["run"]["path"] in page
    assert "verl-console" in page and 'class="badge pattern-cyclical"' in page
    for line in diagnosis["headline"]:
        assert str(escape(line)) in page
    first = diagnosis["persistence"][0]
    flagged = diagnosis["scan"]["flagged"]["sentence_dup"]
    assert re.search(rf"sentence_dup</span>\s*{flagged} outputs, from step {first['onset_step']} \(in an eruption\)", page)


def test_figures_show_every_cosignal_logged(sample, page):
    timeline = page[page.index('id="timeline"') : page.index('id="degeneracy"')]
    for title in ("reward · validation as dots", "reward std", "response length", "grad norm", "KL"):
        assert f">{title}</text>" in timeline
    assert "truncation rate" not in timeline  # not logged by this run
    assert ">C1</text>" in timeline and ">C2</text>" in timeline
    degeneracy = page[page.index('id="degeneracy"') : page.index('id="cycles"')]
    first = sample[0]["persistence"][0]["onset_step"]
    assert f">sentence_dup · onset at step {first}</text>" in degeneracy
    assert ">train</text>" in degeneracy and ">val</text>" in degeneracy  # the legend
    assert ">char_run" not in degeneracy  # never fired: not drawn


def test_tables_hold_the_numbers(sample, page):
    diagnosis = sample[0]
    cycles = page[page.index('id="cycles-table"') :]
    for i, cycle in enumerate(diagnosis["phases"]["cycles"], start=1):
        onset, peak = cycle["onset_step"], cycle["peak_step"]
        assert f'<td>C{i}</td><td class="num">{onset}</td><td class="num">{peak}</td>' in cycles
        assert f"+{cycle['amplitude']:.3g}" in cycles
    assert "−6" in page  # reward_std moved six steps before the onset
    assert "(+110%)" in page  # reward_std 0.21 → 0.44
    assert '<td class="num yes">3</td>' in page  # skipped lines flagged


def test_model_output_is_escaped_never_markup(page):
    for payload in (TITLE_PAYLOAD, ONERROR_PAYLOAD, "</textarea></pre>"):
        assert payload not in page
    assert str(escape(TITLE_PAYLOAD)) in page
    assert "<script" not in page.lower()
    assert "onerror=" not in outside_text(page)
    assert "s-&lt;b&gt;1&lt;/b&gt;" in page  # sample ids are escaped too


def test_evidence_is_highlighted_in_place(sample, page):
    assert "<mark>Observation: You open the fridge 1.</mark>" in page
    # no offsets given: the evidence text is found and marked
    assert "<mark>reward: 1.0 done: True</mark>" in page
    # the long looping output collapses, the excerpt says the evidence goes on
    looping = sample[2][0]["response"]
    assert f"<summary>Full output ({len(looping)} characters)</summary>" in page
    assert "(evidence continues)" in page


def test_page_is_self_contained(page):
    assert not re.search(r"https?://", outside_text(page))
    assert 'src="//' not in page and "<script src" not in page.lower()
    assert "<link" not in page and "@import" not in page and "url(http" not in page
    assert "default-src 'none'" in page  # Content-Security-Policy: nothing loads or runs
    # figure ids are unique and every reference points at one of them
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', page):
        assert ref in ids


def test_without_phases(sample):
    diagnosis, metrics, examples = copy.deepcopy(sample)
    diagnosis.update(phases=None, cosignals=[], persistence=[])
    page = render_html(diagnosis, metrics, examples)
    for section in SECTIONS:
        assert f'id="{section}"' in page
    assert "phases not computed" in page and "Phases were not computed." in page
    assert page.count("<svg") == 2  # the curve and the rates are still drawn, unshaded
    assert "eruption</text>" not in page


def test_without_scan_or_examples(sample):
    diagnosis, metrics, _ = copy.deepcopy(sample)
    diagnosis.update(scan=None, persistence=[])
    page = render_html(diagnosis, metrics, [])
    assert "No rollout or validation dumps were scanned." in page
    assert "No flagged outputs to show." in page
    assert page.count("<svg") == 1


@pytest.mark.parametrize(
    "diagnosis",
    [{}, None, {"run": None, "phases": None, "scan": None, "headline": None, "cosignals": None}],
    ids=["empty", "none", "nulls"],
)
def test_empty_everything(diagnosis):
    page = render_html(diagnosis, empty(METRICS_SCHEMA), [])
    for section in SECTIONS:
        assert f'id="{section}"' in page
    assert "<svg" not in page
    assert "The run logs no entropy or co-signal metric to plot." in page


def test_malformed_entries_are_dropped_not_fatal(sample):
    diagnosis, metrics, examples = copy.deepcopy(sample)
    diagnosis["phases"]["phases"].append({"label": "eruption", "start_step": None})
    diagnosis["phases"]["cycles"].append("not a cycle")
    diagnosis["phases"]["change_points"].append("x")
    diagnosis["scan"]["per_step"].append({"step": float("nan"), "sentence_dup": 0.5})
    diagnosis["headline"] = "one string, not a list"
    examples.append({"detector": None, "response": 42, "span_start": 10**9, "span_end": -1})
    page = render_html(diagnosis, metrics, examples)
    assert page.count("<tr><td>C") == 2
    assert "unlabelled" in page


def test_cosignals_only_run_gets_the_panels():
    metrics = pl.DataFrame(
        {"step": [1, 2, 3, 4], "name": ["reward"] * 4, "value": [0.1, 0.2, float("nan"), 0.4]}
    )
    page = render_html({"phases": None}, metrics, [])
    assert page.count("<svg") == 1 and ">reward</text>" in page


def test_numpy_scalars_render_like_python_numbers(sample):
    diagnosis, metrics, _ = copy.deepcopy(sample)
    for cycle in diagnosis["phases"]["cycles"]:
        cycle.update({k: np.int64(cycle[k]) for k in ("onset_step", "peak_step", "end_step", "duration")})
        cycle["amplitude"] = np.float32(cycle["amplitude"])
    page = render_html(diagnosis, metrics, [])
    cycle = diagnosis["phases"]["cycles"][0]
    assert f'<td>C1</td><td class="num">{cycle["onset_step"]}</td>' in page


@pytest.mark.parametrize(
    "value, cell, with_sign, share",
    [
        (3, "3", "+3", "300.0%"),
        (-6, "-6", "−6", "−600.0%"),
        (0.123456, "0.123", "+0.123", "12.3%"),
        (12345.6, "12,346", "+12,346", "1234560.0%"),
        (np.float64("nan"), "—", "—", "—"),
        (None, "—", "—", "—"),
        (True, "yes", "yes", "—"),
        (np.int64(7), "7", "+7", "700.0%"),
    ],
)
def test_cell_formats(value, cell, with_sign, share):
    assert number(value) == cell and signed(value) == with_sign and percent(value) == share


def test_renders_without_torch_or_a_display():
    code = (
        "import sys; from report_sample import sample_diagnosis; from entropy_lens.report import render_html;"
        "page = render_html(*sample_diagnosis(n_steps=200)); assert page.count('<svg') == 2;"
        "assert 'torch' not in sys.modules and 'matplotlib.pyplot' not in sys.modules, sorted(sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, env=env, check=True, timeout=120)
