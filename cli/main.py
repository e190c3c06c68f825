"""The ``entropy-lens`` command: a thin typer layer over the library.

Each sub-command lives in its own module of this package as a plain function; it is registered
here through ``_command``. Every user error ends in one ``Error: …`` line on stderr and exit
status 1, without a traceback: a library ``EntropyLensError`` (translated in ``_command``) and a
bad option value or usage (click's ``UsageError``, translated in ``Group.main``).

Help is click's plain layout (``rich_markup_mode=None``): it wraps rather than cuts options at
80 columns, keeps ``[default: …]`` texts that rich would read as markup, and shows a flag as
``--json`` without a value placeholder.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable

import typer
from typer.core import TyperGroup

from entropy_lens import __version__
from entropy_lens.cli.analyze import analyze
from entropy_lens.cli.compare import compare
from entropy_lens.cli.export import export
from entropy_lens.cli.inspect import inspect
from entropy_lens.cli.phases import phases
from entropy_lens.cli.recompute import recompute
from entropy_lens.cli.scan import scan
from entropy_lens.cli.seal import seal
from entropy_lens.cli.watch import watch
from entropy_lens.errors import EntropyLensError

try:  # typer >= 0.24 ships its own copy of click
    from typer._click import exceptions as usage
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as usage


class Group(TyperGroup):
    """The top-level group: usage errors become one ``Error:`` line and exit status 1."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except usage.NoArgsIsHelpError as shown:
            typer.echo(shown.ctx.get_help())
            code = 0
        except usage.ClickException as error:
            typer.echo(f"Error: {one_line(error.format_message())}", err=True)
            code = 1
        except typer.Abort:
            typer.echo("Error: aborted", err=True)
            code = 1
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="entropy-lens",
    cls=Group,
    help="Diagnose cyclical entropy eruption, degenerate behaviours and separation in agent RL runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(shown: bool) -> None:
    if shown:
        typer.echo(f"entropy-lens {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Diagnose cyclical entropy eruption, degenerate behaviours and separation in agent RL runs.

    Start with `entropy-lens inspect RUN_DIR`, then `entropy-lens analyze RUN_DIR`.
    """


def one_line(message: str) -> str:
    """``message`` on one line (a parser's multi-line reason included)."""
    return re.sub(r"\s*\n\s*", " ", message.strip())


def _command(name: str, function: Callable) -> None:
    """Register ``function`` as sub-command ``name``, translating user errors."""

    @functools.wraps(function)
    def translated(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except EntropyLensError as error:
            typer.echo(f"Error: {one_line(str(error))}", err=True)
            raise typer.Exit(1) from None

    app.command(name)(translated)


_command("analyze", analyze)
_command("compare", compare)
_command("export", export)
_command("inspect", inspect)
_command("phases", phases)
_command("recompute", recompute)
_command("scan", scan)
_command("seal", seal)
_command("watch", watch)
