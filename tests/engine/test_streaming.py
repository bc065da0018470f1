"""Streaming: rows of queries without an aggregate, sort, top or limit leave the runner as they are produced,
so memory does not grow with the input (only aggregation state is kept)."""

import json

from sumoctl.engine import Runner, compile_query
from sumoctl.events import Metadata, RawEvent
from tests.engine.helpers import record

META = Metadata(source_category="aws/cloudtrail")
PASS = '_sourceCategory=aws/cloudtrail | json "eventName" as e | where e = "DeleteTrail"'
COUNT = '_sourceCategory=aws/cloudtrail | json "eventName" as e | count by e'


def events(total, hits, pulled):
    """`total` events, DeleteTrail at the positions in `hits`; `pulled` counts how many were read."""
    for n in range(1, total + 1):
        pulled.append(n)
        yield RawEvent("<gen>", n, record=record(eventName="DeleteTrail" if n in hits else "ListUsers"))


def test_compiled_query_says_whether_it_streams():
    assert compile_query(PASS).streams
    assert not compile_query(COUNT).streams
    assert not compile_query(PASS + " | sort by e").streams
    assert not compile_query(PASS + " | limit 1").streams


def test_iter_feed_yields_a_row_before_the_input_is_exhausted():
    pulled: list[int] = []
    runner = Runner([compile_query(PASS), compile_query(COUNT)], META)
    rows = runner.iter_feed(events(1000, {2, 500}, pulled))
    index, row = next(rows)
    assert (index, row["e"]) == (0, "DeleteTrail")
    assert len(pulled) == 2  # nothing was read past the event that produced the row
    rest = list(rows)
    assert len(pulled) == 1000
    assert [r["e"] for i, r in rest if i == 0] == ["DeleteTrail"]
    assert sorted((r["e"], r["_count"]) for i, r in rest if i == 1) == [("DeleteTrail", 2), ("ListUsers", 998)]


def test_iter_rows_over_a_jsonl_file_is_lazy_too(tmp_path):
    path = tmp_path / "trail.jsonl"
    lines = [json.dumps(record(eventName="DeleteTrail" if n in (3, 4000) else "ListUsers")) for n in range(1, 5001)]
    path.write_text("\n".join(lines) + "\n")
    runner = Runner([compile_query(PASS), compile_query(COUNT)], META)
    rows = runner.iter_rows([path])
    first = next(rows)
    assert first[0] == 0 and runner.summary.events == 3
    rest = list(rows)
    assert runner.summary.events == 5000
    assert sum(1 for i, _ in [first, *rest] if i == 0) == 2
    assert [r["_count"] for i, r in rest if i == 1 and r["e"] == "ListUsers"] == [4998]


def test_on_row_receives_streamed_rows_and_results_keeps_only_the_others(tmp_path):
    path = tmp_path / "trail.jsonl"
    path.write_text("\n".join(json.dumps(record(eventName=e)) for e in ["DeleteTrail", "ListUsers", "DeleteTrail"]) + "\n")
    seen = []
    runner = Runner([compile_query(PASS), compile_query(COUNT)], META, on_row=lambda i, row: seen.append((i, row["e"])))
    runner.run_files([path])
    assert seen == [(0, "DeleteTrail"), (0, "DeleteTrail")]
    results = runner.results()
    assert results[0] == []  # not kept
    assert sorted((r["e"], r["_count"]) for r in results[1]) == [("DeleteTrail", 2), ("ListUsers", 1)]


def test_streamed_rows_equal_collected_rows(tmp_path):
    path = tmp_path / "trail.jsonl"
    path.write_text("\n".join(json.dumps(record(eventName=e)) for e in ["DeleteTrail", "ListUsers", "DeleteTrail"]) + "\n")
    collected = Runner([compile_query(PASS)], META)
    collected.run_files([path])
    streamed = [row for _, row in Runner([compile_query(PASS)], META).iter_rows([path])]
    assert streamed == collected.results()[0] and len(streamed) == 2
