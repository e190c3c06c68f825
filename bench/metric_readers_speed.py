"""Throughput of the TRL, TensorBoard and W&B metric readers against a naive baseline, same run.

    python bench/metric_readers_speed.py [--steps 2000] [--keys 50]

Inputs are written by the real writers into a temporary folder: ``transformers.TrainerState``
(a ``trainer_state.json`` with one ``log_history`` row per step), torch's ``SummaryWriter`` (one
scalar per key and step) and an offline ``wandb`` run (one ``wandb.log`` per step; skipped when
wandb is not installed). Baselines are what one writes by hand:

* trainer_state.json: ``pandas.json_normalize(log_history).melt(...)``;
* TensorBoard: tensorboard's ``EventAccumulator`` (the loader behind tbparse) with a loop over tags;
* W&B: no other offline reader exists (``wandb.Api`` needs the server), so the floor is shown
  instead: LevelDB framing plus ``Record.ParseFromString`` of every record, nothing decoded.

Times are the best of ``--repeat`` runs, in seconds; "values/s" counts (step, key, value) rows.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path


def best_of(repeat: int, function) -> tuple[float, int]:
    """(fastest wall time, rows returned by the last call)."""
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = function()
        times.append(time.perf_counter() - start)
    return min(times), rows


def curve(step: int, key: int) -> float:
    return math.sin(step / 50 + key) + key


def write_trainer_state(folder: Path, steps: int, keys: int) -> Path:
    from transformers import TrainerState

    history = [{"step": s, **{f"metric/{k}": curve(s, k) for k in range(keys)}} for s in range(1, steps + 1)]
    path = folder / "trainer_state.json"
    TrainerState(global_step=steps, log_history=history).save_to_json(str(path))
    return path


def write_tensorboard(folder: Path, steps: int, keys: int) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(folder / "tb")
    for s in range(1, steps + 1):
        for k in range(keys):
            writer.add_scalar(f"metric/{k}", curve(s, k), s)
    writer.close()
    return next((folder / "tb").glob("events.out.tfevents.*"))


def write_wandb(folder: Path, steps: int, keys: int) -> Path | None:
    try:
        import wandb
    except ImportError:
        return None
    run = wandb.init(mode="offline", dir=folder, project="bench", settings=wandb.Settings(silent=True))
    run.define_metric("*", step_metric="train/global_step")
    for s in range(1, steps + 1):
        run.log({"train/global_step": s, **{f"metric/{k}": curve(s, k) for k in range(keys)}})
    run.finish()
    return next(folder.glob("wandb/offline-run-*/run-*.wandb"))


def naive_trainer_state(path: Path) -> int:
    import json

    import pandas as pd

    history = json.loads(path.read_text())["log_history"]
    long = pd.json_normalize(history).melt(id_vars="step", var_name="raw_name").dropna()
    return len(long)


def naive_tensorboard(path: Path) -> int:
    from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator

    accumulator = EventAccumulator(str(path), size_guidance={SCALARS: 0})
    accumulator.Reload()
    return sum(len(accumulator.Scalars(tag)) for tag in accumulator.Tags()["scalars"])


def floor_wandb(path: Path) -> int:
    from wandb.proto.wandb_internal_pb2 import Record

    from entropy_lens.readers.wandb_datastore import payloads

    count = 0
    for _, data in payloads(path, []):
        record = Record()
        record.ParseFromString(data)
        count += len(record.history.item)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from entropy_lens.readers.tensorboard import TensorBoardReader
    from entropy_lens.readers.trl import TrainerStateReader
    from entropy_lens.readers.wandb import WandbRunReader

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = {
            "trainer_state.json": (write_trainer_state(folder, args.steps, args.keys), TrainerStateReader(),
                                   naive_trainer_state, "pandas json_normalize + melt"),
            "tfevents": (write_tensorboard(folder, args.steps, args.keys), TensorBoardReader(),
                         naive_tensorboard, "EventAccumulator"),
            "run.wandb": (write_wandb(folder, args.steps, args.keys), WandbRunReader(),
                          floor_wandb, "floor: framing + protobuf only"),
        }
        print(f"{args.steps} steps x {args.keys} keys; best of {args.repeat}\n")
        print(f"{'input':20} {'MB':>6} {'ours s':>8} {'values/s':>10} {'baseline s':>11} {'values/s':>10}  baseline")
        for name, (path, reader, baseline, label) in inputs.items():
            if path is None:
                print(f"{name:20} (wandb not installed)")
                continue
            ours, rows = best_of(args.repeat, lambda: reader.read(path).frame.height)
            base, base_rows = best_of(args.repeat, lambda: baseline(path))
            size = path.stat().st_size / 1e6
            speeds = f"{ours:8.2f} {rows / ours:10.0f} {base:11.2f} {base_rows / base:10.0f}"
            print(f"{name:20} {size:6.1f} {speeds}  {label}")


if __name__ == "__main__":
    main()
