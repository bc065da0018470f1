"""`sumoctl eval`: the detection pack (or chosen detections, or an ad hoc query) over event files, one pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sumoctl.engine import GeoProvider, Runner, RunSummary, Semantics, StrictModeError, ThreatProvider, compile_query
from sumoctl.engine.options import DEFAULT_SEMANTICS
from sumoctl.engine.tables import LookupTables, NoLookupTables
from sumoctl.errors import SumoctlError
from sumoctl.events import BadLine, Metadata
from sumoctl.project import Project
from sumoctl.query import QuerySyntaxError, parse
from sumoctl.testing.cases import repository_tables
from sumoctl.testing.cases import source_category as env_source_category

ADHOC = "adhoc"


@dataclass
class PackResult:
    results: list[tuple[str, list[dict[str, Any]]]]  # (detection id, rows) in pack order
    summary: RunSummary


def _parse(text: str, label: str, locate=None):
    try:
        return parse(text)
    except QuerySyntaxError as err:
        line, column = getattr(err, "line", None), getattr(err, "column", None)
        if locate is not None and line:
            path, tline, tcol = locate(line, column or 1)
            raise SumoctlError(f"{label}: {getattr(err, 'message', err)}", path, tline, tcol) from None
        raise SumoctlError(f"{label}: query does not parse: {err}") from None


def evaluate_pack(
    project: Project | None,
    paths: Iterable[str | Path],
    env: str | None = None,
    detection_ids: list[str] | None = None,
    query: str | None = None,
    source_category: str | None = None,
    strict: bool = False,
    on_bad_line: Callable[[BadLine], None] | None = None,
    progress: Callable[[int], None] | None = None,
    geo: GeoProvider | None = None,
    semantics: Semantics = DEFAULT_SEMANTICS,
    on_row: Callable[[str, dict[str, Any]], None] | None = None,
    threat: ThreatProvider | None = None,
    jobs: int = 1,
    tables: LookupTables | None = None,
    sized_rows: bool = True,
) -> PackResult:
    """Compile every chosen detection (rendered for `env`) or the ad hoc `query`, then run them all over the
    events in one pass. Disabled detections are left out unless named.

    With `on_row(detection_id, row)`, the rows of detections without an aggregate, sort, top or limit go there
    as they are produced (and are not kept in `results`), so memory stays flat however large the input.
    `jobs` > 1 runs the detections over large plain JSONL files in that many worker processes (same results; see Runner).
    Lookup tables come from the repository's `lookups/` folder (none without a repository) unless `tables` is given.
    `sized_rows` False lets streamed rows go without `_size`, for a caller that never reads it (Runner)."""
    if tables is None:
        tables = repository_tables(project) if project is not None else NoLookupTables()
    compiled, ids = [], []
    if query is not None:
        compiled.append(compile_query(_parse(query, "--query"), semantics, geo, threat, tables))
        ids.append(ADHOC)
    if project is not None and (query is None or detection_ids):
        chosen = detection_ids or sorted(project.detections)
        for detection_id in chosen:
            rendered = project.render(detection_id, env)
            if not detection_ids and not rendered.enabled:
                continue
            ast_query = _parse(rendered.query, f"detection {detection_id}", rendered.locate)
            try:
                compiled.append(compile_query(ast_query, semantics, geo, threat, tables))
            except SumoctlError as err:
                if err.path:  # a place in another file (a lookup table's CSV copy)
                    raise SumoctlError(f"detection {detection_id}: {err.message}", err.path, err.line, err.column) from None
                if err.line:
                    path, line, column = rendered.locate(err.line, err.column or 1)
                    raise SumoctlError(f"detection {detection_id}: {err.message}", path, line, column) from None
                raise SumoctlError(f"detection {detection_id}: {err.message}") from None
            ids.append(detection_id)
    category = source_category or (env_source_category(project, env) if project is not None and env else "aws/cloudtrail")
    sink = (lambda index, row: on_row(ids[index], row)) if on_row is not None else None
    runner = Runner(
        compiled, Metadata(source_category=category), semantics, strict=strict, on_bad_line=on_bad_line,
        progress=progress, on_row=sink, jobs=jobs, sized_rows=sized_rows,
    )
    try:
        summary = runner.run_files(paths)
    except StrictModeError as err:
        raise SumoctlError(f"bad event (--strict): {err.bad.reason}", err.bad.origin, err.bad.line) from None
    return PackResult(list(zip(ids, runner.results())), summary)
