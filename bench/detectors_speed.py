"""Benchmark: the full detector set (``detectors.scan``) on agent-shaped policy outputs.

Generates WebShop-style rollouts (verl-agent prompt template with an admissible-action list,
GRPO groups of 8, ``<think>…</think><action>…</action>`` outputs of about ``--chars`` characters,
a tenth of them degenerate: repeated sentences, ``!!!!`` runs, fabricated ``Observation:`` lines,
unsupported product facts), then times, on the same outputs and in the same run:

* **naive** — a straightforward pure-Python loop: per output, the float64 references of
  ``tests/detectors/detector_reference.py`` (repetition and loop measures, environment and admissible actions)
  and each rule detector's own per-output check, no prefilters; group diversity from Python sets;
* **scan** — ``entropy_lens.detectors.scan`` with polars on 1 thread (per core) and on all cores.

Throughput is MB of policy text (UTF-8) per second of wall time, and per CPU-second (all threads
of the process: the per-core figure, and the one that other load on a shared machine disturbs
least). The clock covers the detection only (the rows are built and the modules imported first).
Each configuration runs ``--repeat`` times in fresh processes (polars fixes its thread count at
import) and the best run is printed. Targets (issue #5): at least 20 MB per CPU-second, with a
margin (26 on one thread, 22 and 44 MB/s wall on two); figures in ``docs/detectors.md``. Usage::

    python bench/detectors_speed.py                         # 100,000 outputs of 2 KB, best of 3
    python bench/detectors_speed.py --outputs 5000 --repeat 1   # quick
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "the item size color price shirt men women cotton blue black small large need find search click buy option "
    "page result product match required criteria budget under dollars check details fit material polyester soft "
    "long sleeve short pack look next back first second option available"
).split()
PROMPT = (
    "\nYou are an expert autonomous agent operating in the WebShop e\u2011commerce environment.\n"
    "Your task is to: Find me {task}, and price lower than 40.00 dollars.\n"
    "Your current observation is: 'Back to Search' [SEP] 'Page 1 (Total results: 50)' [SEP] 'Next >' "
    "[SEP] 'B0{asin}' [SEP] '{title}' [SEP] '$19.99'.\n"
    "Your admissible actions of the current situation are: \n[\n'search[<your query>]',\n"
    "'click[back to search]',\n'click[next >]',\n'click[b0{asin}]',\n].\n\n"
    "Now it's your turn to take one action for the current step.\n"
)
DEGENERATE = (
    lambda r, s: s + " " + " ".join([s.split(". ")[0] + "."] * 6),
    lambda r, s: s + " " + "!" * 60,
    lambda r, s: s + "\nObservation: the product page shows size small and price $12.99",
    lambda r, s: s + "\nProduct details:\n- Color: crimson red\n- Size: xx-large\n- Material: silk",
)


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + rng.choice(".!?")


def make_rows(n: int, chars: int, seed: int) -> list[dict]:
    """``n`` rollout rows (dicts of the rollouts schema) in groups of 8 sharing a prompt."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        group = i // 8
        prompt = PROMPT.format(task=sentence(random.Random(group)).lower(), asin=f"{group:08d}", title=sentence(rng))
        think = ""
        while len(think) < chars - 60:
            think += sentence(rng) + " "
        if rng.random() < 0.1:
            think = rng.choice(DEGENERATE)(rng, think)
        action = rng.choice(["click[next >]", f"click[b0{group:08d}]", "search[blue shirt]", "click[buy it]"])
        response = f"<think>{think}</think>\n<action>{action}</action>"
        rows.append(
            {
                "step": i // 4000,
                "sample_id": f"s{i}",
                "group_id": f"g{group}",
                "prompt": prompt,
                "split": "train",
                "response": response,
            }
        )
    return rows


def naive(rows: list[dict]) -> None:
    """Every detector's rule, one output at a time, in plain Python (the float64 references and each
    rule detector's own per-output check, no prefilters), then group diversity from Python sets."""
    sys.path.insert(0, str(ROOT / "tests" / "detectors"))
    import detector_reference as ref

    from entropy_lens.detectors import contradictory_rambling, fabricated_observation, invalid_action, loops
    from entropy_lens.detectors.char_run import CharRun
    from entropy_lens.detectors.unsupported_claim import _FACT
    from entropy_lens.environments import observations

    chars, fabricated, contradiction = (
        CharRun(),
        fabricated_observation.FabricatedObservation(),
        contradictory_rambling.ContradictoryRambling(),
    )
    groups: dict[str, list[str]] = {}
    for row in rows:
        text, prompt = row["response"], row["prompt"]
        env = ref.recognise(prompt)
        ref.sentence_dup_rate(text), ref.seq_rep(text), ref.compression_ratio(text), ref.loop_stats(text)
        loops._think_counts(text.lower())
        chars._char.search(text), chars._token.search(text)
        fabricated._marks(text, env, prompt)
        context = (
            prompt if env == "tool" else ("answer" if "<answer>" in prompt and "<action>" not in prompt else "action")
        )
        invalid_action._turn_problems(text, env, context, ref.admissible_actions(prompt, env))
        [m.group("value") in observations(prompt) for m in _FACT.finditer(text)]  # twice: hallucination and SEAL's
        [m.group("value") in observations(prompt) for m in _FACT.finditer(text)]
        contradiction._rules(text, prompt)
        groups.setdefault(row["group_id"], []).append(text)
    for outputs in groups.values():
        ref.group_diversity(outputs)


def worker(mode: str, outputs: int, chars: int) -> dict:
    """Run one configuration in this process and return its timing (inputs built and modules
    imported before the clock starts; ``scan`` gets the rows as a DataFrame only, as from ``read_run``)."""
    rows = make_rows(outputs, chars, seed=0)
    megabytes = sum(len(r["response"].encode()) for r in rows) / 1e6
    if mode == "naive":
        sys.path.insert(0, str(ROOT / "tests" / "detectors"))
        import detector_reference  # noqa: F401

        def run():
            naive(rows)

    else:
        import polars as pl

        from entropy_lens.detectors import scan

        frame = pl.DataFrame(rows)
        del rows  # no 100,000 dicts left for the garbage collector to walk

        def run():
            scan(frame)

    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"mode": mode, "seconds": seconds, "cpu": cpu, "mb": megabytes}


def best_of(mode: str, threads: int, args: argparse.Namespace) -> dict:
    """The fastest of ``args.repeat`` runs of one configuration, each in a fresh process (polars
    fixes its thread count at import): least wall time and least CPU time."""
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
    command = [sys.executable, __file__, "--worker", mode, "--outputs", str(args.outputs), "--chars", str(args.chars)]
    runs = [
        json.loads(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout)
        for _ in range(args.repeat)
    ]
    return {"mb": runs[0]["mb"], "seconds": min(r["seconds"] for r in runs), "cpu": min(r["cpu"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=int, default=100_000)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration; the best is printed")
    parser.add_argument("--worker", choices=["naive", "scan"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.outputs, args.chars)))
        return
    cores = os.cpu_count() or 1
    configs = [
        ("naive (pure Python)", "naive", 1),
        ("scan, 1 thread", "scan", 1),
        (f"scan, {cores} threads", "scan", cores),
    ]
    print(f"{args.outputs} outputs of ~{args.chars} chars, {cores} cores, best of {args.repeat} runs")
    print(f"{'configuration':<22}{'wall s':>8}{'cpu s':>8}{'MB':>7}{'MB/s':>7}{'MB/cpu-s':>10}{'× naive':>9}")
    base = None
    for label, mode, threads in configs:
        result = best_of(mode, threads, args)
        base = base or result["seconds"]
        mb, wall, cpu = result["mb"], result["seconds"], result["cpu"]
        print(
            f"{label:<22}{wall:>8.1f}{cpu:>8.1f}{mb:>7.0f}{mb / wall:>7.1f}{mb / cpu:>10.1f}{base / wall:>9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
