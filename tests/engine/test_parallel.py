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


def s3_folder(tmp_path):
    """A folder as `aws s3 sync` leaves it, and then some: gzipped Records documents (one with an entry that is no
    record), a JSONL file of Records lines, a pretty-printed single record, a broken document, and the mixed
    JSONL trail large enough to be cut into ranges."""
    import gzip

    from tests.engine.test_kept_paths import write_as_s3_objects

    records = [line for line in trail(tmp_path).read_bytes().splitlines() if line.startswith(b'{"eventVersion"')]
    day = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / "2024" / "05" / "06"
    day.mkdir(parents=True)
    for n in range(0, len(records), 60):
        with gzip.open(day / f"123456789012_CloudTrail_us-east-1_20240506T{n:04d}Z_x.json.gz", "wb") as out:
            out.write(b'{"Records":[' + b",".join(records[n:n + 60]) + b"]}")
    others = tmp_path / "AWSLogs" / "others"
    others.mkdir()
    write_as_s3_objects(records, others)
    (others / "d-single.json").write_text(json.dumps(json.loads(records[0]), indent=2))
    (others / "e-broken.json").write_text('{\n  "Records": [\n')
    (trail(tmp_path)).rename(others / "f-trail.jsonl")
    (others / "g-after.jsonl").write_bytes(records[0] + b"\n{broken\n")  # numbered from 1 again after the ranges
    return tmp_path / "AWSLogs"


def test_workers_over_a_folder_of_s3_objects_give_the_result_of_one_process(tmp_path):
    """Whole files (S3 objects, gzipped or not) go to workers as pieces of their own, beside the ranges of a large
    JSONL file: the result is still that of one process, bad records at their file and place."""
    folder = s3_folder(tmp_path)
    one = run(folder, 1)
    streamed, results, counts, bad = one
    assert streamed and any(results) and len({b.split(":")[0] for b in bad}) == 6  # bad records in six files
    assert bad[-1].startswith(str(folder / "others" / "g-after.jsonl:2: not valid JSON"))
    assert run(folder, 2) == one
    assert run(folder, 3) == one


EVERY_AGGREGATE = (
    '_sourceCategory=aws/cloudtrail | json "eventName", "sourceIPAddress", "n", "userIdentity.type" as e, ip, n, t nodrop '
    '| count, count(ip) as with_ip, count_distinct(ip) as ips, sum(n) as total, avg(n) as mean, min(n) as low, '
    'max(n) as high, first(ip) as newest, last(ip) as oldest, values(ip) as listed by e, t'
)
SORTED_ROWS = '_sourceCategory=aws/cloudtrail | json "eventName", "n" as e, n nodrop | where n > 50 | sort by n | limit 30'


def varied_trail(tmp_path, count=6000, seed=7):
    """Groups that span every range, more than 100 distinct addresses per group (so `values` must choose),
    repeated times (ties for first/last), records without eventTime or without the aggregated fields."""
    import random

    rng = random.Random(seed)
    lines = []
    for i in range(count):
        record = {"eventName": rng.choice(["A", "B", "C"]), "userIdentity": {"type": rng.choice(["IAMUser", "Root"])}}
        if rng.random() < 0.9:
            record["eventTime"] = f"2024-05-06T10:{rng.randrange(3):02d}:00Z"
        if rng.random() < 0.8:
            record["sourceIPAddress"] = f"10.0.{rng.randrange(4)}.{rng.randrange(256)}"
        if rng.random() < 0.7:
            # Decimals too: a sum of doubles added one by one depends on the order (and so on the ranges).
            record["n"] = rng.choice([rng.randrange(100), str(rng.randrange(100)), rng.uniform(0, 100), f"{rng.uniform(0, 100):.3f}", "x", None])
        lines.append(json.dumps(record).encode())
    path = tmp_path / "varied.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def run_queries(path, texts, jobs):
    queries = [compile_query(t) for t in texts]
    runner = Runner(queries, META, jobs=jobs)
    runner.parallel_min_bytes = 0
    summary = runner.run_files([path])
    return runner.results(), (summary.events, summary.skipped, summary.matched), [q.matched for q in queries]


def test_every_aggregate_merges_across_workers_as_one_process(tmp_path):
    path = varied_trail(tmp_path)
    one = run_queries(path, [EVERY_AGGREGATE, SORTED_ROWS], 1)
    groups, sorted_rows = one[0]
    assert len(groups) == 6 and len(sorted_rows) == 30
    assert all(len(row["listed"].split("\n")) == 100 and row["ips"] > 100 for row in groups)
    assert run_queries(path, [EVERY_AGGREGATE, SORTED_ROWS], 2) == one
    assert run_queries(path, [EVERY_AGGREGATE, SORTED_ROWS], 3) == one


def test_values_past_100_merge_across_workers_when_they_arrive_largest_first(tmp_path):
    """Each range's groups hold full `values` lists (every address is smaller than the ones before it), which
    the merge unites with the lists and sets of the other ranges: the result is the 100 smallest overall."""
    addresses = [f"10.0.{i // 256}.{i % 256:03d}" for i in range(4000)]  # ranges of 2 or 3 workers: 160+ a group
    lines = [json.dumps({"eventName": "AB"[i % 2], "sourceIPAddress": ip}).encode() for i, ip in enumerate(reversed(addresses))]
    path = tmp_path / "descending.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    query = '_sourceCategory=aws/cloudtrail | json "eventName", "sourceIPAddress" as e, ip | values(ip) as listed by e'
    one = run_queries(path, [query], 1)
    expected = {e: "\n".join([ip for i, ip in enumerate(addresses) if "AB"[(len(addresses) - 1 - i) % 2] == e][:100]) for e in "AB"}
    assert {row["e"]: row["listed"] for row in one[0][0]} == expected
    assert run_queries(path, [query], 2) == one
    assert run_queries(path, [query], 3) == one


def test_strict_mode_stops_at_the_first_bad_line_in_file_order(tmp_path):
    from sumoctl.engine.run import StrictModeError

    path = trail(tmp_path)  # its first bad line is in the middle of the file
    for jobs in (1, 3):
        streamed = []
        runner = Runner([compile_query(STREAM)], META, strict=True, on_row=lambda i, row: streamed.append(row), jobs=jobs)
        runner.parallel_min_bytes = 0
        try:
            runner.run_files([path])
        except StrictModeError as err:
            stopped = (err.bad.line, len(streamed))
        if jobs == 1:
            expected = stopped
    assert stopped == expected and expected[1] > 0


def test_a_consumer_that_stops_early_leaves_no_worker_behind(tmp_path):
    import multiprocessing

    path = varied_trail(tmp_path, count=4000)
    runner = Runner([compile_query('_sourceCategory=aws/cloudtrail | json "eventName" as e | fields e')], META, jobs=2)
    runner.parallel_min_bytes = 0
    rows = runner.iter_rows([path])
    assert next(rows)[1]["e"] == json.loads(path.read_bytes().splitlines()[0])["eventName"]
    rows.close()
    assert multiprocessing.active_children() == []


def test_a_failing_worker_is_an_error_here_not_a_hang(tmp_path, monkeypatch):
    import multiprocessing

    import pytest

    from sumoctl.engine import run as run_module

    def broken(*args):
        raise ValueError("broken range")

    monkeypatch.setattr(run_module, "_evaluate_range", broken)  # the forked workers inherit it
    runner = Runner([compile_query(STREAM)], META, jobs=2)
    runner.parallel_min_bytes = 0
    with pytest.raises(ValueError, match="broken range") as raised:  # the worker's own exception, raised here
        runner.run_files([varied_trail(tmp_path, count=500)])
    assert any("in engine worker" in note and "broken" in note for note in raised.value.__notes__)
    assert multiprocessing.active_children() == []


def test_a_file_that_cannot_be_read_is_a_read_error_and_output_errors_are_not(tmp_path, monkeypatch):
    """Only reading the events is a read error of their file; an error writing rows out stays what it is."""
    import pytest

    from sumoctl.events.reader import EventReadError

    path = varied_trail(tmp_path, count=3000)
    for jobs in (1, 2):
        def full_disk(index, row):
            raise OSError(28, "No space left on device")

        runner = Runner([compile_query('_sourceCategory=aws/cloudtrail | json "eventName" as e | fields e')], META,
                        on_row=full_disk, jobs=jobs)
        runner.parallel_min_bytes = 0
        with pytest.raises(OSError) as raised:
            runner.run_files([path])
        assert not isinstance(raised.value, EventReadError) and raised.value.errno == 28

    import os

    real_open, parent = os.open, os.getpid()

    def unreadable(file, *args, **kwargs):  # only the workers' read of their range fails
        if str(file) == str(path) and os.getpid() != parent:
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    runner = Runner([compile_query(STREAM)], META, jobs=2)
    runner.parallel_min_bytes = 0
    monkeypatch.setattr("os.open", unreadable)
    with pytest.raises(EventReadError, match="cannot read: .*Permission denied"):
        runner.run_files([path])


def test_a_file_cut_short_while_workers_read_it_is_a_read_error(tmp_path, monkeypatch):
    """The ranges are cut before the workers read them: a file truncated in between (a log rotated under us)
    is an error reading that file, not a worker's crash and not a quietly shorter result."""
    import multiprocessing

    import pytest

    from sumoctl.engine import run as run_module
    from sumoctl.events.reader import EventReadError

    path = varied_trail(tmp_path, count=3000)
    cut = run_module._line_ranges

    def cut_then_truncate(file, jobs, range_bytes):
        ranges = cut(file, jobs, range_bytes)
        with open(file, "r+b") as handle:
            handle.truncate(ranges[-1][0] + 10)  # the last range loses all but 10 bytes
        return ranges

    monkeypatch.setattr(run_module, "_line_ranges", cut_then_truncate)
    runner = Runner([compile_query(STREAM)], META, jobs=2)
    runner.parallel_min_bytes = 0
    with pytest.raises(EventReadError, match="cannot read: the file ended .* bytes early"):
        runner.run_files([path])
    assert multiprocessing.active_children() == []


def test_empty_and_tiny_files_as_pieces_give_the_result_of_one_process(tmp_path):
    """Every file may become a piece (or be cut into ranges): empty ones, blank ones, an empty Records object, a
    JSONL file without its last newline, a file of one byte."""
    import gzip

    records = [json.loads(line) for line in (SHARED / "data" / "cloudtrail" / "stratus_red_team_detonations.jsonl")
               .read_bytes().splitlines()[:50]]
    files = {
        "a-empty.json": b"", "b-blank.jsonl": b"\n\n  \n", "c-empty.json.gz": gzip.compress(b""),
        "d-no-records.json": b'{"Records": []}', "e-array.json": json.dumps(records).encode(),
        "f-one.json": json.dumps(records[0], indent=1).encode(),
        "g-lines.jsonl": b"\n".join(json.dumps(r).encode() for r in records), "h-one-byte.jsonl": b"{",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    results = []
    for jobs in (1, 2, 3):
        bad = []
        runner = Runner([compile_query('_sourceCategory=* | json "eventName" as e nodrop | count by e')], META,
                        jobs=jobs, on_bad_line=bad.append)
        runner.parallel_min_bytes = 0  # every file a piece, and the JSONL ones cut into ranges
        summary = runner.run_files([tmp_path])
        results.append(((summary.events, summary.skipped), [str(b) for b in bad], runner.results()))
    assert results[0][0] == (102, 1) and results[0][1] == [f"{tmp_path / 'h-one-byte.jsonl'}:1: not valid JSON: Input data was truncated"]
    assert results[1] == results[0] and results[2] == results[0]
