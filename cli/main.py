"""The ``entropy-lens`` command: a thin typer layer over the library.

Each sub-command lives in its own module of this package as a plain function; it is registered
here through ``_command``, the single place where a library ``EntropyLensError`` becomes one
``Error: …`` line on stderr and exit status 1 (no traceback for user errors).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import typer

from entropy_lens.cli.analyze import analyze
from entropy_lens.cli.compare import compare
from entropy_lens.cli.export import export
from entropy_lens.cli.inspect import inspect
from entropy_lens.cli.phases import phases
from entropy_lens.cli.recompute import recompute
from entropy_lens.cli.scan import scan
from entropy_lens.cli.watch import watch
from entropy_lens.errors import EntropyLensError

app = typer.Typer(
    name="entropy-lens",
    help="Diagnose cyclical entropy eruption, degenerate behaviours and separation in agent RL runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Diagnose cyclical entropy eruption, degenerate behaviours and separation in agent RL runs.

    Start with `entropy-lens inspect RUN_DIR`, then `entropy-lens analyze RUN_DIR`.
    """


def _command(name: str, function: Callable) -> None:
    """Register ``function`` as sub-command ``name``, translating user errors."""

    @functools.wraps(function)
    def translated(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except EntropyLensError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(1) from None

    app.command(name)(translated)


_command("analyze", analyze)
_command("compare", compare)
_command("export", export)
_command("inspect", inspect)
_command("phases", phases)
_command("recompute", recompute)
_command("scan", scan)
_command("watch", watch)
