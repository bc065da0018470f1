"""Each lint rule fires on the mistake it describes and stays quiet on the corrected query."""

from __future__ import annotations

from sumoctl.query import Finding, lint, parse
from sumoctl.query.lint import MAX_QUERY_CHARS, MAX_WORD_CHARS


def rules(text: str) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.column) for f in lint(parse(text), text)]


def test_finding_is_a_plain_record():
    f = Finding("SUMO001", "msg", 2, 3)
    assert (f.rule, f.message, f.line, f.column) == ("SUMO001", "msg", 2, 3)
    assert str(f) == "2:3: SUMO001 msg"


def test_sumo001_count_distinct_of_a_by_field():
    bad = 'x | json "a", "b" as a, b | count_distinct(a) as n by a, b'
    assert rules(bad) == [("SUMO001", 1, 29)]
    assert rules('x | json "a", "b" as a, b | count_distinct(a) as n by b') == []


def test_sumo001_is_case_insensitive_like_sumo_field_names():
    assert [r[0] for r in rules('x | json "a" as a | count_distinct(A) by a')] == ["SUMO001"]


def test_sumo002_where_or_by_on_an_undefined_field():
    bad = 'x\n| json "eventName" as event_name\n| where eventname = "x"\n| count by user'
    assert rules(bad) == [("SUMO002", 3, 9), ("SUMO002", 4, 3)]
    good = 'x\n| json "eventName", "user" as event_name, user\n| where event_name = "x"\n| count by user'
    assert rules(good) == []


def test_sumo002_knows_scope_fields_metadata_aggregates_and_fields_stages():
    ok = ('account=1 | where account = "1" and _sourceHost = "h" | timeslice 1h as t'
          ' | count as n by t | where n > 1 | sort by n')
    assert rules(ok) == []
    assert rules('x | json "a", "b" as a, b | fields - b | where b = 1') == [("SUMO002", 1, 48)]
    assert rules('x | json "a" as a | count by a | where a = 1 and _count > 2') == []
    assert rules('x | json "a" as a | count by a | where n > 1') == [("SUMO002", 1, 40)]


def test_sumo002_stops_after_stages_that_add_fields_we_cannot_name():
    assert rules('x | json auto | where anything = 1') == []
    assert rules('x | kv "a" | where anything = 1') == []


def test_sumo003_negative_test_on_a_field_parsed_without_nodrop():
    bad = 'x\n| json "errorCode" as code\n| where code != "AccessDenied"'
    assert rules(bad) == [("SUMO003", 3, 9)]
    assert "2:3" in lint(parse(bad))[0].message
    assert rules('x\n| json "errorCode" as code nodrop\n| where code != "AccessDenied"') == []


def test_sumo003_covers_null_checks_not_in_and_negation():
    base = 'x | parse "user=*;" as user '
    assert [r[0] for r in rules(base + '| where isNull(user)')] == ["SUMO003"]
    assert [r[0] for r in rules(base + '| where user not in ("root")')] == ["SUMO003"]
    assert [r[0] for r in rules(base + '| where !(user = "root")')] == ["SUMO003"]
    assert rules(base + '| where user = "root"') == []
    assert rules(base + '| where !isEmpty(user) and !(user != "root")') == []
    assert [r[0] for r in rules(base + '| where !(user matches "r*") or x = 1')] == ["SUMO003", "SUMO002"]
    # a later assignment replaces the parsed value, so the drop no longer explains the test
    assert rules(base + '| if(isNull(user), "-", user) as user | where user != "-"') == []


def test_sumo004_anchor_parse_without_a_star():
    assert rules('x | parse "eventName" as e nodrop') == [("SUMO004", 1, 11)]
    assert rules('x | parse "eventName=*," as e nodrop') == []


def test_sumo005_unknown_operator_and_function():
    assert rules('x | wher a = 1') == [("SUMO005", 1, 5)]
    assert rules('x | json "a" as a | where isNul(a)') == [("SUMO005", 1, 27)]
    assert rules('x | json "a" as a nodrop | dedup by a | where isNull(a)') == []


def test_sumo006_length_limits():
    long_query = "x " + " ".join(["word"] * (MAX_QUERY_CHARS // 5 + 10))
    assert ("SUMO006", 1, 1) in rules(long_query)
    long_word = "x | where a = \"" + "y" * MAX_WORD_CHARS + "\""
    assert rules(long_word) == [("SUMO002", 1, 11), ("SUMO006", 1, 15)]
    assert not [r for r in rules("x | where a = \"" + "y" * 100 + "\"") if r[0] == "SUMO006"]


def test_findings_are_sorted_by_position():
    text = 'x\n| wher a\n| parse "abc" as y nodrop'
    assert rules(text) == [("SUMO005", 2, 3), ("SUMO004", 3, 9)]
