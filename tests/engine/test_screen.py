"""The generated line screen (Prefilter.wanted) against a straightforward reference.

The reference decodes the line with orjson, walks each json path by hand, and runs every query's gate checks with
the engine's compiled conditions, one by one, with no memo: the screen must keep exactly the queries it keeps.
Lines the projection cannot build (msgspec raises) are decoded in full for every query by the Runner, so they
are only required to raise."""

from __future__ import annotations

import json

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sumoctl.engine.prefilter as prefilter_module
from sumoctl.engine.expr import ExprCompiler
from sumoctl.engine.options import DEFAULT_SEMANTICS, Semantics
from sumoctl.engine.partial import deciders, partial
from sumoctl.engine.prefilter import Prefilter
from sumoctl.engine.values import json_value
from sumoctl.project import load_project
from sumoctl.query import parse
from tests.helpers import REPO, SHARED

PROJECT = load_project(REPO)
ENABLED = [d for d in sorted(PROJECT.detections) if PROJECT.render(d, "example").enabled]
PACK = [parse(PROJECT.render(d, "example").query) for d in ENABLED]
META = {"_sourcecategory": "aws/cloudtrail", "_source": None, "_collector": None, "_sourcehost": None,
        "_sourcename": "trail.jsonl"}


class Reference:
    """Which queries' gates let a record through, judged the slow and obvious way."""

    def __init__(self, prefilter: Prefilter, semantics: Semantics = DEFAULT_SEMANTICS):
        self.prefilter = prefilter
        self.conditions = {
            id(check): ExprCompiler(semantics, {n: n for n in check.names}).condition(check.condition)
            for gate in prefilter.gates for check in gate.checks
        }

    @staticmethod
    def value_at(record, path: tuple[str, ...]):
        value = record
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return json_value(value)

    def wanted(self, record: dict, metadata: dict) -> list[int]:
        paths = self.prefilter.projection.paths
        kept = []
        for q, gate in enumerate(self.prefilter.gates):
            if gate.scope is not None and not gate.scope(metadata):
                continue
            for check in gate.checks:
                values = {name: self.value_at(record, paths[i]) for name, i in zip(check.names, check.paths)}
                if not self.conditions[id(check)](values):
                    break
            else:
                kept.append(q)
        return kept


def compare(prefilter: Prefilter, lines: list[bytes], metadata=META) -> tuple[int, int]:
    """Asserts the screen agrees with the reference on every line; returns (lines judged, lines kept)."""
    reference = Reference(prefilter)
    judged = kept = 0
    for number, line in enumerate(lines, 1):
        try:
            obj = prefilter.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError):
            continue  # decoded in full for every query by the Runner
        expected = reference.wanted(orjson.loads(line), metadata)
        assert list(prefilter.wanted(obj, metadata)) == expected, (number, line)
        judged += 1
        kept += bool(expected)
    return judged, kept


def shared_lines() -> list[bytes]:
    lines = []
    for path in sorted((SHARED / "data" / "cloudtrail").glob("*.jsonl")):
        if not path.name.endswith(".index.jsonl"):
            lines.extend(line for line in path.read_bytes().splitlines() if line.strip())
    return lines


def test_the_pack_over_all_shared_records_agrees_with_the_reference():
    lines = shared_lines()
    judged, kept = compare(Prefilter(PACK, DEFAULT_SEMANTICS), lines)
    assert judged >= len(lines) - 5 and kept > 50


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pack_over_a_resampled_trail_agrees_with_the_reference(tmp_path, seed):
    from bench.engine_throughput import generate

    path = tmp_path / "trail.jsonl"
    generate(path, 20_000, seed, error_share=0.02 if seed == 3 else None)
    lines = path.read_bytes().splitlines()
    judged, kept = compare(Prefilter(PACK, DEFAULT_SEMANTICS), lines)
    assert judged == len(lines) and kept > 0


def test_memos_that_keep_filling_up_change_no_verdict(monkeypatch):
    monkeypatch.setattr(prefilter_module, "MEMO_LIMIT", 2)
    monkeypatch.setattr(prefilter_module, "RESIDUAL_LIMIT", 1)
    lines = shared_lines()
    compare(Prefilter(PACK, DEFAULT_SEMANTICS), lines + lines[::-1])


def test_a_scope_on_the_source_name_is_judged_per_origin():
    queries = [parse('_sourceName=*prod* | json "eventName" as e | where e = "DeleteTrail"'),
               parse('_sourceCategory=aws/* | json "eventName" as e | where e = "DeleteTrail"')]
    prefilter = Prefilter(queries, DEFAULT_SEMANTICS)
    line = b'{"eventName":"DeleteTrail"}'
    for origin, expected in [("prod/a.jsonl", [0, 1]), ("dev/a.jsonl", [1]), ("prod/b.jsonl", [0, 1])]:
        metadata = dict(META, _sourcename=origin, _sourcecategory="aws/cloudtrail")
        assert prefilter.wanted(prefilter.decode(line), metadata) == expected


def test_lines_the_projection_cannot_build_raise_msgspec_errors():
    prefilter = Prefilter(PACK, DEFAULT_SEMANTICS)
    cases = [
        (b'{"eventName":"DeleteTrail"', msgspec.DecodeError),         # truncated
        (b"[1, 2]", msgspec.ValidationError),                          # not an object
        (b'{"eventName": 3}', msgspec.ValidationError),                # a key path compared with strings
        (b'{"userIdentity": "root"}', msgspec.ValidationError),        # a path through a non-object
    ]
    for line, error in cases:
        with pytest.raises(error):
            prefilter.decode(line)


def test_wanted_returns_a_fresh_list_each_time():
    prefilter = Prefilter(PACK, DEFAULT_SEMANTICS)
    line = b'{"eventName":"DeleteTrail","eventSource":"cloudtrail.amazonaws.com"}'
    first = prefilter.wanted(prefilter.decode(line), META)
    assert first
    first.clear()
    assert prefilter.wanted(prefilter.decode(line), META)


# --- three-valued judging of a condition ---------------------------------------------------------------------


def condition(text: str):
    return parse(f"_sourceCategory=x | json \"a\", \"b\", \"c\" as a, b, c | where {text}").stages[1].condition


@pytest.mark.parametrize(
    "text, known, verdict",
    [
        ('a = "x"', {"a": "x"}, True),
        ('a = "x"', {"a": "y"}, False),
        ('a = "x"', {"b": "x"}, None),
        ('a = "x" and b = "y"', {"a": "z"}, False),
        ('a = "x" and b = "y"', {"a": "x"}, None),
        ('a = "x" or b = "y"', {"a": "x"}, True),
        ('a = "x" or b = "y"', {"a": "z"}, None),
        ('(a matches "Add*" and b = "*") or (a in ("U", "V") and c = "NONE")', {"a": "DescribeInstances"}, False),
        ('(a matches "Add*" and b = "*") or (a in ("U", "V") and c = "NONE")', {"a": "U"}, None),
        ('(a matches "Add*" and b = "*") or (a in ("U", "V") and c = "NONE")', {"a": "U", "c": "NONE"}, True),
        ('!(a = "x" or b = "y")', {"a": "x"}, False),
        ('!(a = "x" and b = "y")', {"a": "z"}, True),
        ("a != b", {"a": "x"}, None),
        ("a != b", {"a": "x", "b": "x"}, False),
        ("isBlank(a)", {"a": None}, True),
        ('a = "x"', {"a": None}, False),  # null compares false
        ("a > 5", {"a": "7"}, True),
    ],
)
def test_partial_settles_what_the_known_fields_settle(text, known, verdict):
    assert partial(condition(text), DEFAULT_SEMANTICS)(known) is verdict


@pytest.mark.parametrize(
    "text, fields",
    [
        ('a = "x"', {"a"}),
        ('a = "x" and b = "y"', {"a", "b"}),
        ('a = "x" or b = "y"', set()),
        ('a = "x" or (a = "y" and b = "z")', {"a"}),
        ('!(a = "x" or b = "y")', {"a", "b"}),
        ("a != b", set()),
    ],
)
def test_deciders_are_the_fields_that_alone_can_falsify(text, fields):
    assert deciders(condition(text)) == fields


# --- arbitrary values: remembered verdicts never differ from judging afresh ---------------------------------------

QUERIES = [
    ('_sourceCategory=x | json "eventName", "requestParameters.principal", "requestParameters.authType" as e, p, t '
     '| where (e matches "Add*" and p = "*") or (e in ("U", "V") and t = "NONE")'),
    ('_sourceCategory=x | json "awsRegion", "eventSource" as r, s nodrop '
     '| where !isBlank(r) and r not in ("us-east-1") | where s not in ("iam.amazonaws.com")'),
    ('_sourceCategory=x | json "eventName", "userIdentity.type", "userIdentity.userName", "requestParameters.userName" '
     'as e, t, caller, target '
     '| where e = "CreateAccessKey" and t != "AWSService" and (isBlank(caller) or caller != target)'),
    '_sourceCategory=x | json "eventName", "errorCode" as e, err | where !(e = "A" or err = "B")',
    '_sourceCategory=x | json "eventName", "requestParameters.n" as e, n | where e in ("A", "U") | where n > 5',
    '_sourceCategory=y | json "eventName" as e | where e = "A"',
    '_sourceCategory=x | json "requestParameters.n" as n | where n > 5',  # a key path of any JSON type
    '_sourceCategory=x | json "userIdentity", "userIdentity.type" as u, t | where t = "Root" and u matches "*Root*"',
]

names = st.sampled_from(["A", "U", "V", "AddPermission", "CreateAccessKey", "B", "a"])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 9), st.sampled_from(["*", "NONE", "7", "x", "us-east-1", ""]),
)
values = st.one_of(
    scalars, st.lists(scalars, max_size=2), st.dictionaries(st.sampled_from(["type", "k"]), scalars, max_size=2),
)
records = st.fixed_dictionaries(
    {},
    optional={
        "eventName": names | values,
        "errorCode": st.sampled_from(["B", "C"]) | values,
        "awsRegion": st.sampled_from(["us-east-1", "eu-west-1", ""]) | values,
        "eventSource": st.sampled_from(["iam.amazonaws.com", "s3.amazonaws.com"]) | values,
        "userIdentity": st.fixed_dictionaries(
            {}, optional={"type": st.sampled_from(["Root", "AWSService", "IAMUser"]) | values,
                          "userName": st.sampled_from(["alice", "bob"]) | values}) | values,
        "requestParameters": st.fixed_dictionaries(
            {}, optional={"principal": values, "authType": values, "n": values,
                          "userName": st.sampled_from(["alice", "bob"]) | values}) | values,
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=30), st.integers(1, 4))
def test_remembered_verdicts_agree_with_the_reference_for_arbitrary_values(batch, limit):
    old = prefilter_module.MEMO_LIMIT
    prefilter_module.MEMO_LIMIT = limit  # memos that fill up and start again, mid-batch
    try:
        prefilter = Prefilter([parse(q) for q in QUERIES], DEFAULT_SEMANTICS)
        lines = [json.dumps(r).encode() for r in batch] * 2  # the second time round, from the memos
        compare(prefilter, lines, dict(META, _sourcecategory="x"))
    finally:
        prefilter_module.MEMO_LIMIT = old


def test_the_pack_reads_few_key_paths():
    prefilter = Prefilter(PACK, DEFAULT_SEMANTICS)
    keys = {prefilter.projection.paths[i] for i in prefilter.key_paths}
    assert ("eventName",) in keys and ("awsRegion",) in keys
    assert len(keys) <= 6
    assert not keys & {("requestParameters", "userName"), ("userAgent",), ("requestParameters", "userData")}


def test_a_key_path_compared_with_numbers_takes_any_json_value():
    prefilter = Prefilter([parse('_sourceCategory=x | json "bytes" as b | where b > 1000')], DEFAULT_SEMANTICS)
    metadata = {"_sourcecategory": "x"}
    for line, kept in [(b'{"bytes": 4096}', [0]), (b'{"bytes": "2048"}', [0]), (b'{"bytes": 12.5}', []), (b"{}", [])]:
        assert list(prefilter.wanted(prefilter.decode(line), metadata)) == kept
    # ...while a path compared with strings is decoded as a string: another type fails the projection.
    prefilter = Prefilter([parse('_sourceCategory=x | json "eventName" as e | where e = "A"')], DEFAULT_SEMANTICS)
    with pytest.raises(msgspec.ValidationError):
        prefilter.decode(b'{"eventName": 1}')


def test_the_pack_over_a_resampled_trail_gives_the_rows_of_a_run_without_screen(tmp_path):
    from bench.engine_throughput import generate
    from sumoctl.engine import Runner, compile_query
    from sumoctl.events import Metadata

    path = tmp_path / "trail.jsonl"
    generate(path, 3_000, seed=7)

    def run(prefilter: bool):
        runner = Runner([compile_query(q) for q in PACK], Metadata(source_category="aws/cloudtrail"),
                        prefilter=prefilter, jobs=1)
        summary = runner.run_files([path])
        return runner.results(), (summary.events, summary.matched)

    screened, unscreened = run(True), run(False)
    assert screened == unscreened
    assert screened[1][1] > 0
