"""`sumoctl schema`: JSON Schemas of the repository files, from the pydantic models, for editors."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.schemas import SCHEMA_FILES, json_schema


@app.command()
def schema(
    out: Path = typer.Option(Path("schemas"), "--out", "-o", help="Folder to write the schema files into."),
    stdout: bool = typer.Option(False, "--stdout", help="Print both schemas as one JSON object instead of writing files."),
) -> None:
    """Write detection.schema.json and environment.schema.json (JSON Schema 2020-12)."""
    schemas = {name: json_schema(model) for name, model in SCHEMA_FILES.items()}
    if stdout:
        typer.echo(json.dumps(schemas, indent=2))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, document in schemas.items():
        target = out / name
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)  # never leave a half-written schema behind
        typer.echo(f"wrote {target}")
