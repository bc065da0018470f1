"""Property: arbitrary JSON records, truncated and binary lines never crash the engine; every bad line is
reported; and the results on the good lines are what they would be without the bad ones."""

import json

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sumoctl.engine import Runner, compile_query
from sumoctl.events import Metadata
from sumoctl.project import load_project
from sumoctl.query import parse
from tests.helpers import REPO

PROJECT = load_project(REPO)
PACK = [parse(PROJECT.render(d, "example").query) for d in sorted(PROJECT.detections)]
META = Metadata(source_category="aws/cloudtrail")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
identities = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["IAMUser", "Root", "AssumedRole", "AWSService"])},
                          optional={"userName": st.sampled_from(["alice", "bob"]), "invokedBy": st.sampled_from(["lambda.amazonaws.com", "x"])}),
    json_values,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "eventName": st.sampled_from(["DeleteTrail", "StopLogging", "ConsoleLogin", "CreateAccessKey", "ListUsers", "deletetrail"]) | json_values,
        "eventSource": st.sampled_from(["iam.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com"]),
        "errorCode": st.sampled_from(["AccessDenied", "UnauthorizedOperation", "Other"]),
        "errorMessage": st.text(max_size=20),
        "eventTime": st.sampled_from(["2024-05-14T03:05:11Z", "2024-05-14T04:05:11Z", "garbage"]),
        "sourceIPAddress": st.sampled_from(["92.55.146.245", "71.253.251.71", "10.0.0.1", "ec2.amazonaws.com"]),
        "userIdentity": identities,
        "userAgent": st.sampled_from(["exec-env/AWS_Lambda_python3.12", "aws-cli"]),
        "additionalEventData": st.fixed_dictionaries({}, optional={"MFAUsed": st.sampled_from(["Yes", "No"])}),
        "extra": json_values,
    },
)


def encode(record, style):
    if style == 0:
        return orjson.dumps(record)
    if style == 1:
        return json.dumps(record, indent=None).encode()  # spaces after separators
    return json.dumps(record, ensure_ascii=True).encode()  # \u escapes for any non-ASCII text


lines = st.one_of(
    st.tuples(st.just("good"), records, st.integers(0, 2)),
    st.tuples(st.just("truncated"), records, st.integers(0, 2), st.floats(0.05, 0.95)),
    st.tuples(st.just("binary"), st.binary(min_size=1, max_size=40)),
)


def is_record(data: bytes) -> bool:
    try:
        return isinstance(orjson.loads(data), dict)
    except orjson.JSONDecodeError:
        return False


def run(path, prefilter=True):
    queries = [compile_query(q) for q in PACK]
    bad = []
    runner = Runner(queries, META, on_bad_line=bad.append, prefilter=prefilter)
    summary = runner.run_files([path])
    # Rows of raw messages carry the file name (_sourceName); the two runs read different files.
    results = [[{k: v for k, v in row.items() if k != "_sourceName"} for row in rows] for rows in runner.results()]
    return results, summary, [b.line for b in bad]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(lines, min_size=1, max_size=12))
def test_bad_lines_are_reported_and_do_not_change_results(tmp_path_factory, items):
    folder = tmp_path_factory.mktemp("prop")
    encoded = []
    for item in items:
        if item[0] == "good":
            encoded.append(encode(item[1], item[2]))
        elif item[0] == "truncated":
            whole = encode(item[1], item[2])
            encoded.append(whole[: max(1, int(len(whole) * item[3]))])
        else:
            encoded.append(item[1])
    # One line per item: a binary item with a newline inside would be several lines, so drop line breaks.
    encoded = [e.replace(b"\n", b" ").replace(b"\r", b" ") for e in encoded]
    nonblank = [e for e in encoded if e.strip()]
    expected_bad = [i for i, e in enumerate(nonblank, 1) if not is_record(e)]
    good = [e for e in nonblank if is_record(e)]

    mixed = folder / "mixed.jsonl"
    mixed.write_bytes(b"\n".join(nonblank) + b"\n")
    clean = folder / "clean.jsonl"
    clean.write_bytes(b"\n".join(good) + (b"\n" if good else b""))

    results, summary, bad_lines = run(mixed)
    assert bad_lines == expected_bad
    assert summary.events == len(nonblank) and summary.skipped == len(expected_bad)
    clean_results, clean_summary, clean_bad = run(clean)
    assert clean_bad == []
    assert results == clean_results
    assert summary.matched == clean_summary.matched
    # ...and the prefilter and the seeded fast path change nothing either.
    unfiltered, unfiltered_summary, unfiltered_bad = run(mixed, prefilter=False)
    assert (unfiltered, unfiltered_summary.matched, unfiltered_bad) == (results, summary.matched, bad_lines)
    # Same keys in the same order too (a seeded streaming row is built from the projection, not the record).
    assert [[list(r.items()) for r in rows] for rows in unfiltered] == [[list(r.items()) for r in rows] for rows in results]


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=__import__("datetime").datetime(1, 1, 2), max_value=__import__("datetime").datetime(9999, 12, 30)),
       st.sampled_from(["", ".5", ".123"]))
def test_fast_timestamp_parsing_agrees_with_fromisoformat(when, fraction):
    from datetime import datetime, timezone

    from sumoctl.events.message import parse_timestamp

    text = f"{when.year:04d}-{when:%m-%dT%H:%M:%S}{fraction}Z"
    expected = int(datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc).timestamp() * 1000)
    assert parse_timestamp(text) == expected


entries = st.one_of(st.tuples(st.just("record"), records), st.tuples(st.just("other"), json_values.filter(lambda v: not isinstance(v, dict))))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(entries, min_size=1, max_size=10), st.sampled_from(["one line", "document", "array"]))
def test_s3_objects_give_the_results_of_their_records(tmp_path_factory, items, shape):
    """An S3 object's records are screened as lines are: the results of the same records as JSONL, each entry that
    is not a record reported at its place (its line, for a Records object written on one line)."""
    folder = tmp_path_factory.mktemp("s3")
    values = [value for _, value in items]
    good = [orjson.dumps(value) for kind, value in items if kind == "record"]
    clean = folder / "clean.jsonl"
    clean.write_bytes(b"\n".join(good) + (b"\n" if good else b""))
    if shape == "one line":
        obj = folder / "objects.jsonl"
        obj.write_bytes(orjson.dumps({"Records": values}) + b"\n")
        expected_bad = [1] * sum(1 for kind, _ in items if kind == "other")
    else:
        obj = folder / "object.json"
        obj.write_text(json.dumps({"Records": values} if shape == "document" else values, indent=2))
        expected_bad = [i for i, (kind, _) in enumerate(items, 1) if kind == "other"]

    results, summary, bad_lines = run(obj)
    clean_results, clean_summary, _ = run(clean)
    assert bad_lines == expected_bad
    assert summary.events == len(items) and summary.skipped == len(expected_bad)
    assert results == clean_results and summary.matched == clean_summary.matched
    unfiltered, unfiltered_summary, unfiltered_bad = run(obj, prefilter=False)
    assert (unfiltered, unfiltered_summary.matched, unfiltered_bad) == (results, summary.matched, bad_lines)
