"""`sumoctl test`: run the detections' test cases offline, through the exact query text each one deploys."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption, load
from sumoctl.report.tests import RENDERERS
from sumoctl.testing import run_tests


class TestFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


@app.command("test")
def test_command(
    detection_ids: list[str] = typer.Argument(None, metavar="[ID]...", help="Detections to test (default: all)."),
    env: str = typer.Option(None, "--env", "-e", help="Environment to render for (default: example, if it exists)."),
    fmt: TestFormat = typer.Option(TestFormat.text, "--format", "-f", help="Output format."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the report to this file (e.g. JUnit XML for CI)."),
    min_cases: bool = typer.Option(
        True, "--min-cases/--no-min-cases",
        help="Require every enabled detection to have a case that fires and one that does not.",
    ),
    project: Path = ProjectOption,
) -> None:
    """Run detection test cases. Exit 0 when all pass, 2 when any fails, 1 on an error."""
    loaded = load(project)
    run = run_tests(loaded, detection_ids or None, env, min_cases=min_cases)
    report = RENDERERS[fmt.value](run)
    if output is not None:
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(report, encoding="utf-8")
        tmp.replace(output)
    typer.echo(report, nl=False)
    raise typer.Exit(run.exit_code)
