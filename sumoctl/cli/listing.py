"""`sumoctl list`: the detections of an environment, as they render there."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption, TextOrJson, echo_json, load

JSON_VERSION = 1


@app.command("list")
def list_detections(
    env: str = typer.Option(..., "--env", "-e", help="Environment to render for."),
    format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="Output format."),
    project: Path = ProjectOption,
) -> None:
    """List the detections with their severity, deployment kind and ATT&CK techniques in one environment."""
    loaded = load(project)
    environment = loaded.environment(env)
    rows = []
    for detection_id in sorted(loaded.detections):
        detection = loaded.detections[detection_id]
        override = environment.overrides.get(detection_id)
        rows.append(
            {
                "id": detection.id,
                "name": detection.name,
                "severity": (override.severity if override and override.severity else detection.severity),
                "kind": detection.deploy.kind,
                "enabled": detection.enabled if not override or override.enabled is None else override.enabled,
                "techniques": detection.techniques,
                "tests": len(detection.tests),
            }
        )
    if format is TextOrJson.json:
        echo_json({"version": JSON_VERSION, "environment": env, "detections": rows})
        return
    table = Table(title=f"Detections in {env}", show_lines=False)
    for column in ("id", "severity", "kind", "enabled", "techniques", "tests"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["severity"], row["kind"], "yes" if row["enabled"] else "no", ", ".join(row["techniques"]), str(row["tests"]))
    # Piped output (CI logs, grep) gets a wide table rather than ids cut to fit 80 columns.
    Console(width=None if sys.stdout.isatty() else 200).print(table)
