"""`sumoctl apply`: make one environment's Sumo org match the repository."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption
from sumoctl.cli.plan import echo_plan, load_saved_plan
from sumoctl.errors import SumoctlError
from sumoctl.report.plan import SYMBOL, plan_text
from sumoctl.sync import SyncSession


def _refuse_a_stale_plan(saved_plan: dict, plan, env: str, saved: Path) -> None:
    """A saved plan applies only to the environment, remote objects and changes it was made from."""
    if saved_plan.get("environment") != env:
        raise SumoctlError(f"the plan is for environment {saved_plan.get('environment')!r}, not {env!r}", str(saved))
    if saved_plan["remote_fingerprint"] != plan.remote_fingerprint:
        raise SumoctlError("the remote objects changed since this plan was made: run `sumoctl plan` again",
                           str(saved))
    if saved_plan["changes_digest"] != plan.changes_digest:
        raise SumoctlError("the repository or its secrets changed since this plan was made: run `sumoctl plan` "
                           "again", str(saved))


@app.command()
def apply(
    saved: Path | None = typer.Argument(None, metavar="[PLAN]", help="A plan saved by `sumoctl plan --out`."),
    env: str = typer.Option(..., "--env", "-e", help="Environment to apply (a file in environments/)."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Apply without asking for confirmation."),
    root: Path = ProjectOption,
) -> None:
    """Create, update and delete managed monitors, scheduled searches, connections and folders.

    With a saved PLAN, apply refuses when the remote objects the plan read, or the changes it listed, are no
    longer what they were; a saved plan is its own approval.
    """
    saved_plan = load_saved_plan(saved) if saved is not None else None
    with SyncSession.open(root, env) as session:
        planned = session.plan()
        plan = planned.plan
        if saved_plan is not None:
            _refuse_a_stale_plan(saved_plan, plan, env, saved)
        if not plan.has_changes:
            typer.echo(f"No changes in environment {env!r}. {plan.summary}.")
            return
        if saved_plan is None and not auto_approve:
            echo_plan(plan_text(plan))
            if not sys.stdin.isatty():
                raise SumoctlError("not applying without confirmation: pass --auto-approve, or apply a saved plan")
            if not typer.confirm("Apply these changes?", default=False):
                typer.echo("Nothing applied.")
                raise typer.Exit(1)
        console = Console(stderr=True)
        done_lines: list[str] = []
        with Progress(TextColumn("applying"), BarColumn(), MofNCompleteColumn(), console=console,
                      transient=True, disable=not console.is_terminal) as progress:
            task = progress.add_task("apply", total=len(plan.changes))

            def step(change) -> None:
                done_lines.append(f"{SYMBOL[change.action]} {change.action.value}d {change.label} {change.name!r}")
                progress.advance(task)

            try:
                result = session.apply(planned, progress=step)
            finally:
                for line in done_lines:
                    typer.echo(line)
    typer.echo(f"Apply complete for environment {env!r}: {result.summary}.")
