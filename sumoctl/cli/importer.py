"""`sumoctl import`: bring monitors and scheduled searches made in the Sumo UI into the repository."""

from __future__ import annotations

from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption
from sumoctl.sync import SyncSession
from sumoctl.sync.importer import import_folder


@app.command("import")
def import_(
    env: str = typer.Option(..., "--env", "-e", help="Environment whose managed folders adopt the objects."),
    from_folder: str = typer.Option(..., "--from-folder", help="A monitor folder (/Monitor/...), or a content folder "
                                    "(/Library/... or a folder name under your personal folder) of scheduled searches."),
    technique: list[str] = typer.Option([], "--technique", "-t", help="MITRE ATT&CK technique id for objects that "
                                        "name none (repeatable); every detection needs one."),
    root: Path = ProjectOption,
) -> None:
    """Write a detection (YAML, query template, payload templates) for each monitor or scheduled search in the
    folder, then mark the objects as managed (moving them into the managed folder) so the next apply updates them
    in place."""
    with SyncSession.open(root, env) as session:
        result = import_folder(session.client, session.project, env, from_folder, session.secrets, technique)
    for item in result.imported:
        typer.echo(f"+ imported {item.kind.value.replace('_', ' ')} {item.name!r} ({item.remote_id}) as {item.detection_id}")
        for path in item.files:
            typer.echo(f"    {path}")
    for name in result.adopted_connections:
        typer.echo(f"~ adopted connection {name!r}")
    for name in result.moved:
        typer.echo(f"~ moved {name!r} into the managed folder")
    for why in result.skipped:
        typer.echo(f"! skipped {why}")
    if result.imported:
        typer.echo(f"Imported {len(result.imported)}. Review the files, then run `sumoctl plan --env {env}`.")
    else:
        typer.echo("Nothing imported.")
