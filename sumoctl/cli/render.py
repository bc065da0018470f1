"""`sumoctl render`: print a detection's query exactly as it deploys to one environment."""

from __future__ import annotations

from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption, load


@app.command()
def render(
    detection_id: str = typer.Argument(..., metavar="ID", help="Detection id."),
    env: str = typer.Option(..., "--env", "-e", help="Environment to render for."),
    payloads: bool = typer.Option(False, "--payloads", help="Also print the rendered webhook payloads."),
    project: Path = ProjectOption,
) -> None:
    """Render one detection's query (and optionally its webhook payloads) for an environment."""
    loaded = load(project)
    rendered = loaded.render(detection_id, env)
    typer.echo(rendered.query, nl=False)
    if payloads:
        for notification in rendered.detection.notifications:
            connection = rendered.environment.connection(notification.connection)
            template = notification.payload or (connection.default_payload if connection else None)
            if template:
                typer.echo(f"\n// payload for {notification.connection} ({template})")
                typer.echo(rendered.payload(template))
