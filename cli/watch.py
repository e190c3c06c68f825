"""``entropy-lens watch RUN_DIR``: follow a live run and warn when an eruption starts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from entropy_lens.phases import Alarm
from entropy_lens.watch import Watcher


def watch(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="Run directory (or one log) that is still being written.")
    ],
    metric: Annotated[str, typer.Option(help="Metric to watch (canonical or raw name).")] = "entropy",
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between looks at the logs.")] = 5.0,
    once: Annotated[bool, typer.Option("--once", help="Read what is there now, report, and exit.")] = False,
) -> None:
    """Follow console logs, JSONL metric logs and TensorBoard files; warn at each eruption's onset.

    Stops on Ctrl-C. In Python: entropy_lens.watch.Watcher(run_dir).poll().
    """
    watcher = Watcher(run_dir, metric=metric)
    typer.echo(f"Watching {run_dir} for {metric} eruptions (Ctrl-C to stop).")
    followed: set[Path] = set()
    try:
        while True:
            alarms = watcher.poll()
            for path in sorted(set(watcher.followed) - followed):
                typer.echo(f"Following {path}")
            followed = set(watcher.followed)
            for alarm in alarms:
                typer.echo(describe(alarm, metric))
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    typer.echo(
        f"Stopped: {watcher.fed} step(s) read, last step {watcher.last_step}, "
        f"{len(watcher.alarms)} eruption(s) flagged."
    )


def describe(alarm: Alarm, metric: str) -> str:
    """One warning line for an alarm."""
    rise = (alarm.value - alarm.baseline) / alarm.sigma if alarm.sigma > 0 else float("inf")
    return (
        f"WARNING step {alarm.step}: {metric} eruption started at step {alarm.onset_step} "
        f"({alarm.baseline:.3g} → {alarm.value:.3g}, {rise:+.1f}σ)"
    )
