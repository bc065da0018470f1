"""`sumoctl docs`: write the Markdown detection catalogue (docs/detections.md), or check that it is current."""

from __future__ import annotations

from pathlib import Path

import typer

from sumoctl.catalog import render_catalog
from sumoctl.cli.app import app
from sumoctl.errors import SumoctlError
from sumoctl.project import load_project


@app.command()
def docs(
    output: Path = typer.Option(Path("docs/detections.md"), "--output", "-o", help="Where to write the catalogue (relative to the project)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 2 when the catalogue is missing or out of date."),
    project: Path = typer.Option(Path("."), "--project", "-C", envvar="SUMOCTL_PROJECT", help="Root of the detections repository."),
) -> None:
    """Write the detection catalogue: id, name, severity, ATT&CK techniques, what fires it, triage tips."""
    text = render_catalog(load_project(project))
    target = output if output.is_absolute() else project / output
    if check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            typer.echo(f"{target}: out of date; run `sumoctl docs`", err=True)
            raise typer.Exit(2)
        typer.echo(f"{target} is up to date")
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)  # never leave a half-written catalogue behind
    except OSError as err:
        raise SumoctlError(f"cannot write: {err.strerror}", str(target)) from None
    typer.echo(f"wrote {target}")
