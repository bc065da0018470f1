"""The typer application. Each command lives in its own module and registers itself on `app`."""

from __future__ import annotations

import os
import sys

import typer

from sumoctl import __version__
from sumoctl.errors import SumoctlError

class _Group(typer.core.TyperGroup):
    """Turns a SumoctlError from any command into one located line on stderr and exit code 1."""

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except SumoctlError as err:
            typer.echo(str(err) if err.path else f"error: {err}", err=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            # The reader of the output went away (`sumoctl eval ... | head`): stop quietly, as git does, with
            # 128 + SIGPIPE. stdout points at /dev/null first, so that flushing it at exit cannot fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None


app = typer.Typer(
    name="sumoctl",
    cls=_Group,
    help="Detection-as-code for Sumo Logic: render, lint, test offline and sync CloudTrail detections.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sumoctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Detection-as-code for Sumo Logic."""


def main() -> None:
    """The `sumoctl` console script. Command modules register themselves on `app` when imported: only the one
    this run needs is (sumoctl.cli.commands)."""
    from sumoctl.cli.commands import load

    load(sys.argv[1:])
    app()
