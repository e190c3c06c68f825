"""The report's separation-across-checkpoints part states the section's own numbers."""

import re

from entropy_lens.report import render_html
from entropy_lens.separation.early_warning import early_warning

ROWS = [
    {"step": 100, "checkpoint": "/c/100", "n": 40, "n_correct": 20, "n_incorrect": 20, "probe_auroc": 0.91,
     "text_probe_auroc": 0.62, "model_adds": 0.29, "seal_ratio": -0.123, "cosine_gap": 0.05, "mean_policy_entropy": 0.7,
     "projection": {"method": "pca", "x": [0.0, 1.0, 2.0], "y": [1.0, 0.0, 2.0], "correct": [True, False, True], "explained": [0.5, 0.2]}},
    {"step": 200, "checkpoint": "/c/200", "n": 40, "n_correct": 20, "n_incorrect": 20, "probe_auroc": 0.66,
     "text_probe_auroc": 0.62, "model_adds": 0.04, "seal_ratio": -0.021, "cosine_gap": 0.01, "mean_policy_entropy": 0.9,
     "projection": None},
    {"step": 300, "checkpoint": "/c/300", "n": 40, "n_correct": 20, "n_incorrect": 20, "probe_auroc": 0.93,
     "text_probe_auroc": 0.62, "model_adds": 0.31, "seal_ratio": -0.2, "cosine_gap": 0.06, "mean_policy_entropy": 0.6,
     "projection": None},
]


def section():
    warning = early_warning(ROWS, [250])
    return {
        "checkpoint": "/c/300", "split": "val", "n_samples": 40, "mean_policy_entropy": 0.6, "overall": ROWS[-1],
        "per_step": [], "text_control": {"probe_auroc": 0.62}, "by_checkpoint": ROWS, "early_warning": warning,
        "token_entropy": {"forking_quantile": 0.8, "forking_threshold": 1.234, "edges": [0, 1, 2],
                          "phases": [{"phase": "eruption", "n_tokens": 512, "mean": 1.0, "histogram": [1, 2],
                                      "quantiles": {"q05": 0.1, "q25": 0.2, "q50": 0.5, "q75": 0.9, "q95": 1.9},
                                      "forking_share": 0.31}]},
        "mechanism": [{"step": s, "logp_advantage_cov": 0.01 * s, "diff_logps": 2.0} for s in (100, 200, 300)],
        "entropy_vs_logged": [{"step": s, "recomputed_entropy": 0.7, "logged_entropy": 0.6, "gap": 0.1} for s in (100, 200)],
    }


def test_page_states_the_numbers():
    sep = section()
    page = render_html({"separation": sep, "run": {"path": "/r"}}, None, [])
    text = re.sub(r"<[^>]+>", " ", page)
    assert sep["early_warning"]["sentence"].startswith("Separation fell before 1 of 1")
    assert sep["early_warning"]["sentence"].replace("→", "&rarr;")[:60] in page or sep["early_warning"]["sentence"][:60] in page
    assert "reaches AUROC" in text and "0.62" in text
    table = page[page.index('id="separation-checkpoints"'):page.index("</table>", page.index('id="separation-checkpoints"'))]
    assert "+0.29" in table and "−0.123" in table and "+0.04" in table
    assert "1.23 nats" in text and "31" in page[page.index('id="token-entropy-table"'):]
    assert 'id="separation-trend"' in page and "separation-projection" in page


def test_nothing_without_checkpoints():
    single = {"overall": {}, "per_step": [], "checkpoint": "/c", "split": "val", "n_samples": 4, "mean_policy_entropy": 1.0}
    page = render_html({"separation": single, "run": {"path": "/r"}}, None, [])
    assert 'id="separation-trend"' not in page
