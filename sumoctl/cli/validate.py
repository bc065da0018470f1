"""`sumoctl validate`: load, render, parse and lint every detection for every environment."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption, echo_json
from sumoctl.project.validate import validate_repository
from sumoctl.report.sarif import validation_sarif

JSON_VERSION = 1


class ValidateFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


@app.command()
def validate(
    env: list[str] = typer.Option([], "--env", "-e", help="Environment(s) to validate; all when omitted."),
    format: ValidateFormat = typer.Option(ValidateFormat.text, "--format", "-f", help="text, json or sarif (SARIF 2.1.0 for code scanning)."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) on lint findings in enabled detections too."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the json/sarif report to this file."),
    project: Path = ProjectOption,
) -> None:
    """Validate the repository: schemas, templates, parameters, connections, query syntax and lint."""
    report = validate_repository(project, env or None)
    failed = report.failed(strict)
    if format is ValidateFormat.text:
        for problem in report.errors:
            typer.echo(str(problem), err=True)
        for finding in report.findings:
            typer.echo(str(finding), err=True)
        verdict = "invalid" if failed else "valid"
        typer.echo(
            f"{verdict}: {report.detections} detections x {len(report.environments)} environments "
            f"({', '.join(report.environments) or 'none loaded'}), {len(report.errors)} errors, {len(report.findings)} lint findings"
        )
    else:
        if format is ValidateFormat.json:
            document = {
                "version": JSON_VERSION,
                "valid": not failed,
                "environments": report.environments,
                "detections": report.detections,
                "errors": [p.as_dict() for p in report.errors],
                "findings": [p.as_dict() for p in report.findings],
            }
        else:
            document = validation_sarif(report)
        if output:
            tmp = output.with_suffix(output.suffix + ".tmp")
            tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            tmp.replace(output)
        else:
            echo_json(document)
    if failed:
        raise typer.Exit(1)
