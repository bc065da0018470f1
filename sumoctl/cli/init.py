"""`sumoctl init`: scaffold a new detections repository — the first command a new team runs."""

from __future__ import annotations

from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.scaffold import CiSystem, init_repository


@app.command()
def init(
    path: Path = typer.Argument(..., metavar="PATH", help="Folder to create (absent or empty)."),
    ci: CiSystem = typer.Option(
        CiSystem.github, "--ci", help="CI files to include: github (.github/workflows/), gitlab (.gitlab-ci.yml) or none."
    ),
) -> None:
    """Create a detections repository: the detection pack, an example environment, JSON Schemas, CI and pre-commit."""
    scaffold = init_repository(path, ci)
    detections = sum(1 for f in scaffold.files if f.startswith("monitors/"))
    typer.echo(f"created {scaffold.root} with {detections} detections ({len(scaffold.files)} files)")
    typer.echo("next:")
    typer.echo(f"  cd {scaffold.root}")
    typer.echo("  git init && pip install -r requirements.txt")
    typer.echo("  sumoctl validate && sumoctl test")
