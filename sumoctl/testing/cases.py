"""Detection test cases: events in, expected rows out, through the very query text that deploys."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sumoctl.engine import GeoProvider, Runner, Semantics, ThreatProvider, compile_query, display
from sumoctl.engine.tables import LOOKUPS_DIR, CsvLookupTables, LookupTables
from sumoctl.engine.options import DEFAULT_SEMANTICS
from sumoctl.errors import SumoctlError
from sumoctl.events import BadLine, Metadata, RawEvent, read_events
from sumoctl.models import EventSource, Expectation, TestCase
from sumoctl.project import Project
from sumoctl.project.loader import EVENTS_DIR
from sumoctl.query import QuerySyntaxError, parse

PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass
class CaseResult:
    """One test case (or one `min-cases` rule check) of one detection."""

    detection: str
    case: str
    env: str
    status: str  # pass | fail | error
    messages: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    seconds: float = 0.0
    location: str | None = None  # monitors/x.yaml:12

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass
class TestRun:
    results: list[CaseResult]

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if r.status == FAIL]

    @property
    def errors(self) -> list[CaseResult]:
        return [r for r in self.results if r.status == ERROR]

    @property
    def exit_code(self) -> int:
        """0 when every case passes, 1 when any case could not run, 2 when any case failed."""
        if self.errors:
            return 1
        return 2 if self.failed else 0


def default_env(project: Project) -> str:
    """`example` when the repository has it, else the first environment by name."""
    if "example" in project.environments:
        return "example"
    if not project.environments:
        raise SumoctlError("the repository has no environments/ to render detections for")
    return sorted(project.environments)[0]


def source_category(project: Project, env: str) -> str:
    """The environment's CloudTrail source category (its `source_category` parameter)."""
    value = project.environment(env).params.get("source_category")
    return str(value) if value is not None else "aws/cloudtrail"


def case_events(project: Project, detection_id: str, index: int, case: TestCase) -> list[RawEvent]:
    """The case's events in order: inline records, then files under tests/events/ (optionally some lines)."""
    source = project.source("detection", detection_id)
    events: list[RawEvent] = []
    for j, item in enumerate(case.events):
        if item.record is not None:
            events.append(RawEvent(f"{source.display}#tests[{index}].events[{j}]", 1, record=item.record))
            continue
        events.extend(_file_events(project, detection_id, index, j, item))
    return events


def _file_events(project: Project, detection_id: str, index: int, j: int, item: EventSource) -> list[RawEvent]:
    source = project.source("detection", detection_id)
    where = ("tests", index, "events", j, "file")
    events_dir = (project.root / EVENTS_DIR).resolve()
    path = (events_dir / item.file).resolve()
    if events_dir not in path.parents:
        raise source.error(f"event file {item.file!r} must be under {EVENTS_DIR}/", where)
    if not path.is_file():
        raise source.error(f"event file {EVENTS_DIR}/{item.file} does not exist", where)
    bad: list[BadLine] = []
    found = list(read_events([path], bad.append))
    if bad:
        raise source.error(f"event file {EVENTS_DIR}/{item.file}: {bad[0]}", where)
    for event in found:
        event.origin = f"{EVENTS_DIR}/{item.file}"
    if item.lines is None:
        return found
    by_line = {e.line: e for e in found}
    missing = [n for n in item.lines if n not in by_line]
    if missing:
        raise source.error(f"event file {EVENTS_DIR}/{item.file} has no record on line(s) {missing}", ("tests", index, "events", j, "lines"))
    return [by_line[n] for n in item.lines]


def _expected_text(value: Any) -> str | None:
    """An expected cell as Sumo would print it (YAML may give 3 or true for "3" or "true")."""
    if value is None:
        return None
    return display(value)


def _row_matches(expected: dict[str, Any], row: dict[str, Any]) -> bool:
    lowered = {k.casefold(): v for k, v in row.items()}
    for name, want in expected.items():
        key = name.casefold()
        if key not in lowered:
            return False
        got = lowered[key]
        got_text = "" if got is None else display(got)
        want_text = _expected_text(want)
        if want_text is None:
            if got is not None and got_text != "":
                return False
        elif got_text != want_text:
            return False
    return True


def check_expectation(expect: Expectation, rows: list[dict[str, Any]]) -> list[str]:
    """What is wrong with `rows` under `expect`; an empty list when it holds."""
    problems = []
    if expect.fires is not None and (len(rows) > 0) != expect.fires:
        problems.append(
            f"expected the detection to fire, but it returned no rows" if expect.fires
            else f"expected the detection not to fire, but it returned {len(rows)} row(s)"
        )
    if expect.count is not None and len(rows) != expect.count:
        problems.append(f"expected {expect.count} row(s), got {len(rows)}")
    for wanted in expect.rows or []:
        if not any(_row_matches(wanted, row) for row in rows):
            shown = ", ".join(f"{k}={_expected_text(v)!r}" for k, v in wanted.items())
            problems.append(f"no result row has {shown}")
    return problems


def fires(case: TestCase) -> bool | None:
    """Whether a case expects the detection to fire (True), not to fire (False), or does not say (None)."""
    e = case.expect
    if e.fires is not None:
        return e.fires
    if e.count is not None:
        return e.count > 0
    if e.rows:
        return True
    return None


def repository_tables(project: Project) -> LookupTables:
    """The repository's lookup tables: CSV copies under `lookups/`, at each table's Library path."""
    return CsvLookupTables(project.root / LOOKUPS_DIR, LOOKUPS_DIR)


def run_case(
    project: Project, detection_id: str, index: int, case: TestCase, env: str,
    geo: GeoProvider | None = None, semantics: Semantics = DEFAULT_SEMANTICS, threat: ThreatProvider | None = None,
    tables: LookupTables | None = None,
) -> CaseResult:
    source = project.source("detection", detection_id)
    env_name = case.env or env
    line, _ = source.document.position(("tests", index))
    result = CaseResult(detection_id, case.name, env_name, PASS, location=f"{source.display}:{line}" if line else source.display)
    started = time.perf_counter()
    rendered = None
    try:
        rendered = project.render(detection_id, env_name, case.params)
        query = parse(rendered.query)
        try:
            if tables is None:
                tables = repository_tables(project)
            compiled = compile_query(query, semantics, geo, threat, tables)
        except SumoctlError as err:
            raise _in_template(err, rendered) from None
        events = case_events(project, detection_id, index, case)
        metadata = Metadata(source_category=source_category(project, env_name))
        runner = Runner([compiled], metadata, semantics)
        bad: list[BadLine] = []
        runner.on_bad_line = bad.append
        runner.feed(events)
        if bad:
            raise SumoctlError(f"bad event: {bad[0]}")
        result.rows = runner.results()[0]
        result.events = runner.summary.events
        problems = check_expectation(case.expect, result.rows)
        if problems:
            result.status = FAIL
            result.messages = problems
    except QuerySyntaxError as err:
        result.status = ERROR
        located = _in_template(SumoctlError(f"query does not parse: {err.message}", None, err.line, err.column), rendered)
        result.messages = [str(located)]
    except SumoctlError as err:
        result.status = ERROR
        result.messages = [str(err)]
    result.seconds = time.perf_counter() - started
    return result


def _in_template(err: SumoctlError, rendered) -> SumoctlError:
    """A position in the rendered query, moved to the template file and line that produced it."""
    if rendered is None or not err.line or err.path:
        return err
    path, line, column = rendered.locate(err.line, err.column or 1)
    return SumoctlError(err.message, path, line, column)


def run_tests(
    project: Project,
    detection_ids: list[str] | None = None,
    env: str | None = None,
    min_cases: bool = True,
    geo: GeoProvider | None = None,
    semantics: Semantics = DEFAULT_SEMANTICS,
    threat: ThreatProvider | None = None,
    tables: LookupTables | None = None,
) -> TestRun:
    """Run the test cases of the chosen detections (all by default), each rendered for `env` unless the case
    names its own. With `min_cases`, every detection enabled in `env` must have a case that fires and one that
    does not; a missing one is a failure of its own. Lookup tables come from the repository's `lookups/` folder
    unless `tables` is given; each CSV is read once per run."""
    if tables is None:
        tables = repository_tables(project)
    env = env or default_env(project)
    project.environment(env)  # unknown environment: a clear error before anything runs
    ids = detection_ids or sorted(project.detections)
    results: list[CaseResult] = []
    for detection_id in ids:
        detection = project.detection(detection_id)
        for index, case in enumerate(detection.tests):
            results.append(run_case(project, detection_id, index, case, env, geo, semantics, threat, tables))
        if min_cases:
            results.extend(_min_cases(project, detection_id, env))
    return TestRun(results)


def _min_cases(project: Project, detection_id: str, env: str) -> list[CaseResult]:
    detection = project.detection(detection_id)
    override = project.environment(env).overrides.get(detection_id)
    enabled = detection.enabled if not override or override.enabled is None else override.enabled
    if not enabled:
        return []
    kinds = {fires(case) for case in detection.tests}
    source = project.source("detection", detection_id)
    line, _ = source.document.position(("tests",))
    missing = []
    if True not in kinds:
        missing.append("a case where it fires")
    if False not in kinds:
        missing.append("a case where it does not fire")
    if not missing:
        return []
    return [CaseResult(
        detection_id, "min-cases", env, FAIL,
        [f"an enabled detection needs {' and '.join(missing)} (the min-cases rule; --no-min-cases turns it off)"],
        location=f"{source.display}:{line}" if line else source.display,
    )]
