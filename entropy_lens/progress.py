"""Progress bars for long work (reading, scanning, recompute, training), on stderr via rich.

Library code reports progress through ``track``; nothing is shown unless the caller turned it on
with ``enabled(True)`` (the CLI does, unless ``--quiet``), so library users and tests stay silent.
Nor is anything shown when stderr is not a terminal (a CI log, a pipe) unless rich is told it is
one (``FORCE_COLOR=1``): a bar redrawn into a log is noise.

>>> with track("Scanning outputs", total=3) as advance:
...     for _ in range(3):
...         advance()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ENABLED: ContextVar[bool] = ContextVar("entropy_lens_progress", default=False)


@contextmanager
def enabled(on: bool = True) -> Iterator[None]:
    """Show (``on``) or hide the progress of everything run inside the block."""
    token = _ENABLED.set(on)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def is_enabled() -> bool:
    """Whether ``track`` draws anything here."""
    return _ENABLED.get()


@contextmanager
def track(description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
    """A progress bar for one piece of work; yields ``advance(n=1)``.

    Args:
        description: what is being done, e.g. "Reading rollouts".
        total: units of work expected (None: a spinner with a count).
    """
    if not is_enabled():
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda n=1: None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
