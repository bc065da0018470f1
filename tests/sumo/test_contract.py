"""The contract check itself: it catches what breaks the spec, and its exceptions are the listed gaps only."""

from __future__ import annotations

import json

from tests.fakesumo.contract import KNOWN_GAPS, SPEC_PATH, check_call
from tests.fakesumo.server import Call
from tests.sumo.builders import logs_monitor

HEADERS = {"Content-Type": "application/json", "Authorization": "(sensitive)"}
MONITOR_RESPONSE = {
    **logs_monitor("m"), "type": "MonitorsLibraryMonitorResponse", "id": "0000000000A1B001", "version": 0,
    "createdAt": "2026-01-01T00:00:00Z", "createdBy": "0000000006743FDD", "modifiedAt": "2026-01-01T00:00:00Z",
    "modifiedBy": "0000000006743FDD", "parentId": "0000000000A1B000", "contentType": "Monitor", "description": "",
    "isSystem": False, "isMutable": True, "permissions": [],
}


def call(method, path, query=(), request=None, status=200, response=None, refused=False) -> Call:
    return Call(method, path, list(query), dict(HEADERS), json.dumps(request).encode() if request is not None else b"",
                status, {"Content-Type": "application/json"},
                json.dumps(response).encode() if response is not None else b"", validation_refusal=refused)


def test_the_spec_is_found_beside_the_repository():
    assert SPEC_PATH.is_file() and SPEC_PATH.parent.parent.name == "shared"


def test_the_known_gaps_are_the_documented_ones():
    assert set(KNOWN_GAPS) == {"search jobs", "monitor tags", "monitor isLocked", "null page token"}
    assert all(len(why) > 20 for _, why in KNOWN_GAPS.values())


def test_a_conforming_create_passes():
    assert check_call(call("POST", "/api/v1/monitors", [("parentId", "0000000000A1B000")], logs_monitor("m"),
                           200, MONITOR_RESPONSE)) == []


def test_tags_and_is_locked_are_the_only_tolerated_extras_and_still_must_be_well_formed_elsewhere():
    with_gaps = {**MONITOR_RESPONSE, "tags": {"a": "b"}, "isLocked": False}
    assert check_call(call("GET", "/api/v1/monitors/0000000000A1B001", response=with_gaps)) == []


def test_a_response_missing_a_required_field_fails():
    broken = {k: v for k, v in MONITOR_RESPONSE.items() if k != "version"}
    problems = check_call(call("GET", "/api/v1/monitors/0000000000A1B001", response=broken))
    assert problems and "response 200" in problems[0]


def test_a_wrongly_typed_field_fails():
    broken = {**MONITOR_RESPONSE, "isMutable": "yes"}
    assert check_call(call("GET", "/api/v1/monitors/0000000000A1B001", response=broken))


def test_an_accepted_request_that_breaks_the_spec_fails():
    problems = check_call(call("POST", "/api/v1/monitors", [], logs_monitor("m"), 200, MONITOR_RESPONSE))
    assert any(p.startswith("request POST /api/v1/monitors") for p in problems)  # parentId is required


def test_a_refused_invalid_request_is_fine_if_the_refusal_is_a_standard_error():
    error = {"id": "AAAAA-BBBBB-CCCCC", "errors": [{"code": "api.missing.parameter", "message": "parentId"}]}
    assert check_call(call("POST", "/api/v1/monitors", [], logs_monitor("m"), 400, error, refused=True)) == []
    assert check_call(call("POST", "/api/v1/monitors", [], logs_monitor("m"), 400, {"oops": 1}, refused=True))


def test_error_answers_must_have_the_standard_shape():
    assert check_call(call("GET", "/api/v1/monitors/root", status=503, response={"message": "down"}))


def test_search_jobs_are_outside_the_spec():
    assert check_call(call("GET", "/api/v1/search/jobs/0000000000000001", response={"anything": True})) == []


def test_a_null_page_token_is_tolerated_but_a_wrong_page_is_not():
    assert check_call(call("GET", "/api/v1/logSearches", response={"logSearches": [], "token": None})) == []
    assert check_call(call("GET", "/api/v1/logSearches", response={"logSearches": [], "token": 5}))
