"""`sumoctl version`: print the version (also `sumoctl --version`)."""

import typer

from sumoctl import __version__
from sumoctl.cli.app import app


@app.command()
def version() -> None:
    """Print the version of sumoctl."""
    typer.echo(f"sumoctl {__version__}")
