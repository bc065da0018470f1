import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sumoctl.sync.normalise import canonical_connection, canonical_monitor, duration_seconds, payload_text


@pytest.mark.parametrize("text, seconds", [
    ("15m", 900), ("-15m", 900), ("60m", 3600), ("1h", 3600), ("-1h", 3600), ("0m", 0), ("1d", 86400),
    ("90s", 90), ("1w", 604800), ("-2h30m", 9000),
])
def test_durations_compare_as_absolute_seconds(text, seconds):
    assert duration_seconds(text) == seconds


def test_a_value_that_is_not_a_duration_passes_through():
    assert duration_seconds(" Custom ") == "Custom"
    assert duration_seconds(None) is None


def test_payload_blanks_and_key_order_do_not_matter():
    a = '{"text": "{{Name}} fired", "results": {{ResultsJson}}, "n": 1}'
    b = '{ "n":1,\n  "results":{{ResultsJson}},"text":"{{Name}} fired" }'
    assert payload_text(a) == payload_text(b)


def test_a_bare_variable_differs_from_the_same_variable_in_quotes():
    assert payload_text('{"r": {{ResultsJson}}}') != payload_text('{"r": "{{ResultsJson}}"}')


def test_payload_values_that_differ_stay_different():
    assert payload_text('{"text": "a"}') != payload_text('{"text": "b"}')


def test_a_payload_that_is_not_json_is_only_trimmed():
    assert payload_text("  alert {{Name}}  ") == "alert {{Name}}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2, 4]), st.booleans())
def test_any_reserialisation_of_a_payload_normalises_the_same(value, indent, sort_keys):
    original = json.dumps({"v": value, "results": "{{ResultsJson}}"})
    rewritten = json.dumps({"results": "{{ResultsJson}}", "v": value}, indent=indent, sort_keys=sort_keys)
    assert payload_text(original) == payload_text(rewritten)


def _monitor(**changes):
    body = {
        "name": "m", "description": "d", "queries": [{"rowId": "A", "query": "x | count\n"}],
        "triggers": [
            {"detectionMethod": "LogsStaticCondition", "triggerType": "Critical", "timeRange": "-60m",
             "frequency": "5m", "threshold": 0, "thresholdType": "GreaterThan"},
            {"detectionMethod": "LogsStaticCondition", "triggerType": "ResolvedCritical", "timeRange": "-60m",
             "frequency": "5m", "threshold": 0, "thresholdType": "LessThanOrEqual", "resolutionWindow": "-60m"},
        ],
        "notifications": [{"notification": {"connectionType": "Webhook", "connectionId": "@connection:c",
                                            "payloadOverride": '{"a": 1}'},
                           "runForTriggerTypes": ["Critical", "ResolvedCritical"]}],
        "evaluationDelay": "0m", "isDisabled": False,
    }
    body.update(changes)
    return body


def test_a_monitor_as_the_server_rewrites_it_normalises_like_the_one_sent():
    sent = _monitor()
    returned = _monitor(
        triggers=[
            {"detectionMethod": "LogsStaticCondition", "triggerType": "ResolvedCritical", "timeRange": "1h",
             "frequency": "5m", "threshold": 0.0, "thresholdType": "LessThanOrEqual"},
            {"detectionMethod": "LogsStaticCondition", "triggerType": "Critical", "timeRange": "1h",
             "frequency": "5m", "threshold": 0.0, "thresholdType": "GreaterThan", "resolutionWindow": "1h"},
        ],
        notifications=[{"notification": {"connectionType": "Webhook", "connectionId": "0000000000000ABC",
                                         "payloadOverride": '{\n  "a" : 1\n}'},
                        "runForTriggerTypes": ["ResolvedCritical", "Critical"]}],
        groupNotifications=True, playbook="", notificationGroupFields=[], status=["Normal"], version=7,
    )
    names_sent = {"@connection:c": "c"}
    names_read = {"0000000000000ABC": "c"}
    assert canonical_monitor(sent, names_sent) == canonical_monitor(returned, names_read)


def test_a_real_edit_of_a_monitor_shows():
    base = canonical_monitor(_monitor(), {})
    assert canonical_monitor(_monitor(isDisabled=True), {}) != base
    triggers = _monitor()["triggers"]
    triggers[0] = {**triggers[0], "threshold": 5}
    assert canonical_monitor(_monitor(triggers=triggers), {})["triggers"] != base["triggers"]


def test_masked_header_values_do_not_enter_the_connection_form():
    sent = {"name": "c", "headers": [{"name": "Authorization", "value": "Bearer s3cr3t"}], "defaultPayload": "{}"}
    read = {"name": "c", "headers": [{"name": "Authorization", "value": "********"}], "defaultPayload": "{ }"}
    assert canonical_connection(sent) == canonical_connection(read)
    assert "s3cr3t" not in json.dumps(canonical_connection(sent))
