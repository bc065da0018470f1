"""`sumoctl plan`: what `apply` would change in one environment's Sumo org."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption
from sumoctl.errors import SumoctlError
from sumoctl.report.plan import plan_json, render_plan
from sumoctl.sync import SyncSession


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


COLOURS = {"+ ": "green", "~ ": "yellow", "- ": "red"}


def echo_plan(text: str) -> None:
    """Print a text plan, coloured like Terraform's when stdout is a terminal (plain otherwise)."""
    for line in text.splitlines():
        colour = COLOURS.get(line[:2])
        typer.secho(line, fg=colour if sys.stdout.isatty() else None)


def write_atomically(path: Path, text: str) -> None:
    """Write the whole file or nothing: a failure leaves no half-written plan behind."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise SumoctlError(f"cannot write the plan: {err.strerror}", str(path)) from None


@app.command()
def plan(
    env: str = typer.Option(..., "--env", "-e", help="Environment to plan (a file in environments/)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Also save the plan as JSON, for `sumoctl apply PLAN`."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output: text, json, or markdown (a PR comment)."),
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                           help="Exit 0 when there are no changes, 2 when there are, 1 on error."),
    root: Path = ProjectOption,
) -> None:
    """Show what `apply` would create, update and delete in the environment's managed folders."""
    with SyncSession.open(root, env) as session:
        planned = session.plan()
    if out is not None:
        write_atomically(out, plan_json(planned.plan))
    if fmt == Format.text:
        echo_plan(render_plan(planned.plan, fmt.value))
    else:
        typer.echo(render_plan(planned.plan, fmt.value), nl=False)
    if detailed_exitcode and planned.plan.has_changes:
        raise typer.Exit(2)


def load_saved_plan(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SumoctlError(f"cannot read the plan: {err.strerror}", str(path)) from None
    except json.JSONDecodeError as err:
        raise SumoctlError(f"not a plan saved by `sumoctl plan --out`: {err.msg}", str(path), err.lineno, err.colno) from None
    except UnicodeDecodeError:
        raise SumoctlError("not a plan saved by `sumoctl plan --out`: not UTF-8 text", str(path)) from None
    if not isinstance(data, dict) or "remote_fingerprint" not in data or "changes_digest" not in data:
        raise SumoctlError("not a plan saved by `sumoctl plan --out`", str(path))
    return data
