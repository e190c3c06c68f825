"""Benchmark: size and render time of ``report.html`` for long runs.

Compares, in one run on the same planted curves (entropy plus four co-signals, phases from
``find_phases``):

* **naive** — every logged point drawn (``envelope`` replaced by the identity);
* **entropy-lens** — ``render_html`` as shipped: lines longer than ``series.MAX_POINTS`` thinned to
  their min/max envelope.

Target: a report stays under 1 MB and renders in under 2 s at 100k steps. Usage::

    python bench/report_size.py --steps 1000 5000 20000 100000

``--separation`` adds the separation-across-checkpoints part at its largest expected size
(500 steps × 64 rollouts × 10 checkpoints: every per-step row, ten projections) and the examples
with their tokens coloured by entropy (3 per detector, 8,000-character outputs of 2-character
tokens: the most pieces an excerpt holds); target < 5 MB::

    python bench/report_size.py --steps 500 --separation
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import polars as pl

from entropy_lens.phases import find_phases
from entropy_lens.report import render_html
from entropy_lens.synthetic import planted_eruption


def planted(n_steps: int) -> tuple[dict, pl.DataFrame]:
    """A diagnosis (phases only) and the metrics table of a planted ``n_steps`` run."""
    curves, _ = planted_eruption(
        n_steps, seed=0, n_cycles=4, rise=n_steps // 40, decay=n_steps // 8, descent=n_steps // 10
    )
    metrics = curves.unpivot(index="step", variable_name="name", value_name="value")
    phases = find_phases(curves["step"].to_numpy(), curves["entropy"].to_numpy())
    return {"phases": phases.to_dict(), "run": {"path": f"/runs/planted-{n_steps}"}}, metrics


def separation_section(n_steps: int, rollouts: int = 64, n_checkpoints: int = 10, seed: int = 0) -> dict:
    """A ``separation`` section of the size ``score_checkpoints`` writes, built by the real functions."""
    import numpy as np

    from entropy_lens.recompute.distribution import entropy_by_phase
    from entropy_lens.separation.early_warning import early_warning
    from entropy_lens.separation.projection import projection_2d

    rng = np.random.default_rng(seed)
    steps = np.arange(n_steps)
    labels = rng.random(n_steps * rollouts) < 0.5
    scores = {"n": 64, "n_correct": 32, "n_incorrect": 32, "probe_auroc": 0.7, "diff_means_auroc": 0.65,
              "fisher_ratio": 3.1, "cosine_gap": 0.02, "seal_ratio": -0.03}
    rows = []
    for k in range(n_checkpoints):
        features = rng.normal(size=(n_steps * rollouts // 10, 64)) + labels[: n_steps * rollouts // 10, None]
        rows.append({"step": (k + 1) * n_steps // n_checkpoints, "checkpoint": f"/ckpt/global_step_{k}"} | scores
                    | {"text_probe_auroc": 0.6, "model_adds": 0.1, "mean_policy_entropy": 0.8, "tokens_per_s": 1e4,
                       "projection": projection_2d(features, labels[: len(features)])})
    tokens = pl.DataFrame({"step": np.repeat(steps, 200), "entropy": rng.exponential(0.7, n_steps * 200)})
    phases = [{"label": "recovery", "start_step": 0, "end_step": n_steps // 2},
              {"label": "eruption", "start_step": n_steps // 2 + 1, "end_step": n_steps - 1}]
    return {
        "checkpoint": rows[-1]["checkpoint"], "split": "train", "n_samples": n_steps * rollouts, "n_tokens": 10**7,
        "tokens_per_s": 1e4, "mean_policy_entropy": 0.8, "tokenisations": 1, "layer": -1, "overall": scores,
        "per_step": [{"step": int(s), "recomputed_entropy": 0.8} | scores for s in steps],
        "text_control": {"probe_auroc": 0.6}, "by_checkpoint": rows,
        "early_warning": early_warning(rows, [n_steps // 2]),
        "token_entropy": entropy_by_phase(tokens, phases),
        "entropy_vs_logged": [{"step": int(s), "recomputed_entropy": 0.8, "checkpoint_step": 0,
                               "logged_entropy": 0.7, "gap": 0.1} for s in steps],
        "mechanism": [{"step": int(s), "logp_advantage_cov": 0.01, "diff_logps": 3.0, "correct_logps": -40.0,
                       "wrong_logps": -43.0, "n_cov_tokens": 12800} for s in steps],
    }


def token_examples(per_detector: int = 3, length: int = 8000, seed: int = 0) -> list[dict]:
    """Flagged outputs of every detector with their tokens (``recompute.example_tokens``' shape)."""
    import numpy as np

    from entropy_lens.report.examples import MATCH_MAX, SCORE_LABELS

    rng = np.random.default_rng(seed)
    items = []
    for detector in SCORE_LABELS:
        for k in range(per_detector):
            pieces = [{"text": "ab", "entropy": [float(v)]} for v in rng.exponential(0.7, length // 2)]
            items.append({"sample_id": f"{detector}/{k}", "step": k, "split": "train", "detector": detector,
                          "response": "ab" * (length // 2), "span_start": length // 2,
                          "span_end": length // 2 + MATCH_MAX,
                          "tokens": pieces, "tokens_under": "/ckpt/global_step_500"})
    return items


def timed(diagnosis: dict, metrics: pl.DataFrame, naive: bool, examples: list[dict]) -> tuple[float, int]:
    """Seconds to render and bytes of the page (best of 2)."""
    thin = (
        mock.patch("entropy_lens.report.figures.envelope", lambda s, v: (s, v)) if naive else mock.MagicMock()
    )
    best = float("inf")
    with thin:
        for _ in range(2):
            start = time.perf_counter()
            page = render_html(diagnosis, metrics, examples)
            best = min(best, time.perf_counter() - start)
    return best, len(page.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 5000, 20000, 100000])
    parser.add_argument("--separation", action="store_true", help="add a 64-rollout, 10-checkpoint separation part")
    args = parser.parse_args()
    print(f"{'steps':>8} | {'naive KB':>9} {'naive s':>8} | {'thinned KB':>10} {'thinned s':>9} | size ×")
    for n_steps in args.steps:
        diagnosis, metrics = planted(n_steps)
        examples = []
        if args.separation:
            diagnosis["separation"] = separation_section(n_steps)
            examples = token_examples()
        naive_s, naive_b = timed(diagnosis, metrics, naive=True, examples=examples)
        ours_s, ours_b = timed(diagnosis, metrics, naive=False, examples=examples)
        naive = f"{naive_b / 1024:>9.0f} {naive_s:>8.2f}"
        ours = f"{ours_b / 1024:>10.0f} {ours_s:>9.2f}"
        print(f"{n_steps:>8} | {naive} | {ours} | {naive_b / ours_b:.1f}")


if __name__ == "__main__":
    main()
