"""The prefilter (decide from a line's bytes which queries may want it) never changes a result.

Each test runs the same queries over the same lines with and without the prefilter and compares."""

import json
from pathlib import Path

import pytest

from sumoctl.engine import Runner, compile_query
from sumoctl.engine.options import DEFAULT_SEMANTICS
from sumoctl.engine.prefilter import Prefilter
from sumoctl.events import Metadata
from sumoctl.project import load_project
from sumoctl.query import parse
from tests.helpers import REPO, SHARED

META = Metadata(source_category="aws/cloudtrail")


def pack_queries(env="example"):
    project = load_project(REPO)
    return [project.render(d, env).query for d in sorted(project.detections)]


def run(texts, paths, prefilter):
    queries = [compile_query(t) for t in texts]
    bad = []
    runner = Runner(queries, META, prefilter=prefilter, on_bad_line=bad.append)
    summary = runner.run_files(paths)
    return runner.results(), (summary.events, summary.skipped, summary.matched), [(b.line, b.reason) for b in bad]


def same_either_way(texts, paths):
    with_prefilter = run(texts, paths, True)
    without = run(texts, paths, False)
    assert with_prefilter == without
    return with_prefilter


def test_the_pack_over_all_shared_records_is_unchanged():
    results, counts, bad = same_either_way(pack_queries(), [SHARED / "data" / "cloudtrail"])
    assert counts[0] == 479 and bad == []
    assert sum(len(r) for r in results) > 0


def write_lines(tmp_path, lines, name="e.jsonl"):
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


EVASION = '_sourceCategory=aws/cloudtrail | parse regex "(?<raw>{.*)" | json field=raw "eventName", "userIdentity.type" as e, t nodrop | where e in ("DeleteTrail", "StopLogging")'


@pytest.mark.parametrize(
    "line, fires",
    [
        (b'{"eventName":"DeleteTrail","userIdentity":{"type":"Root"}}', True),
        (b'{ "eventName" : "DeleteTrail" }', True),                        # not compact
        (b'{"eventName":"Delete\\u0054rail"}', True),                      # an escaped value
        (b'{"event\\u004eame":"StopLogging"}', True),                       # an escaped key
        (b'{"eventName":"deletetrail"}', False),                           # case-sensitive
        (b'{"eventName":"DeleteTrails"}', False),
        (b'{"eventName":"x","eventName":"DeleteTrail"}', True),            # duplicate keys: the last wins
        (b'{"eventName":"DeleteTrail","eventName":"x"}', False),
        (b'{"eventName":"DeleteTrail","userIdentity":"a string"}', True),  # a path through a non-object
        (b'{"eventName":"DeleteTrail","note":"caf\xc3\xa9"}', True),       # not ASCII: decoded in full
        (b'{"eventName":["DeleteTrail"]}', False),
        (b'{"other":"DeleteTrail"}', False),
        (b'{"requestParameters":{"eventName":"DeleteTrail"}}', False),     # only the top-level key counts
    ],
)
def test_lines_that_look_alike_in_bytes(tmp_path, line, fires):
    results, counts, bad = same_either_way([EVASION], [write_lines(tmp_path, [line])])
    assert bad == []
    assert (len(results[0]) == 1) is fires


@pytest.mark.parametrize(
    "line",
    [
        b'{"eventName":"DeleteTrail"',          # truncated
        b'{"eventName":"x", "bad": "\xff\xfe"}',  # invalid UTF-8 inside a value the projection skips
        b'{"eventName":"x","n":01}',            # invalid number
        b'{"eventName":"x","s":"\\ud800"}',      # lone surrogate
        b'\x00\x01\x02binary',
        b"[1, 2, 3]",
        b'"just a string"',
    ],
)
def test_bad_lines_are_reported_even_when_no_query_wants_them(tmp_path, line):
    good = b'{"eventName":"Other"}'
    results, counts, bad = same_either_way([EVASION], [write_lines(tmp_path, [good, line, good])])
    assert [b[0] for b in bad] == [2]
    assert counts == (3, 1, 0)


def test_a_field_reassigned_before_the_where_is_not_prefiltered(tmp_path):
    q = '_sourceCategory=aws/cloudtrail | json "eventName" as e | "DeleteTrail" as e | where e = "DeleteTrail"'
    results, _, _ = same_either_way([q], [write_lines(tmp_path, [b'{"eventName":"Other"}'])])
    assert len(results[0]) == 1


def test_a_where_after_an_aggregate_is_not_prefiltered(tmp_path):
    q = '_sourceCategory=aws/cloudtrail | json "eventName" as e | count by e | where e = "A"'
    lines = [b'{"eventName":"A"}', b'{"eventName":"B"}']
    results, _, _ = same_either_way([q], [write_lines(tmp_path, lines)])
    assert results[0] == [{"e": "A", "_count": 1}]


def test_scope_on_another_source_category_skips_every_line(tmp_path):
    q = '_sourceCategory=aws/other | json "eventName" as e'
    results, counts, _ = same_either_way([q], [write_lines(tmp_path, [b'{"eventName":"A"}'])])
    assert results == [[]] and counts == (1, 0, 0)


def test_a_path_read_whole_and_through_is_projected_once():
    queries = [parse('_sourceCategory=x | json "userIdentity", "userIdentity.type" as u, t | where t = "Root" and u matches "*Root*"')]
    prefilter = Prefilter(queries, DEFAULT_SEMANTICS)
    obj = prefilter.decode(b'{"userIdentity":{"type":"Root","arn":"a"}}')
    assert prefilter.wanted(obj, {"_sourcename": "f", "_sourcecategory": "x"}) == [0]
    obj = prefilter.decode(b'{"userIdentity":{"type":"IAMUser"}}')
    assert list(prefilter.wanted(obj, {"_sourcename": "f", "_sourcecategory": "x"})) == []


def test_only_membership_and_equality_are_indexed_others_still_checked():
    queries = [parse('_sourceCategory=x | json "eventName" as e | where e matches "Delete*"')]
    prefilter = Prefilter(queries, DEFAULT_SEMANTICS)
    assert prefilter.wanted(prefilter.decode(b'{"eventName":"DeleteTrail"}'), {"_sourcecategory": "x"}) == [0]
    assert list(prefilter.wanted(prefilter.decode(b'{"eventName":"CreateUser"}'), {"_sourcecategory": "x"})) == []


def test_which_pack_queries_run_from_the_projection_alone():
    from sumoctl.engine.prefilter import fast_plan

    project = load_project(REPO)
    plans = {d: fast_plan(parse(project.render(d, "example").query)) for d in sorted(project.detections)}
    # Aggregating queries whose inputs are all json paths of the record: seeded.
    assert plans["cloudtrail-account-discovery"].prelude == 2
    assert plans["cloudtrail-suspicious-console-login"].prelude == 2
    assert ("src_ip", ("sourceIPAddress",)) in plans["cloudtrail-suspicious-console-login"].fields
    assert not plans["cloudtrail-account-discovery"].streams
    # Streaming queries that end with `fields` of json fields and assignments over them: seeded too, and their
    # seeds hold every field the row keeps (not only those a stage reads).
    plan = plans["cloudtrail-iam-user-created"]
    assert plan.streams and plan.prelude == 2
    assert {"account_id", "user_type", "new_user", "src_ip", "user_agent"} <= plan.reads
    assert plans["cloudtrail-security-group-opened-to-world"].streams  # `parse regex field=request` on a json field
    streaming = [d for d, p in plans.items() if p is not None and p.streams]
    assert len(streaming) == 27
    # Queries that print raw messages (no `fields`: their rows carry `raw`) are decoded in full.
    assert plans["cloudtrail-defense-evasion"] is None
    assert plans["cloudtrail-lambda-persistence"] is None
    assert plans["cloudtrail-lambda-persistence-exec-env"] is None


@pytest.mark.parametrize(
    "query, eligible",
    [
        ('_sourceCategory=x | json "a" as a nodrop | count by a', True),
        ('_sourceCategory=x | json "a" as a | count by a', False),              # without nodrop a missing key drops
        ('_sourceCategory=x | json "a[0]" as a nodrop | count by a', False),    # only plain key paths
        ('x | json "a" as a nodrop | count by a', False),                       # a keyword scope reads _raw
        ('_sourceCategory=x | json "a" as a nodrop | where _raw matches "*x*" | count by a', False),
        ('_sourceCategory=x | parse regex "(?<raw>{.*)" | json field=raw "a" as a nodrop | count by raw', False),
        ('_sourceCategory=x | json "a" as a nodrop | parse "x*y" as b | count by a', False),
        ('_sourceCategory=x | json "a" as a nodrop | where a = "1"', False),      # no aggregate: rows carry _raw
        # Streaming queries: `fields` (the last stage) keeps only fields the seed or later stages give.
        ('_sourceCategory=x | json "a", "b.c" as a, b nodrop | where a = "1" | fields a, b', True),
        ('_sourceCategory=x | json "a", "b" as a, b nodrop | if(isBlank(b), "n", b) as c | fields a, c', True),
        ('_sourceCategory=x | json "a" as a nodrop | timeslice 1h | fields a, _timeslice, _sourcehost', True),
        ('_sourceCategory=x | json "a", "b" as a, _b nodrop | fields a', True),   # `_b` is kept: seeded
        ('_sourceCategory=x | parse regex "(?<raw>{.*)" | json field=raw "a" as a nodrop | fields a', True),
        ('_sourceCategory=x | json "a" as a nodrop | fields a, _size', False),    # the seed has no _size to give
        ('_sourceCategory=x | json "a" as a nodrop | fields a, _raw', False),
        ('_sourceCategory=x | parse regex "(?<raw>{.*)" | json field=raw "a" as a nodrop | fields a, raw', False),
        ('_sourceCategory=x | json "a" as a nodrop | fields a, _format', False),  # metadata no message has
        ('_sourceCategory=x | json "a" as a nodrop | fields - a', False),         # the rest of the message stays
        ('_sourceCategory=x | json "a" as a nodrop | fields a | where a = "1"', False),  # not the last stage
        ('_sourceCategory=x | json "a" as a nodrop | "h" as _sourcehost | fields a', False),  # over metadata
        ('_sourceCategory=x | json "a" as a nodrop | where a = "1" | parse regex field=a "(?<b>.)" multi | fields a, b', False),
        ('x | json "a" as a nodrop | fields a', False),                           # a keyword scope reads _raw
    ],
)
def test_fast_path_eligibility(query, eligible):
    from sumoctl.engine.prefilter import fast_plan

    assert (fast_plan(parse(query)) is not None) is eligible


def test_remembered_verdicts_never_change_a_result(tmp_path, monkeypatch):
    """Conjunct verdicts are remembered per distinct tuple of projected values: repeated values, values that
    differ only in case or by a JSON escape, nulls, and a memo that fills up (MEMO_LIMIT) give the same rows."""
    import sumoctl.engine.prefilter as prefilter_module

    monkeypatch.setattr(prefilter_module, "MEMO_LIMIT", 3)
    regions = ["us-east-1", "US-EAST-1", "eu-west-1", None, "ap-south-1", "eu-west-1", "us-east-1", "sa-east-1"] * 5
    lines = []
    for n, region in enumerate(regions):
        rec = {"eventName": "RunInstances", "eventSource": "ec2.amazonaws.com", "eventTime": f"2024-05-14T03:{n % 60:02d}:00Z"}
        if region is not None:
            rec["awsRegion"] = region
        lines.append(json.dumps(rec))
    lines.append('{"eventName": "RunInstances", "awsRegion": "eu\\u002dwest-1", "eventTime": "2024-05-14T04:00:00Z"}')
    path = tmp_path / "regions.jsonl"
    path.write_text("\n".join(lines) + "\n")
    query = ('_sourceCategory=aws/cloudtrail | json "awsRegion", "eventName" as region, e nodrop '
             '| where !isBlank(region) and region not in ("us-east-1", "us-west-2") and region matches "*-*" '
             '| count by region')
    results, _, _ = same_either_way([query], [path])
    assert sorted((r["region"], r["_count"]) for r in results[0]) == [
        ("US-EAST-1", 5), ("ap-south-1", 5), ("eu-west-1", 11), ("sa-east-1", 5)]


STREAMING_QUERY = (
    '_sourceCategory=aws/cloudtrail | parse regex "(?<raw>{.*)" '
    '| json field=raw "eventName", "userIdentity.type", "requestParameters", "sourceIPAddress", "userAgent", '
    '"requestParameters.userName", "awsRegion" as event_name, _utype, request, src_ip, user_agent, target, region nodrop '
    '| where event_name = "CreateUser" '
    '| "masked" as src_ip '                                   # a kept json field rewritten, its place in the row kept
    '| if(isBlank(target), "none", target) as target '
    '| parse regex field=request "\\"n\\"\\s*:\\s*(?<n>[0-9.]+)" nodrop '
    '| timeslice 1h '
    '| fields region, target, n, src_ip, user_agent, request'
)

STREAMING_LINES = [
    # Spaces, a float written long and a nested object: `_size` (compact `_raw`) is not the line's length.
    (b'{"eventName": "CreateUser", "userIdentity": {"type": "IAMUser"}, "requestParameters": {"userName": "bob", '
     b'"n": 1.50, "tags": [1, 2]}, "sourceIPAddress": "1.2.3.4", "awsRegion": "eu-west-1", '
     b'"eventTime": "2024-05-14T03:10:00Z"}'),
    # Escapes (one of a non-ASCII character) and a duplicate key (the last one wins in both paths).
    (b'{"eventName":"DeleteUser","eventName":"CreateUser","userAgent":"a\\/b \\u00e9 \\"q\\"",'
     b'"requestParameters":{"userName":null},"eventTime":"2024-05-14T04:00:00Z"}'),
    # Missing keys, no time, a number where a string is usual; a line the where drops; a non-ASCII line.
    b'{"eventName":"CreateUser","awsRegion":7}',
    b'{"eventName":"ListUsers","awsRegion":"us-east-1"}',
    '{"eventName":"CreateUser","userAgent":"\u00e9t\u00e9","eventTime":"2024-05-14T05:00:00Z"}'.encode(),
    b'not json',
    b'',
    b'{"eventName":"CreateUser","requestParameters":"text","userIdentity":{"type":["a"]},"eventTime":"bad"}',
]


def streaming_rows(path, prefilter: bool, on_row: bool, reference: bool, monkeypatch):
    """The query's rows as lists of items (key order counts), with the summary counts and the seeded start."""
    from sumoctl.engine import expr

    with monkeypatch.context() as patch:
        patch.setattr(expr, "REFERENCE", reference)
        queries = [compile_query(STREAMING_QUERY)]
        streamed = []
        runner = Runner(queries, META, prefilter=prefilter,
                        on_row=(lambda index, row: streamed.append(row)) if on_row else None)
        summary = runner.run_files([path])
        rows = runner.results()[0]
    if on_row:
        assert rows == []
        rows = streamed
    return [list(r.items()) for r in rows], (summary.events, summary.skipped, summary.matched), runner.fast_start[0]


def test_a_seeded_streaming_query_prints_the_rows_of_the_full_path(tmp_path, monkeypatch):
    """Same keys in the same order, same values (the metadata `fields` keeps, `_size` measured from the line
    only for a row that comes out) whether rows go to `on_row`, are collected for `finish()`, or come from
    the closures of reference mode (where the seed is completed before the stages run)."""
    path = write_lines(tmp_path, STREAMING_LINES)
    want, counts, start = streaming_rows(path, False, False, True, monkeypatch)
    assert start is None
    for on_row in (True, False):
        for reference in (False, True):
            got, got_counts, start = streaming_rows(path, True, on_row, reference, monkeypatch)
            assert start is not None  # seeded
            assert got == want and got_counts == counts, (on_row, reference)
    assert len(want) == 5 and counts == (7, 1, 5)
    first = dict(want[0])
    assert [k for k, _ in want[0]] == [
        "_messageTime", "_receiptTime", "_sourceCategory", "_source", "_collector", "_sourceHost", "_sourceName",
        "_size", "_utype", "request", "src_ip", "user_agent", "target", "region", "n", "_timeslice"]
    for (keys, line) in zip(want[:2], STREAMING_LINES):  # `_size` is the length of the compact record
        assert dict(keys)["_size"] == len(json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False))
    assert first["_size"] < len(STREAMING_LINES[0])
    assert (first["src_ip"], first["target"], first["n"], first["_utype"]) == ("masked", "bob", "1.5", "IAMUser")
    assert dict(want[1])["user_agent"] == 'a/b \u00e9 "q"' and dict(want[1])["target"] == "none"
