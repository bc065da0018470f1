"""`sumoctl drift`: for a scheduled job, fail when Sumo was changed by hand."""

from __future__ import annotations

from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption
from sumoctl.cli.plan import Format
from sumoctl.report.plan import render_drift
from sumoctl.sync import SyncSession


@app.command()
def drift(
    env: str = typer.Option(..., "--env", "-e", help="Environment to check (a file in environments/)."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output: text, json, or markdown."),
    root: Path = ProjectOption,
) -> None:
    """Exit 2 when a managed object was edited or deleted by hand, or an unmarked one appeared in a managed
    folder; exit 0 when clean. Changes pending in the repository are listed apart and are not drift."""
    with SyncSession.open(root, env) as session:
        report = session.drift()
    typer.echo(render_drift(report, fmt.value), nl=False)
    if report.drifted:
        raise typer.Exit(2)
