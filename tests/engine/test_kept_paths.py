"""The fast paths for kept lines never change a result.

A line some query wants takes one of two paths: a seeded query starts from projected values (prefilter.fast_plan),
the others from the decoded record; both run generated functions (the stages laid out in a row, inlined
expressions, the json stage and aggregate updates written out per query). Here the whole pack runs once that way
and once as the plain reference (no prefilter, so every line is decoded and every query runs from `_raw`, and
`expr.REFERENCE`, so every expression, stage and aggregate is the closure that defines it), over the shared
records and over resamples of them, and every row, the row order and the summary counts must be the same."""

from pathlib import Path

import pytest

from bench.engine_throughput import generate
from sumoctl.engine import Runner, compile_query, expr
from sumoctl.events import Metadata
from sumoctl.project import load_project
from sumoctl.query import ast
from tests.helpers import REPO, SHARED

META = Metadata(source_category="aws/cloudtrail")


def pack_texts(env="example"):
    project = load_project(REPO)
    return [project.render(d, env).query for d in sorted(project.detections)]


def run_pack(paths, reference: bool, monkeypatch, sized: bool = True):
    """(rows of each query, (events, skipped, matched), bad lines). The fast run streams the rows of streaming
    queries to `on_row`; the reference collects them for `results()`."""
    with monkeypatch.context() as patch:
        patch.setattr(expr, "REFERENCE", reference)
        queries = [compile_query(text) for text in pack_texts()]
    streamed: dict[int, list] = {}
    on_row = None if reference else (lambda index, row: streamed.setdefault(index, []).append(row))
    bad = []
    runner = Runner(queries, META, prefilter=not reference, on_bad_line=bad.append, on_row=on_row, jobs=1, sized_rows=sized)
    if not reference:
        assert any(start is not None for start in runner.fast_start)  # the seeded path is exercised
        # ... by every streaming query that ends with `fields` too (the others print `raw`: decoded in full).
        unseeded = [q for q, start in zip(queries, runner.fast_start) if q.streams and start is None]
        assert all(not isinstance(q.query.stages[-1], ast.Fields) for q in unseeded)
        assert sum(1 for q, start in zip(queries, runner.fast_start) if q.streams and start is not None) >= 20
    summary = runner.run_files(paths)
    rows = runner.results()
    for index, q in enumerate(queries):
        if q.streams and not reference:
            assert rows[index] == []
            rows[index] = streamed.get(index, [])
    return rows, (summary.events, summary.skipped, summary.matched), [str(b) for b in bad]


def same_both_ways(paths, monkeypatch):
    fast = run_pack(paths, False, monkeypatch)
    reference = run_pack(paths, True, monkeypatch)
    assert fast[1] == reference[1]
    assert fast[2] == reference[2]
    for index, (got, want) in enumerate(zip(fast[0], reference[0])):
        # Same rows, same order, same keys in the same order.
        assert [list(r.items()) for r in got] == [list(r.items()) for r in want], f"query {index}"
    return fast


def test_the_pack_over_all_shared_records(monkeypatch):
    rows, counts, bad = same_both_ways([SHARED / "data" / "cloudtrail"], monkeypatch)
    assert counts[0] == 479 and bad == []
    assert sum(len(r) for r in rows) > 0


@pytest.mark.parametrize("seed, count, error_share", [(4, 7000, None), (11, 7000, None), (5, 7000, 0.02)])
def test_the_pack_over_a_resample(tmp_path: Path, monkeypatch, seed, count, error_share):
    path = tmp_path / "resample.jsonl"
    generate(path, count, seed, error_share)
    rows, counts, bad = same_both_ways([path], monkeypatch)
    assert counts[0] == count and bad == []
    assert sum(1 for r in rows if r) >= 10  # many detections have rows, aggregating and streaming ones


def test_rows_without_size_are_the_rows_less_size_and_decode_no_line_again(tmp_path: Path, monkeypatch):
    """`sized_rows=False` (sumoctl eval, which never prints `_size`): the same rows in the same order, only
    without `_size` where a seeded query made them, and no streamed row decodes its line a second time to
    measure it. (A row from a decoded record keeps `_size`: it costs nothing there.)"""
    from sumoctl.engine import prefilter

    path = tmp_path / "resample.jsonl"
    generate(path, 4000, seed=12)
    sized = run_pack([path], False, monkeypatch)
    measured = []
    monkeypatch.setattr(prefilter, "row_size", lambda line: measured.append(line))
    unsized = run_pack([path], False, monkeypatch, sized=False)
    assert measured == []
    assert unsized[1:] == sized[1:]
    def less_size(rows):
        return [[[(k, v) for k, v in row.items() if k != "_size"] for row in query_rows] for query_rows in rows]

    assert less_size(unsized[0]) == less_size(sized[0])
    sizes = [sum(1 for query_rows in run[0] for row in query_rows if "_size" in row) for run in (sized, unsized)]
    assert sizes[0] > sizes[1] + 100  # the seeded queries' rows were measured in the sized run only


def write_as_s3_objects(lines: list[bytes], folder: Path) -> list[Path]:
    """The same records as CloudTrail delivers them to S3, in the three shapes sumoctl reads: JSONL whose lines are
    whole `{"Records": [...]}` objects, a pretty-printed Records document, and a gzipped JSON array. Entries that
    are not records (a number, a string, an array) sit among them."""
    import gzip
    import json

    thirds = [lines[: len(lines) // 3], lines[len(lines) // 3: 2 * len(lines) // 3], lines[2 * len(lines) // 3:]]
    on_lines = folder / "a-records-lines.jsonl"
    with on_lines.open("wb") as out:
        for start in range(0, len(thirds[0]), 250):
            out.write(b'{"Records":[' + b",".join(thirds[0][start:start + 250] + [b"5"]) + b"]}\n")
    pretty = folder / "b-delivery.json"
    records = [json.loads(line) for line in thirds[1]]
    pretty.write_text(json.dumps({"Records": records[:100] + ["not a record"] + records[100:]}, indent=2))
    array = folder / "c-array.json.gz"
    with gzip.open(array, "wb") as out:
        out.write(b"[" + b",".join(thirds[2] + [b"[1]"]) + b"]")
    return [on_lines, pretty, array]


def test_the_pack_over_s3_objects_is_the_pack_over_their_records(tmp_path: Path, monkeypatch):
    """The records of S3 objects are screened as JSONL lines are: the same rows in the same order as the same
    records in JSONL, the same as the reference, and each entry that is not a record is reported where it is."""
    path = tmp_path / "resample.jsonl"
    generate(path, 3000, seed=7)
    lines = path.read_bytes().splitlines()
    objects = write_as_s3_objects(lines, tmp_path)
    rows, counts, bad = same_both_ways(objects, monkeypatch)
    as_lines = run_pack([path], False, monkeypatch)

    def unnamed(rows):  # a row that prints every field names its file (`_sourceName`)
        return [[{k: v for k, v in row.items() if k != "_sourceName"} for row in query_rows] for query_rows in rows]

    assert unnamed(rows) == unnamed(as_lines[0])
    assert counts[0] == len(lines) + 4 + 1 + 1 and counts[1] == len(bad) == 6 and counts[2] == as_lines[1][2]
    assert bad[0] == f"{objects[0]}:1: expected a JSON object (a CloudTrail record), got int"
    assert bad[-2:] == [f"{objects[1]}:101: expected a JSON object (a CloudTrail record), got str",
                        f"{objects[2]}:1001: expected a JSON object (a CloudTrail record), got list"]


def test_the_pack_over_lookup_events_output_is_the_pack_over_its_records(tmp_path: Path, monkeypatch):
    """`aws cloudtrail lookup-events` prints each record as a JSON string (`CloudTrailEvent`) inside an entry of
    `Events`: those records are the events, screened as lines are."""
    import json

    path = tmp_path / "resample.jsonl"
    generate(path, 1500, seed=9)
    lines = path.read_bytes().splitlines()
    entries = [{"EventId": str(n), "EventName": json.loads(line).get("eventName"), "CloudTrailEvent": line.decode()}
               for n, line in enumerate(lines)]
    entries.insert(700, {"EventId": "lost", "EventName": "ConsoleLogin"})  # no record in it: reported, skipped
    output = tmp_path / "lookup-events.json"
    output.write_text(json.dumps({"Events": entries, "NextToken": "abc"}, indent=4))
    rows, counts, bad = same_both_ways([output], monkeypatch)
    as_lines = run_pack([path], False, monkeypatch)

    def unnamed(rows):
        return [[{k: v for k, v in row.items() if k != "_sourceName"} for row in query_rows] for query_rows in rows]

    assert unnamed(rows) == unnamed(as_lines[0]) and sum(len(r) for r in rows) > 0
    assert counts[0] == len(lines) + 1 and counts[2] == as_lines[1][2]
    assert bad == [f"{output}:701: expected a JSON object (a CloudTrail record), got NoneType"]


SEED_QUERY = (
    '_sourceCategory=x | json "a.b", "c", "a.d.e", "a.d", "eventTime" as ab, c, ade, ad, et nodrop '
    "| count by ab, c, ade, ad, et"
)


@pytest.mark.parametrize(
    "line",
    [
        b'{"a":{"b":1,"d":{"e":[1,2]}},"c":"x","eventTime":"2024-05-06T13:45:12Z"}',
        b'{"a":null,"c":{"z":1},"eventTime":"2024-05-06T13:59:59Z"}',
        b'{"a":{"d":5},"c":null,"eventTime":"2024-05-06T13:60:00Z"}',
        b'{"a":{"d":{"e":null}},"eventTime":"2024-02-30T13:00:00Z"}',
        b'{"a":{"b":true},"eventTime":"2024-05-06T25:00:00Z","@timestamp":"2024-05-06T13:00:00.5+02:00"}',
        b'{"eventTime":"2024-05-06T13:45:12.250Z"}',
        b'{"eventTime":"2024-05-06 13:45:12Z"}',
        b'{"eventTime":12,"@timestamp":"2024-05-06T13:45:12Z"}',
        b"{}",
    ],
)
def test_a_seed_holds_what_the_projection_getters_read(line):
    """The seeder reads the projection's structs by attribute and remembers hours: same values as the getters
    and as message_time (each line twice, so that the second read comes from the remembered hour)."""
    import orjson

    from sumoctl.engine.prefilter import Seeder, fast_plan
    from sumoctl.engine.values import json_value
    from sumoctl.events.message import message_time
    from sumoctl.query import parse

    plan = fast_plan(parse(SEED_QUERY))
    seeder = Seeder([plan])
    for _ in range(2):
        obj = seeder.decode(line)
        seed = seeder.builders[0](obj, seeder.time(obj), {})
        getters = seeder.projection.getters
        # json_value: the getters of the time paths give raw values (for message_time); json renders them.
        want = {name: json_value(getters[index](obj)) for name, index in seeder.fields[0]}
        assert {k: v for k, v in seed.items() if k != "_messagetime"} == want
        assert seed["_messagetime"] == message_time(orjson.loads(line))


def test_a_json_time_field_is_rendered_as_json_renders_it(tmp_path, monkeypatch):
    """`eventTime` is also read raw for `_messageTime`; a query that groups by it gets json's text either way."""
    path = tmp_path / "times.jsonl"
    path.write_bytes(b'{"eventTime":12,"x":"a"}\n{"eventTime":"2024-05-06T13:45:12Z","x":"a"}\n{"x":"b"}\n')
    text = '_sourceCategory=aws/cloudtrail | json "eventTime", "x" as et, x nodrop | count by et, x'
    rows = {}
    for reference in (False, True):
        with monkeypatch.context() as patch:
            patch.setattr(expr, "REFERENCE", reference)
            query = compile_query(text)
        runner = Runner([query], META, prefilter=not reference, jobs=1)
        if not reference:
            assert runner.fast_start[0] is not None
        runner.run_files([path])
        rows[reference] = runner.results()[0]
    assert rows[False] == rows[True]
    assert rows[False][0] == {"et": "12", "x": "a", "_count": 1}


@pytest.mark.parametrize(
    "record",
    [
        {"eventTime": "2024-05-06T13:45:12Z"}, {"eventTime": "2024-05-06T13:00:59Z"}, {"eventTime": "2024-05-06T13:60:00Z"},
        {"eventTime": "2024-02-30T13:00:00Z"}, {"eventTime": "2024-05-06T24:00:00Z"}, {"eventTime": "2024-05-06T1a:00:00Z"},
        {"eventTime": "2024-05-06T13:45:12.5Z"}, {"eventTime": "2024-05-06 13:45:12Z"}, {"eventTime": "2024-05-06T13:4５:12Z"},
        {"eventTime": 5, "@timestamp": "2024-05-06T13:45:12Z"}, {"eventTime": "x", "@timestamp": "2024-05-06T13:45:13Z"},
        {"@timestamp": "2024-05-06T13:45:12+02:00"}, {},
    ],
)
def test_remembered_hours_give_message_time(record):
    """Both ways the engine reads a time: from a decoded record, and from a seed's projection in one call
    (clock.remembered_time_reader), each the same as message_time, before and after the hour is remembered."""
    import orjson

    from sumoctl.engine import clock
    from sumoctl.engine.prefilter import Seeder, fast_plan
    from sumoctl.events.message import message_time
    from sumoctl.query import parse

    seeder = Seeder([fast_plan(parse(SEED_QUERY))])
    assert seeder.time.__code__.co_filename == "<event time>"  # the one-call reader is the one in use
    obj = seeder.decode(orjson.dumps(record))
    for _ in range(2):  # the second time from the remembered hour
        assert seeder.time(obj) == message_time(record)
        assert clock.record_time(record) == message_time(record)
