"""Benchmark: reading a large verl rollout dump — time and peak memory.

Writes a verl ``trainer.rollout_data_dir`` of ``--size-mb`` megabytes (default 2048) to a
temporary folder: one ``<global_step>.jsonl`` per step, each line
``json.dumps({"input", "output", "gts", "score", "step", "acc"}, ensure_ascii=False)`` as
``RayPPOTrainer._dump_generations`` writes it, with multi-turn agent-sized texts. Then each
method runs in its own subprocess and its peak RSS is read from ``os.wait4``:

* **entropy-lens read_run** — ``entropy_lens.read_run(folder)`` (the reader that claims
  ``<step>.jsonl``; rollouts beyond ``ENTROPY_LENS_ROLLOUT_MEMORY_MB``, 128 MB, are spilled to
  temporary Parquet files as they are read: ``entropy_lens.rollout_store``);
* **entropy-lens scan** — ``read_run`` then ``detectors.scan_run``: every detector on every output,
  reading the run back in batches of whole steps;
* **entropy-lens analyze** — the main job: read, scan, report, JSON and Parquet tables (the
  rollouts table is written batch by batch);
* **naive** — ``json.loads`` of every line into one Python list;
* **polars read (all text)** — the same rows as ``read_run`` keeps (prompt, response, score,
  step) parsed by polars into one frame: what any reader that returns every text costs;
* **polars lazy** — ``pl.scan_ndjson`` of the dumps, projecting the columns an analysis needs
  and aggregating per step with the streaming engine (what a bounded-memory reader would do).

Target: 2 GB scanned with peak memory under 1.5 GB. The per-file reads and detector batches are
what stays in memory. Usage::

    python bench/read_stream.py                 # 2 GB
    python bench/read_stream.py --size-mb 256   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS_PER_STEP = 512
TARGET_RSS_MB = 1536

WORDS = (
    "the agent moves box left right up down target wall floor observation action reward search query "
    "document answer think tool call result invalid admissible take put open close go to drawer cabinet "
    "countertop shelf apple mug knife plate examine inventory look step valid turn environment"
).split()

METHODS = {
    "entropy-lens read_run": (
        "import sys; from entropy_lens import read_run\n"
        "run = read_run(sys.argv[1])\n"
        "print(run.n_rollouts)\n"
    ),
    "entropy-lens scan (all detectors)": (
        "import sys; from entropy_lens import read_run; from entropy_lens.detectors import scan_run\n"
        "result = scan_run(read_run(sys.argv[1]))\n"
        "print(result.to_dict()['n_outputs'], 'outputs,', result.findings.filter('flagged').height, 'flags')\n"
    ),
    "entropy-lens analyze": (
        "import sys, tempfile; from entropy_lens import analyze\n"
        "diagnosis, written = analyze(sys.argv[1], tempfile.mkdtemp() + '/out')\n"
        "print(diagnosis.run.n_rollouts, 'outputs,', len(written), 'files')\n"
    ),
    "naive json.loads list": (
        "import json, sys, pathlib\n"
        "rows = []\n"
        "for path in sorted(pathlib.Path(sys.argv[1]).glob('*.jsonl')):\n"
        "    with open(path, 'rb') as handle:\n"
        "        rows.extend(json.loads(line) for line in handle)\n"
        "print(len(rows))\n"
    ),
    "polars read_ndjson (all text)": (
        "import sys, polars as pl\n"
        "frame = pl.scan_ndjson(sys.argv[1] + '/*.jsonl', schema={'input': pl.Utf8, 'output': pl.Utf8,\n"
        "                       'score': pl.Float64, 'step': pl.Int64}).collect()\n"
        "print(frame.height)\n"
    ),
    "polars scan_ndjson (streaming)": (
        "import sys, polars as pl\n"
        "schema = {'output': pl.Utf8, 'score': pl.Float64, 'step': pl.Int64}\n"
        "lazy = pl.scan_ndjson(sys.argv[1] + '/*.jsonl', schema=schema)\n"
        "per_step = (lazy.group_by('step').agg(pl.len().alias('n'), pl.col('score').mean(),\n"
        "            pl.col('output').str.len_bytes().mean().alias('length')).collect(engine='streaming'))\n"
        "print(int(per_step['n'].sum()))\n"
    ),
}


class Samples:
    """Multi-turn agent samples as verl dumps them, drawn from a pool of pre-made texts (fast)."""

    def __init__(self, seed: int, pool: int = 2000):
        self.rng = random.Random(seed)
        self.texts = [
            " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(40, 400))) for _ in range(pool)
        ]

    def record(self, step: int) -> dict:
        """One sample: decoded multi-turn prompt and response, score, step, acc."""
        rng, texts = self.rng, self.texts
        turns = rng.randint(2, 8)
        prompt = "system\nYou are an agent in a household.\nuser\n" + "\nassistant\n".join(
            rng.choice(texts) for _ in range(turns)
        )
        output = "<think>" + rng.choice(texts) + "</think><action>" + rng.choice(WORDS) + "</action>"
        score = float(rng.random() < 0.3)
        return {"input": prompt, "output": output, "gts": None, "score": score, "step": step, "acc": score}


def write_dump(folder: Path, size_mb: int, seed: int = 0) -> tuple[int, int]:
    """Write ``<step>.jsonl`` files until ``size_mb`` MB; return (rows, bytes)."""
    samples = Samples(seed)
    target, written, rows, step = size_mb * 1024 * 1024, 0, 0, 0
    while written < target:
        step += 1
        with open(folder / f"{step}.jsonl", "w", encoding="utf-8") as handle:
            for _ in range(ROWS_PER_STEP):
                line = json.dumps(samples.record(step), ensure_ascii=False) + "\n"
                handle.write(line)
                written += len(line.encode("utf-8"))
                rows += 1
    return rows, written


def measure(script: str, folder: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, last stdout line or failure) of ``script`` in a fresh interpreter."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", script, str(folder)], stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        lines = (out.read() if process.returncode == 0 else err.read()).decode().strip().splitlines()
    result = lines[-1] if lines else ""
    if process.returncode != 0:
        result = f"failed: {result}"
    return seconds, usage.ru_maxrss / 1024, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=2048, help="dump size in MB (default 2048)")
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="entropy-lens-bench-"))
    try:
        folder = root / "rollout_data"
        folder.mkdir()
        started = time.perf_counter()
        rows, size = write_dump(folder, args.size_mb)
        files = len(list(folder.iterdir()))
        print(
            f"verl rollout dump: {size / 2**20:.0f} MB, {rows} rows, {files} step files "
            f"(written in {time.perf_counter() - started:.0f} s)"
        )
        print(f"{'method':<32} {'seconds':>8} {'MB/s':>7} {'peak RSS MB':>12} {'target':>7}  rows")
        for name in args.methods:
            seconds, peak, out = measure(METHODS[name], folder)
            verdict = "ok" if peak < TARGET_RSS_MB else "over"
            print(f"{name:<32} {seconds:8.1f} {size / 2**20 / seconds:7.1f} {peak:12.0f} {verdict:>7}  {out}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
