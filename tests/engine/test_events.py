"""sumoctl.events: every CloudTrail layout, `_raw`/`_messageTime`, bad lines, folders as S3 lays them out."""

import gzip
import json

import pytest

from sumoctl.engine import Runner, StrictModeError, compile_query
from sumoctl.events import BadLine, EventReadError, Metadata, compact_raw, iter_records, message_time, read_events
from tests.engine.helpers import RECORD, record

COUNT = compile_query('_sourceCategory=aws/cloudtrail | json "eventName" as e | count by e')


def records_in(path):
    bad = []
    found = [r for _, r in iter_records([path], bad.append)]
    return found, bad


def write(path, text, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


TWO = [record(eventName="A"), record(eventName="B")]


@pytest.mark.parametrize(
    "name, text",
    [
        ("events.jsonl", "\n".join(json.dumps(r) for r in TWO) + "\n"),
        ("records.json", json.dumps({"Records": TWO}, indent=2)),
        ("compact-records.json", json.dumps({"Records": TWO})),
        ("array.json", json.dumps(TWO, indent=1)),
        ("blank-lines.jsonl", "\n\n" + json.dumps(TWO[0]) + "\n   \n" + json.dumps(TWO[1]) + "\n\n"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_every_layout_gives_the_same_records(tmp_path, name, text, gz):
    path = write(tmp_path / (name + (".gz" if gz else "")), text, gz)
    found, bad = records_in(path)
    assert bad == []
    assert [r["eventName"] for r in found] == ["A", "B"]
    assert found[0] == TWO[0]


def test_folders_are_walked_like_s3(tmp_path):
    base = tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14"
    write(base / "111122223333_CloudTrail_us-east-1_20240514T0305Z_a.json.gz", json.dumps({"Records": [TWO[0]]}), gz=True)
    write(base.parent / "15" / "111122223333_CloudTrail_us-east-1_20240515T0000Z_b.json.gz", json.dumps({"Records": [TWO[1]]}), gz=True)
    write(base / "notes.txt", "not events")
    write(base / "x.index.jsonl", '{"line": 0}\n')
    # Log file validation's hourly digests: hashes and signatures, not events (one strayed among the logs).
    digest = {"awsAccountId": "111122223333", "digestStartTime": "2024-05-14T02:00:00Z", "logFiles": []}
    digests = tmp_path / "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/14"
    write(digests / "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240514T030000Z.json.gz", json.dumps(digest), gz=True)
    write(base / "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240514T040000Z.json.gz", json.dumps(digest), gz=True)
    found, bad = records_in(tmp_path)
    assert [r["eventName"] for r in found] == ["A", "B"] and bad == []
    named, _ = records_in(next(digests.iterdir()))  # named on its own, a file is read as given
    assert [r["awsAccountId"] for r in named] == ["111122223333"]


def test_raw_is_compact_in_original_key_order():
    rec = {"zeta": 1, "alpha": {"b": [1, 2], "a": "x y"}, "eventTime": "2024-05-14T03:05:11Z"}
    assert compact_raw(rec) == '{"zeta":1,"alpha":{"b":[1,2],"a":"x y"},"eventTime":"2024-05-14T03:05:11Z"}'


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"eventTime": "2024-05-14T03:05:11Z"}, 1715655911000),
        ({"@timestamp": "2020-09-14T01:19:40.123Z"}, 1600046380123),
        ({"eventTime": "2024-05-14T05:05:11+02:00"}, 1715655911000),
        ({"eventTime": "not a time"}, None),
        ({}, None),
    ],
)
def test_message_time(fields, expected):
    assert message_time(fields) == expected


def test_a_bad_line_is_reported_with_file_and_line_and_skipped(tmp_path):
    path = write(tmp_path / "e.jsonl", json.dumps(TWO[0]) + "\n{\"eventName\": \"trunc\n[1, 2]\n" + json.dumps(TWO[1]) + "\n")
    bad: list[BadLine] = []
    runner = Runner([COUNT], Metadata(), on_bad_line=bad.append)
    summary = runner.run_files([path])
    assert [(b.line, str(b).split(": ")[0]) for b in bad] == [(2, f"{path}:2"), (3, f"{path}:3")]
    assert "JSON object" in bad[1].reason
    assert (summary.events, summary.skipped) == (4, 2)
    assert sorted(r["e"] for r in runner.results()[0]) == ["A", "B"]
    COUNT.reset()


def test_strict_makes_a_bad_line_fatal(tmp_path):
    path = write(tmp_path / "e.jsonl", json.dumps(TWO[0]) + "\nnot json\n")
    with pytest.raises(StrictModeError) as caught:
        Runner([COUNT], Metadata(), strict=True).run_files([path])
    assert caught.value.bad.line == 2
    COUNT.reset()


def test_a_bad_document_is_reported(tmp_path):
    path = write(tmp_path / "r.json", '{\n  "Records": [\n    {"eventName": "A"},\n')
    found, bad = records_in(path)
    assert found == [] and len(bad) == 1 and bad[0].origin == str(path)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(EventReadError) as caught:
        list(read_events([tmp_path / "nope.jsonl"]))
    assert str(caught.value).startswith(str(tmp_path / "nope.jsonl"))


def test_not_gzip_is_an_error(tmp_path):
    path = write(tmp_path / "e.json.gz", "plain text")
    with pytest.raises(EventReadError):
        list(read_events([path]))


def test_metadata_comes_from_the_caller():
    meta = Metadata(source_category="aws/org-trail/prod", source="trail", collector="col")
    q = compile_query("_sourceCategory=aws/org-trail/prod _collector=col | _source as s | count by s")
    runner = Runner([q], meta, prefilter=False)
    from sumoctl.events import RawEvent

    runner.feed([RawEvent("x", 1, record=RECORD)])
    assert runner.results()[0] == [{"s": "trail", "_count": 1}]


def test_a_json_file_of_lines_with_a_broken_first_line_is_read_line_by_line(tmp_path):
    path = write(tmp_path / "export.json", '{"eventName": "A"\n' + json.dumps(TWO[1]) + "\n")
    bad: list[BadLine] = []
    runner = Runner([COUNT], Metadata(), on_bad_line=bad.append)
    summary = runner.run_files([path])
    assert [b.line for b in bad] == [1] and (summary.events, summary.skipped) == (2, 1)
    assert runner.results()[0] == [{"e": "B", "_count": 1}]
    COUNT.reset()


def test_a_records_line_inside_jsonl_expands(tmp_path):
    path = write(tmp_path / "mixed.jsonl", json.dumps({"Records": TWO}) + "\n" + json.dumps(TWO[0]) + "\n")
    runner = Runner([COUNT], Metadata())
    summary = runner.run_files([path])
    assert summary.events == 3
    assert sorted((r["e"], r["_count"]) for r in runner.results()[0]) == [("A", 2), ("B", 1)]
    COUNT.reset()


def test_the_content_size_of_a_gzip_file_is_what_it_holds(tmp_path):
    """Workers start for inputs of some size (Runner.parallel_min_bytes): a gzip file weighs what it holds."""
    from sumoctl.events.reader import content_size

    text = json.dumps({"Records": [RECORD] * 200}).encode()
    plain, packed = tmp_path / "a.json", tmp_path / "a.json.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    assert packed.stat().st_size < len(text) // 5
    assert content_size(plain) == content_size(packed) == len(text)
    (tmp_path / "empty.json.gz").write_bytes(b"")  # not gzip at all: its size, reading it will say what is wrong
    assert content_size(tmp_path / "empty.json.gz") == 0
