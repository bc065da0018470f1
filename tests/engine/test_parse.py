"""`parse regex` / `extract`, anchor parse, nodrop, multi, field=, and nodrop chains."""

import pytest

from sumoctl.engine import QueryInvalid
from tests.engine.helpers import RECORD, one, record, rows


def test_regex_named_groups_from_raw():
    assert one('| parse regex "\\"userName\\":\\"(?<u>[^\\"]+)\\""', "u") == "Alice"  # first occurrence


def test_extract_is_parse_regex():
    assert one('| extract "\\"eventName\\":\\"(?<e>\\w+)\\""', "e") == "CreateUser"


def test_regex_no_match_drops_without_nodrop():
    assert rows('| parse regex "(?<x>ZZQQ\\d+)"') == []


def test_regex_no_match_with_nodrop_keeps_a_null():
    result = rows('| parse regex "(?<x>ZZQQ\\d+)" nodrop')
    assert len(result) == 1 and result[0]["x"] is None


def test_regex_is_case_sensitive_unless_flagged():
    assert rows('| parse regex "(?<e>createuser)"') == []
    assert one('| parse regex "(?i)(?<e>createuser)"', "e") == "CreateUser"


def test_regex_field_option():
    q = '| json "userIdentity.arn" as arn | parse regex field=arn "user/(?<who>.+)$"'
    assert one(q, "who") == "Alice"


def test_regex_multi_fans_out_one_copy_per_match():
    q = '| json "requestParameters.tags" as tags | parse regex field=tags "\\"value\\":\\"(?<v>\\w+)\\"" multi | count by v'
    assert sorted(r["v"] for r in rows(q)) == ["dev", "red"]


def test_regex_without_named_group_is_refused():
    with pytest.raises(QueryInvalid, match="named group"):
        rows('| parse regex "(\\d+)"')


def test_whole_message_prelude_copies_raw():
    q = '| parse regex "(?<raw>{.*)" | json field=raw "eventName" as e'
    assert one(q, "e") == "CreateUser"


@pytest.mark.parametrize(
    "pattern, fields, expected",
    [
        ('"\\"eventName\\":\\"*\\""', "e", {"e": "CreateUser"}),
        ('"\\"userName\\":\\"*\\""', "u", {"u": "Alice"}),  # first occurrence wins (userIdentity before requestParameters)
        ('"\\"EVENTNAME\\":\\"*\\""', "e", {"e": "CreateUser"}),  # literals match case-insensitively (choice)
        ('"arn:aws:iam::*:*\\""', "acct, rest", {"acct": "111122223333", "rest": "user/Alice"}),
    ],
)
def test_anchor_parse(pattern, fields, expected):
    result = rows(f"| parse {pattern} as {fields}")
    assert len(result) == 1
    for key, value in expected.items():
        assert result[0][key] == value


def test_anchor_trailing_star_takes_the_rest():
    q = '| json "userIdentity.arn" as arn | parse field=arn "arn:aws:iam::*:*" as acct, res'
    result = rows(q)
    assert result[0]["acct"] == "111122223333" and result[0]["res"] == "user/Alice"


def test_anchor_leading_star():
    q = '| json "userIdentity.arn" as arn | parse field=arn "*:user/*" as head, who'
    assert rows(q)[0]["who"] == "Alice"


def test_anchor_no_match_drops_or_nulls():
    assert rows('| parse "ZZQQ*QQ" as x') == []
    assert rows('| parse "ZZQQ*QQ" as x nodrop')[0]["x"] is None


def test_nodrop_chain_acts_as_or():
    # A message matched by an earlier nodrop parse survives a later parse that fails on it.
    q = '| parse "\\"eventName\\":\\"*\\"" as e nodrop | parse "ZZQQ*QQ" as z'
    assert len(rows(q)) == 1
    # Matched by neither: dropped by the parse without nodrop.
    q = '| parse "YYQQ*QQ" as y nodrop | parse "ZZQQ*QQ" as z'
    assert rows(q) == []


def test_without_nodrop_chain_is_and():
    assert rows('| parse "\\"eventName\\":\\"*\\"" as e | parse "ZZQQ*QQ" as z') == []


def test_parse_of_a_null_field_does_not_match():
    q = '| json "nope" as n nodrop | parse regex field=n "(?<x>.*)" nodrop'
    assert rows(q)[0]["x"] is None


def test_raw_is_compact_json_in_original_key_order():
    result = rows('| parse regex "^(?<head>.{30})"')
    assert result[0]["head"] == '{"eventVersion":"1.08","userId'
    assert list(record().keys())[0] == "eventVersion" == list(RECORD)[0]


@pytest.mark.parametrize("pattern,raw_key,expected", [
    ('"(?i)username":"(?<u>[^"]*)"', "UserName", "bob"),        # a flag group after the start (Java allows it)
    ('"(?i)username":"(?<u>[^"]*)"', "username", "bob"),
    ('"user(?i)NAME":"(?<u>[^"]*)"', "userName", "bob"),
    ('"user(?i)NAME":"(?<u>[^"]*)"', "USERNAME", None),          # before the flag, case still counts
    ('"(?:user(?i)n)ame":"(?<u>[^"]*)"', "userNAME", None),      # the flag ends with its enclosing group
    ('"(?:user(?i)n)ame":"(?<u>[^"]*)"', "userName", "bob"),
    ('(?i)"USERNAME":"(?<u>[^"]*)"', "userName", "bob"),         # at the start: global, as before
])
def test_inline_flag_groups_apply_to_the_rest_of_their_group(pattern, raw_key, expected):
    query = '_sourceCategory=aws/cloudtrail | parse regex "' + pattern.replace('"', '\\"') + '" nodrop | fields u'
    result = rows(query, [{"eventName": "X", raw_key: "bob"}])
    assert result[0].get("u") == expected
