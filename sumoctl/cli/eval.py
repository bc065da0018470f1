"""`sumoctl eval`: run the detection pack (or chosen detections, or an ad hoc query) over CloudTrail files."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path

import orjson
import typer

from sumoctl.cli.app import app
from sumoctl.cli.common import ProjectOption, load
from sumoctl.engine import Semantics
from sumoctl.errors import SumoctlError
from sumoctl.events import iter_files
from sumoctl.events.reader import content_size
from sumoctl.report.rows import NEEDS_SIZE, printable
from sumoctl.testing import default_env, evaluate_pack
from sumoctl.testing.pack import ADHOC


class EvalFormat(str, Enum):
    text = "text"
    jsonl = "jsonl"
    json = "json"



@app.command("eval")
def eval_command(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="CloudTrail files or folders (JSONL, {\"Records\": [...]}, arrays, lookup-events output, .gz)."),
    env: str = typer.Option(None, "--env", "-e", help="Environment to render detections for (default: example, if it exists)."),
    detection: list[str] = typer.Option(None, "--detection", "-d", help="Run only this detection (repeatable)."),
    query: str = typer.Option(None, "--query", "-q", help="Run this query text instead of (or with --detection, besides) the pack."),
    fmt: EvalFormat = typer.Option(EvalFormat.text, "--format", "-f", help="text, jsonl (one object per row) or json."),
    source_category: str = typer.Option(None, "--source-category", help="_sourceCategory of the events (default: the environment's source_category)."),
    timezone: str = typer.Option("UTC", "--timezone", help="Time zone for timeslice and formatDate."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad line instead of skipping it."),
    progress: bool = typer.Option(None, "--progress/--no-progress", help="Progress bar (default: on a terminal, for inputs over 50 MB)."),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", "-j", min=1, help="Worker processes that run the detections over inputs of 16 MB or more (default: the machine's cores); the rows are those of one process."),
    project: Path = ProjectOption,
) -> None:
    """Run detections over event files and print the result rows, then a summary of events read, skipped and
    matched (on stderr). Exit 0 whether or not anything matched; 1 on an error."""
    loaded = load(project) if (query is None or detection) else _maybe_load(project)
    env_name = env or (default_env(loaded) if loaded is not None else None)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except Exception:
        raise SumoctlError(f"--timezone: unknown time zone {timezone!r}") from None

    bad_shown = [0]

    def on_bad_line(bad) -> None:
        if bad_shown[0] < 20:
            typer.echo(f"{bad}: skipped", err=True)
        bad_shown[0] += 1

    show_progress = progress if progress is not None else (sys.stderr.isatty() and _total_size(paths) > 50_000_000)
    bar = None
    if show_progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("events", total=None)
        tick = lambda n: bar.update(task, completed=n)  # noqa: E731
    else:
        tick = None
    counts: dict[str, int] = {}

    def label(detection_id: str) -> str:
        return "query" if detection_id == ADHOC else detection_id

    def emit(detection_id: str, row: dict) -> None:
        """Print one row the moment it exists (jsonl and text), so that no row is held in memory. Rows go through
        stdout's buffer (whatever stdout is now: a progress bar redirects it); echoing flushed each row, a write
        call per row, which cost more than running the pack where most events make a row."""
        counts[detection_id] = counts.get(detection_id, 0) + 1
        write = sys.stdout.write
        if fmt is EvalFormat.jsonl:
            write(orjson.dumps({"detection": detection_id, **printable(row)}).decode() + "\n")
        else:
            write(f"{label(detection_id)}: " + "  ".join(f"{k}={_one_line(v)}" for k, v in printable(row).items() if v is not None) + "\n")

    try:
        result = evaluate_pack(
            loaded, paths, env=env_name, detection_ids=detection or None, query=query,
            source_category=source_category, strict=strict, on_bad_line=on_bad_line, progress=tick,
            semantics=Semantics(timezone=timezone), jobs=jobs, sized_rows=NEEDS_SIZE,
            # The json format is one document grouped by detection: it keeps its rows (use jsonl for big inputs).
            on_row=None if fmt is EvalFormat.json else emit,
        )
    finally:
        if bar is not None:
            bar.stop()

    if fmt is EvalFormat.json:
        payload = {
            "results": [{"detection": d, "rows": [printable(r) for r in rows]} for d, rows in result.results],
            "summary": _summary(result.summary),
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        # Rows of aggregating (or sorted, limited) detections exist only now that the input is read.
        for detection_id, rows in result.results:
            for row in rows:
                emit(detection_id, row)
    sys.stdout.flush()  # here, where a reader gone away is still this command's to handle (exit 141)
    s = result.summary
    typer.echo(f"events read: {s.events}, skipped: {s.skipped}, matched: {s.matched}", err=True)
    if fmt is EvalFormat.text:
        for detection_id, _ in result.results:
            typer.echo(f"{label(detection_id)}: {counts.get(detection_id, 0)} row(s)", err=True)


def _one_line(value: str) -> str:
    """Text output keeps one row per line: a multi-valued field (`values()` joins with a newline) is shown
    joined with `, `. JSON and JSONL keep the exact value."""
    return value.replace("\r\n", "\n").replace("\n", ", ") if isinstance(value, str) else value


def _summary(s) -> dict:
    return {"events": s.events, "skipped": s.skipped, "matched": s.matched}


def _maybe_load(project: Path):
    try:
        return load(project)
    except SumoctlError:
        return None  # an ad hoc query needs no repository


def _total_size(paths) -> int:
    try:
        return sum(content_size(p) for p in iter_files(paths))
    except (OSError, SumoctlError):
        return 0
