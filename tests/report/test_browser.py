"""The report in a real browser (headless Chromium): it lays out, shows its figures, and no
script from model output runs. Skipped when Chromium is not installed (``apt-get install chromium``)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from entropy_lens.report import render_html
from entropy_lens.report.figures import PHASE_COLOURS, SHADE_ALPHA

pytestmark = pytest.mark.browser

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def chromium(tmp_path, page, *args: str) -> str:
    """Run headless Chromium on ``page`` with ``args``; returns its stdout."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    command = [binary, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def rendered(sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    page = folder / "report.html"
    page.write_text(render_html(*sample), encoding="utf-8")
    return folder, page


def test_dom_has_sections_figures_and_no_injected_script(rendered):
    folder, page = rendered
    dom = chromium(folder, page, "--dump-dom", "--virtual-time-budget=2000")
    assert "<title>entropy-lens · alfworld-grpo-qwen2.5-1.5b</title>" in dom  # the payloads set 'xxxPWN'
    assert "xxxPWN" not in dom and "yyyPWN" not in dom
    for section in ("summary", "timeline", "degeneracy", "cycles", "examples", "provenance"):
        assert f'<section id="{section}">' in dom
    assert dom.count("<svg") == 2 and dom.count("<figure") == 2
    assert "<script" not in dom  # the parser built no script element from the escaped text
    assert "<img" not in dom
    assert dom.count("<mark>") >= 4
    assert "&lt;script&gt;document.title=" in dom  # the payload is there, as text


def shaded(colour: str, alpha: float) -> np.ndarray:
    """``colour`` laid over white with ``alpha``, as 0..255 RGB."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return 255 * (1 - alpha) + rgb * alpha


def test_screenshot_shows_the_shaded_phases(rendered):
    image = pytest.importorskip("PIL.Image")
    folder, page = rendered
    shot = folder / "report.png"
    chromium(folder, page, f"--screenshot={shot}", "--window-size=1280,3000")
    pixels = np.asarray(image.open(shot).convert("RGB"), dtype=float)
    assert pixels.shape == (3000, 1280, 3)
    for label in ("eruption", "decay"):
        near = np.abs(pixels - shaded(PHASE_COLOURS[label], SHADE_ALPHA)).max(axis=2) <= 6
        assert near.sum() > 10_000, label  # the figures were drawn, with the phase shading


def test_single_step_dump_shows_bars(tmp_path):
    """A run dumped at one step: the browser paints bars (once: empty panels over steps 0.6–1.4)."""
    image = pytest.importorskip("PIL.Image")
    from entropy_lens.report.figures import TRAIN_COLOUR

    per_step = [{"step": 1, "split": "train", "n": 128, "sentence_dup": 0.25, "seq_rep_4": 0.41, "seq_rep_4_flag": 0.5,
                 "char_run": 0.0}]  # seq_rep_4 is the mean value; its share over the threshold is seq_rep_4_flag
    scan = {"detectors": ["sentence_dup", "char_run", "seq_rep_4"], "per_step": per_step,
            "flagged": {"sentence_dup": 32, "char_run": 0, "seq_rep_4": 64}, "n_outputs": 128}
    page = tmp_path / "report.html"
    page.write_text(render_html({"scan": scan}, None, []), encoding="utf-8")
    shot = tmp_path / "report.png"
    chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,1400")
    pixels = np.asarray(image.open(shot).convert("RGB"), dtype=float)
    bars = np.abs(pixels - shaded(TRAIN_COLOUR, 1.0)).max(axis=2) <= 6
    assert bars.sum() > 5_000  # two bars, the longer twice the shorter
    rows = np.flatnonzero(bars.sum(axis=1))
    widths = sorted({int(bars[r].sum()) for r in rows if bars[r].sum() > 20})
    assert widths[-1] == pytest.approx(2 * widths[0], rel=0.05)


def test_example_tokens_are_painted_in_their_entropy_colours(tmp_path):
    """Tokens coloured by entropy render: the darkest and a middle colour are painted, the DOM keeps
    each token's title, and a ``<script>`` token stays text."""
    image = pytest.importorskip("PIL.Image")
    from entropy_lens.report.token_colours import PALETTE

    pieces = [{"text": " calm", "entropy": [0.0]},
              {"text": " <script>document.title='zzzPWN'</script>", "entropy": [4.5]},
              {"text": " FORK", "entropy": [9.0]}] * 10
    item = {"sample_id": "s1", "step": 1, "split": "train", "detector": "sentence_dup",
            "response": "".join(p["text"] for p in pieces), "tokens": pieces, "tokens_under": "/ckpt"}
    separation = {"checkpoint": "/ckpt", "split": "val", "n_samples": 1, "mean_policy_entropy": 1.0, "overall": {}}
    page = tmp_path / "report.html"
    page.write_text(render_html({"separation": separation}, None, [item]), encoding="utf-8")
    dom = chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000")
    assert "zzzPWN" not in dom.split("<title>")[1].split("</title>")[0] and "<script" not in dom
    assert dom.count('<span class="t8" title="9.00 nats"> FORK</span>') == 10
    shot = tmp_path / "report.png"
    chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2400")
    pixels = np.asarray(image.open(shot).convert("RGB"), dtype=float)
    for colour in (PALETTE[8], PALETTE[4]):
        painted = np.abs(pixels - shaded(colour, 1.0)).max(axis=2) <= 6
        assert painted.sum() > 1_000, colour  # 10 token backgrounds (and the legend's swatch)
