"""`sumoctl search`: run a query (or a detection's rendered query) as a search job on Sumo Logic."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption, load
from sumoctl.errors import SumoctlError
from sumoctl.sumo import SumoClient, credentials_from_env, parse_time, resolve_endpoint, run_search


class SearchFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


class _Progress:
    """One stderr line per change of state or counts, not one per poll."""

    def __init__(self) -> None:
        self.last: str | None = None

    def __call__(self, status) -> None:
        line = f"{status.state}: {status.messageCount} messages, {status.recordCount} records"
        if line != self.last:
            typer.echo(line, err=True)
            self.last = line


def _progress():
    return _Progress()


@app.command()
def search(
    env: str = typer.Option(..., "--env", "-e", help="Environment whose Sumo org runs the search."),
    from_: str = typer.Option("-24h", "--from", help="Start: now, -24h, -7d, -1d12h, ISO 8601 (UTC if no zone) or epoch ms."),
    to: str = typer.Option("now", "--to", help="End, in the same forms as --from."),
    query: str | None = typer.Option(None, "--query", "-q", help="Query text to run."),
    detection: str | None = typer.Option(None, "--detection", "-d", help="Run this detection's query, rendered for --env."),
    fmt: SearchFormat = typer.Option(SearchFormat.text, "--format", "-f", help="Output: text table, one JSON document, or JSON lines."),
    limit: int = typer.Option(1000, "--limit", min=1, max=100000, help="Most rows to fetch."),
    by_receipt_time: bool = typer.Option(False, "--by-receipt-time", help="Search by receipt time instead of message time."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines on stderr."),
    poll_interval: float = typer.Option(1.0, "--poll-interval", min=0.0, max=20.0, help="Seconds between status polls."),
    project: Path = ProjectOption,
) -> None:
    """Run a query on Sumo Logic's own engine (a backtest over real data) and print what it finds.

    The search job is deleted on every way out, Ctrl-C included."""
    if (query is None) == (detection is None):
        raise SumoctlError("give exactly one of --query or --detection")
    loaded = load(project)
    environment = loaded.environment(env)
    text = query if query is not None else loaded.render(detection, env).query
    now = datetime.now(timezone.utc)
    start, end = parse_time(from_, now, option="--from"), parse_time(to, now, option="--to")
    if end <= start:
        raise SumoctlError(f"--to ({to}) must be after --from ({from_})")
    creds = credentials_from_env(environment.credentials.access_id_env, environment.credentials.access_key_env,
                                 os.environ, context=f"environment {env!r}")
    endpoint = resolve_endpoint(environment.deployment, environment.endpoint, os.environ)
    with SumoClient(endpoint, creds.access_id, creds.access_key) as client:
        try:
            result = run_search(client, text, start, end, time_zone=environment.time_zone,
                                by_receipt_time=by_receipt_time, limit=limit, poll_interval_s=poll_interval,
                                on_status=None if quiet else _progress())
        except KeyboardInterrupt:
            typer.echo("interrupted: the search job was deleted", err=True)
            raise typer.Exit(130) from None
    _print(result, fmt, text, start, end)


def _print(result, fmt: SearchFormat, query: str, start: datetime, end: datetime) -> None:
    if fmt is SearchFormat.jsonl:
        for row in result.rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    elif fmt is SearchFormat.json:
        typer.echo(json.dumps({
            "query": query, "from": start.isoformat(), "to": end.isoformat(), "kind": result.kind,
            "messageCount": result.message_count, "recordCount": result.record_count, "fields": result.fields,
            "rows": result.rows, "truncated": result.truncated, "warnings": result.warnings,
        }, indent=2, ensure_ascii=False))
    else:
        _print_table(result)


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table

    columns = result.fields or sorted({k for row in result.rows for k in row})
    if result.kind == "messages":
        # Raw log lines are what a reader wants from a non-aggregate search; the other fields are noise.
        preferred = [c for c in ("_messagetime", "_sourcecategory", "_raw") if c in columns]
        columns = preferred or columns
    table = Table(show_lines=False, box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*(row.get(c, "") for c in columns))
    if result.rows:
        Console(soft_wrap=False, width=max(80, min(200, Console().width))).print(table)
    shown = f"{len(result.rows)} {result.kind}"
    total = result.record_count if result.kind == "records" else result.message_count
    typer.echo(f"{shown} of {total}" + (" (truncated: raise --limit)" if result.truncated else ""), err=True)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
