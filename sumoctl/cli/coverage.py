"""`sumoctl coverage`: the ATT&CK techniques and tactics the enabled detections cover, or a Navigator layer."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.coverage import Coverage, compute_coverage, navigator_layer, validate_layer
from sumoctl.errors import SumoctlError
from sumoctl.project import load_project


class CoverageFormat(str, Enum):
    text = "text"
    json = "json"
    navigator = "navigator"


def _text(coverage: Coverage) -> str:
    where = f" in environment {coverage.environment}" if coverage.environment else ""
    covered = [t for t in coverage.tactics.values() if t.detections]
    lines = [
        f"{len(coverage.enabled)} enabled detections{where} cover {len(coverage.techniques)} techniques "
        f"in {len(covered)} of {len(coverage.tactics)} ATT&CK tactics.",
        "",
    ]
    for tactic in coverage.tactics.values():
        if not tactic.detections:
            continue
        lines.append(f"{tactic.id} {tactic.name}: {len(tactic.techniques)} techniques, {len(tactic.detections)} detections")
        for technique_id in tactic.techniques:
            technique = coverage.techniques[technique_id]
            lines.append(f"  {technique_id:<10} {technique.name} ({len(technique.detections)}: {', '.join(technique.detections)})")
    uncovered = coverage.uncovered_tactics
    if uncovered:
        lines += ["", "Not covered: " + ", ".join(f"{t.id} {t.name}" for t in uncovered)]
    if coverage.unknown_techniques:
        lines += ["", "Technique ids sumoctl does not know (check the tags): " + ", ".join(coverage.unknown_techniques)]
    if coverage.disabled:
        lines += ["", "Disabled, not counted: " + ", ".join(coverage.disabled)]
    return "\n".join(lines)


@app.command()
def coverage(
    env: str | None = typer.Option(None, "--env", "-e", help="Count what is enabled in this environment (overrides applied)."),
    format: CoverageFormat = typer.Option(CoverageFormat.text, "--format", "-f", help="text, json, or navigator (an ATT&CK Navigator layer)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output."),
    project: Path = typer.Option(Path("."), "--project", "-C", envvar="SUMOCTL_PROJECT", help="Root of the detections repository."),
) -> None:
    """Which ATT&CK techniques and tactics the enabled detections cover."""
    loaded = load_project(project)
    if env is not None:
        loaded.environment(env)  # a clear error for an unknown environment
    result = compute_coverage(loaded, env)
    if format is CoverageFormat.text:
        text = _text(result)
    elif format is CoverageFormat.json:
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    else:
        layer = navigator_layer(result)
        problems = validate_layer(layer)
        if problems:  # a bug in sumoctl, not in the user's files: refuse to write a layer the Navigator would reject
            raise SumoctlError("generated Navigator layer is invalid: " + "; ".join(problems))
        text = json.dumps(layer, indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as err:
        raise SumoctlError(f"cannot write: {err.strerror}", str(output)) from None
    typer.echo(f"wrote {output}", err=True)
