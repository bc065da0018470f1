"""`json`: paths, arrays, missing keys with and without nodrop, value rendering."""

import pytest

from sumoctl.engine import QueryNotSupported, Semantics
from tests.engine.helpers import one, record, rows


@pytest.mark.parametrize(
    "path, expected",
    [
        ("eventName", "CreateUser"),
        ("userIdentity.userName", "Alice"),
        ("userIdentity.sessionContext.attributes.mfaAuthenticated", "false"),
        ("additionalEventData.count", "3"),
        ("additionalEventData.ratio", "1.5"),
        ("additionalEventData.flag", "true"),
        ("readOnly", "false"),
        ("requestParameters.tags[0].value", "red"),
        ("requestParameters.tags[1].key", "env"),
        ("requestParameters.tags[*].value", '["red","dev"]'),
        # a wildcard over an object walks its member values in document order; members without the rest of
        # the path are left out, as array elements are
        ("requestParameters[*]", '["bob",[{"key":"team","value":"red"},{"key":"env","value":"dev"}]]'),
        ("userIdentity.*.attributes", '[{"mfaAuthenticated":"false"}]'),
        ("$['userIdentity']*['attributes']['mfaAuthenticated']", '["false"]'),
        ("requestParameters.tags.*.key", '["team","env"]'),
        ("additionalEventData.*", '["No",3,1.5,true]'),
        ("eventName.*", None),  # a wildcard over a string finds nothing
        ("requestParameters.tags[0]", '{"key":"team","value":"red"}'),
        ("userIdentity.sessionContext", '{"attributes":{"mfaAuthenticated":"false"}}'),
        ("['eventName']", "CreateUser"),
        ("responseElements", None),  # JSON null becomes a null field
    ],
)
def test_json_path_values(path, expected):
    assert one(f'| json "{path}" as v nodrop', "v") == expected


def test_json_keys_are_case_sensitive():
    assert one('| json "eventname" as v nodrop', "v") is None


def test_field_named_by_path_without_as():
    result = rows('| json "userIdentity.type" | where %"userIdentity.type" = "IAMUser"')
    assert result and result[0]["userIdentity.type"] == "IAMUser"
    result = rows('| json "userIdentity.type" | count by %"userIdentity.type"')
    assert result == [{"userIdentity.type": "IAMUser", "_count": 1}]


def test_missing_key_drops_without_nodrop():
    assert rows('| json "nope" as v') == []


def test_one_missing_key_among_several_drops_without_nodrop():
    assert rows('| json "eventName", "nope" as a, b') == []
    assert len(rows('| json "eventName", "nope" as a, b', semantics=Semantics(json_drops_on_any_missing_key=False))) == 1


def test_missing_key_with_nodrop_keeps_null():
    result = rows('| json "eventName", "nope" as a, b nodrop')
    assert result[0]["a"] == "CreateUser" and result[0]["b"] is None


def test_not_json_input_drops_or_nulls():
    assert rows('| parse regex "(?<head>^.{5})" | json field=head "a" as v') == []
    assert rows('| parse regex "(?<head>^.{5})" | json field=head "a" as v nodrop')[0]["v"] is None


def test_index_out_of_range_is_missing():
    assert one('| json "requestParameters.tags[5].value" as v nodrop', "v") is None


def test_path_through_a_non_object_is_missing():
    assert one('| json "eventName.x" as v nodrop', "v") is None


def test_records_with_at_timestamp_get_a_message_time():
    logstash = record(eventTime=..., **{"@timestamp": "2020-09-14T01:19:40.123Z"})
    assert one("| timeslice 1h | count by _timeslice", "_timeslice", [logstash]) == 1600045200000


def test_json_path_filter_is_refused_not_skipped():
    with pytest.raises(QueryNotSupported) as info:
        rows("| json \"requestParameters.tags[?(@.key == 'env')].value\" as v")
    assert "filter" in str(info.value) and info.value.pos.column == 8
