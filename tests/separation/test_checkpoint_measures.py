"""The measures added beside the probe: the paper's statistic, the text control, projections, early warning."""

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from entropy_lens.separation.control import policy_text, text_probe_auroc
from entropy_lens.separation.early_warning import Z, auroc_standard_error, early_warning
from entropy_lens.separation.projection import MAX_POINTS, projection_2d
from entropy_lens.separation.score import seal_ratio


def test_seal_ratio_equals_pairwise_float64_reference():
    """draw_fig.py's cal_similarity: 2·mean cos(A,B) − mean cos(A,A) − mean cos(B,B), self-pairs included."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(37, 9)) + 0.4
    y = rng.random(37) < 0.4
    a, b = x[y], x[~y]
    expected = 2 * cosine_similarity(a, b).mean() - cosine_similarity(a, a).mean() - cosine_similarity(b, b).mean()
    assert seal_ratio(x.astype(np.float32), y) == pytest.approx(expected, abs=1e-6)
    apart = np.vstack([np.tile([1.0, 0.0], (5, 1)), np.tile([-1.0, 0.0], (5, 1))])
    assert seal_ratio(apart, np.arange(10) < 5) == pytest.approx(-4.0)  # opposite classes: the minimum


def test_text_control_reads_policy_text_only():
    """Labels written only in environment text are invisible to the control (one definition of policy text)."""
    good = [f"<search> q{i} </search>\n<information>correct answer {i}</information>\n<answer> x </answer>" for i in range(12)]
    bad = [f"<search> q{i} </search>\n<information>wrong answer {i}</information>\n<answer> x </answer>" for i in range(12)]
    labels = np.array([True] * 12 + [False] * 12)
    assert "correct" not in policy_text(good[0]) and "<answer> x </answer>" in policy_text(good[0])
    assert text_probe_auroc(good + bad, labels) <= 0.7
    surface = [f"<answer> yes {i} </answer>" for i in range(12)] + [f"<answer> no {i} </answer>" for i in range(12)]
    assert text_probe_auroc(surface, labels) > 0.95
    assert text_probe_auroc(surface[:13], labels[:13]) is None  # one incorrect output only


def test_projection_is_small_and_labelled():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 16))
    y = rng.random(1000) < 0.5
    x[y] += 2.0
    p = projection_2d(x, y)
    assert len(p["x"]) == len(p["y"]) == len(p["correct"]) == MAX_POINTS == 300
    assert 0 < p["explained"][1] <= p["explained"][0] < 1
    z, c = np.array(p["x"]), np.array(p["correct"])
    assert abs(z[c].mean() - z[~c].mean()) > 2  # the separating direction is the first component
    assert projection_2d(x[:2], y[:2]) is None
    assert projection_2d(x[:60], y[:60], method="tsne")["explained"] is None


def test_early_warning_verdicts_and_threshold():
    assert Z == 2.0
    assert auroc_standard_error(0.5, 50, 50) == pytest.approx(np.sqrt((0.25 + 49 * (1 / 3 - 0.25) + 49 * (0.5 / 1.5 - 0.25)) / 2500))
    rows = [{"step": s, "probe_auroc": a, "n_correct": 100, "n_incorrect": 100} for s, a in
            [(100, 0.90), (200, 0.91), (300, 0.70), (400, 0.72), (500, 0.71)]]
    result = early_warning(rows, [350, 150, 520, 210])
    verdicts = {e["onset_step"]: e["verdict"] for e in result["eruptions"]}
    assert verdicts == {350: "fell", 150: "cannot tell", 520: "fell", 210: "no clear change"}
    assert result["sentence"].startswith("Separation fell before 2 of 3 eruption(s)")
    assert "step 350: fell (probe AUROC 0.9" in result["sentence"] and "→ 0.70 at checkpoint 300" in result["sentence"]
    assert early_warning(rows, [])["sentence"].startswith("No eruption was found")
    assert early_warning(rows[:1], [350])["sentence"].startswith("Cannot tell")


def test_headline_note_states_the_numbers():
    from entropy_lens.separation.early_warning import separation_note

    rows = [{"step": s, "probe_auroc": a, "n_correct": 100, "n_incorrect": 100} for s, a in [(100, 0.9), (200, 0.7)]]
    section = {"overall": {"probe_auroc": 0.7}, "text_control": {"probe_auroc": 0.75}, "by_checkpoint": rows,
               "early_warning": early_warning(rows, [250])}
    note = separation_note(section)
    assert "A text-only probe on the same outputs reaches 0.75: the model adds -0.05." in note
    assert "Separation fell before 1 of 1 eruption(s)" in note
    assert separation_note({"overall": {"probe_auroc": 0.7}, "by_checkpoint": rows[:1]}) == ""
