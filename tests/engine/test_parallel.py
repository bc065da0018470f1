"""Screening a JSONL file in worker processes (`Runner(jobs=N)`) gives exactly the result of one process: the
same streamed rows in the same order, the same aggregates, the same counts and bad lines (with line numbers)."""

from __future__ import annotations

import json

from sumoctl.engine import Runner, compile_query
from sumoctl.events import Metadata
from sumoctl.project import load_project
from sumoctl.query import parse
from tests.helpers import REPO, SHARED

META = Metadata(source_category="aws/cloudtrail")
STREAM = (
    '_sourceCategory=aws/cloudtrail | json "eventName", "errorCode", "sourceIPAddress" as e, err, ip nodrop '
    '| where e = "ConsoleLogin" or !isBlank(err) | fields e, err, ip'
)


def trail(tmp_path):
    """Every shared real record in one JSONL file, with what the screening must count or report in between:
    blank lines, a broken line, a non-ASCII line, a whole S3 object on one line, a record that is no object."""
    lines = []
    for path in sorted((SHARED / "data" / "cloudtrail").glob("*.jsonl")):
        if not path.name.endswith(".index.jsonl"):
            lines += [line for line in path.read_bytes().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines[:3]]
    extra = [
        b"", b"{not json", json.dumps({**records[0], "userAgent": "caf\u00e9 \u2615"}, ensure_ascii=False).encode(),
        json.dumps({"Records": records[1:3]}).encode(), b"   ", b"[1, 2]",
    ]
    middle = len(lines) // 2
    mixed = lines[:middle] + extra + lines[middle:] + extra[:2]
    path = tmp_path / "trail.jsonl"
    path.write_bytes(b"\n".join(mixed) + b"\n")
    return path


def run(path, jobs):
    project = load_project(REPO)
    ids = [d for d in sorted(project.detections) if project.render(d, "example").enabled]
    queries = [compile_query(parse(project.render(d, "example").query)) for d in ids] + [compile_query(STREAM)]
    streamed: list = []
    bad: list = []
    runner = Runner(queries, META, on_row=lambda i, row: streamed.append((i, row)), on_bad_line=bad.append, jobs=jobs)
    runner.parallel_min_bytes = 0  # the shared records are a few MB: split them anyway
    summary = runner.run_files([path])
    return streamed, runner.results(), (summary.events, summary.skipped, summary.matched), [str(b) for b in bad]


def test_two_workers_give_the_result_of_one_process(tmp_path):
    path = trail(tmp_path)
    one = run(path, 1)
    streamed, results, counts, bad = one
    assert streamed and any(results) and counts[1] == 3 and len(bad) == 3  # the comparison is not vacuous
    assert run(path, 2) == one
    assert run(path, 3) == one
