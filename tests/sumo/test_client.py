"""Client edge cases with `responses`: retries, backoff timing on a fake clock, paging, error mapping."""

from __future__ import annotations

import random

import pytest
import requests
import responses

from sumoctl.sumo import Backoff, SumoApiError, SumoClient, SumoConnectionError
from sumoctl.sumo.retry import parse_retry_after

BASE = "https://api.us2.sumologic.com/api/"
KEY = "k3y-that-must-never-leak-0123456789"


class FakeClock:
    """time.monotonic and time.sleep for the client: sleeping moves the clock, nothing waits."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


def client(clock, **kw) -> SumoClient:
    kw.setdefault("backoff", Backoff(base_s=0.5, cap_s=8.0, rng=random.Random(7)))
    kw.setdefault("retry_budget_s", 60.0)
    return SumoClient(BASE, "suABCDEF", KEY, throttle=kw.pop("throttle", False), clock=clock, sleep=clock.sleep, **kw)


def error_body(code: str, message: str = "m", id_: str = "ABCDE-FGHIJ-KLMNO") -> dict:
    return {"id": id_, "errors": [{"code": code, "message": message}]}


@responses.activate
def test_429_with_retry_after_waits_exactly_that_long(clock):
    url = BASE + "v1/monitors/root"
    responses.get(url, status=429, json=error_body("rate.limit.exceeded"), headers={"Retry-After": "3"})
    responses.get(url, json={"id": "0000000000000001", "children": []})
    assert client(clock).monitors.root()["id"] == "0000000000000001"
    assert clock.sleeps == [3.0]


@responses.activate
def test_backoff_grows_exponentially_with_bounded_jitter(clock):
    url = BASE + "v1/monitors/root"
    for status in (500, 502, 503, 504, 429):
        responses.get(url, status=status, json=error_body("internal.error"))
    responses.get(url, json={"id": "1"})
    c = client(clock)
    c.monitors.root()
    assert len(clock.sleeps) == 5
    for attempt, slept in enumerate(clock.sleeps, start=1):
        step = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert step / 2 <= slept <= step
    assert clock.sleeps[3] > clock.sleeps[0]
    assert c.stats.retries == 5 and c.stats.rate_limited == 1
    assert c.stats.requests_by_method["GET"] == 6


@responses.activate
def test_the_budget_stops_retries_and_the_last_error_surfaces(clock):
    url = BASE + "v1/monitors/root"
    responses.get(url, status=503, json=error_body("service.unavailable", "down"))
    with pytest.raises(SumoApiError) as info:
        client(clock, retry_budget_s=5.0).monitors.root()
    assert info.value.status == 503 and info.value.code == "service.unavailable"
    assert sum(clock.sleeps) <= 5.0
    assert len(responses.calls) == len(clock.sleeps) + 1 >= 3


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_client_errors_and_501_are_not_retried(clock, status):
    url = BASE + "v1/monitors/0000000000000009"
    responses.get(url, status=status, json=error_body("some.code"))
    with pytest.raises(SumoApiError) as info:
        client(clock).monitors.get("0000000000000009")
    assert info.value.status == status and clock.sleeps == [] and len(responses.calls) == 1


@responses.activate
def test_connection_errors_are_retried(clock):
    url = BASE + "v1/monitors/root"
    responses.get(url, body=requests.ConnectionError("reset by peer"))
    responses.get(url, json={"id": "1"})
    assert client(clock).monitors.root() == {"id": "1"}
    assert len(clock.sleeps) == 1


def test_error_mapping_standard_shape():
    from sumoctl.sumo.errors import error_from_body

    err = error_from_body(400, {"id": "HXYMD-VNQXH-WHANG", "errors": [
        {"code": "content:parent_not_found", "message": "Parent object not found.", "detail": "d"}]},
        method="POST", path="v1/monitors")
    assert (err.status, err.code, err.message, err.request_id, err.detail) == (
        400, "content:parent_not_found", "Parent object not found.", "HXYMD-VNQXH-WHANG", "d")
    assert str(err) == ("Sumo Logic API POST v1/monitors: HTTP 400 content:parent_not_found: "
                        "Parent object not found. (error id HXYMD-VNQXH-WHANG)")


def test_error_mapping_search_job_flat_shape_and_empty_bodies():
    from sumoctl.sumo.errors import error_from_body

    err = error_from_body(400, {"status": 400, "id": "IUUQI-DGH5I-TJ045", "code": "searchjob.invalid.timestamp.from",
                                "message": "bad from"}, method="POST", path="v1/search/jobs")
    assert (err.code, err.message, err.request_id) == ("searchjob.invalid.timestamp.from", "bad from", "IUUQI-DGH5I-TJ045")
    bare = error_from_body(503, None, method="GET", path="x")
    assert (bare.code, bare.message, bare.request_id) == ("service.unavailable", "HTTP 503", None)


@responses.activate
def test_a_moved_deployment_names_where_to_go(clock):
    responses.get(BASE + "v1/monitors/root", status=301, headers={"Location": "https://api.eu.sumologic.com/api/v1/monitors/root"})
    with pytest.raises(SumoApiError) as info:
        client(clock).monitors.root()
    assert info.value.code == "moved" and "api.eu.sumologic.com" in str(info.value)


@responses.activate
def test_a_truncated_2xx_body_is_an_unknown_outcome(clock):
    responses.get(BASE + "v1/monitors/root", body='{"id": "00', status=200, content_type="application/json")
    responses.get(BASE + "v1/monitors/root", json={"id": "1"})
    c = client(clock)
    assert c.monitors.root() == {"id": "1"}
    assert c.stats.unknown_outcomes == 1


@responses.activate
def test_connections_follow_next_tokens(clock):
    url = BASE + "v1/connections"
    responses.get(url, json={"data": [{"id": "A"}, {"id": "B"}], "next": "t1"},
                  match=[responses.matchers.query_param_matcher({"limit": "2"})])
    responses.get(url, json={"data": [{"id": "C"}], "next": None},
                  match=[responses.matchers.query_param_matcher({"limit": "2", "token": "t1"})])
    assert [c["id"] for c in client(clock).connections.list(page_size=2)] == ["A", "B", "C"]


@responses.activate
def test_log_searches_follow_tokens_until_null(clock):
    url = BASE + "v1/logSearches"
    responses.get(url, json={"logSearches": [{"id": "1"}], "token": "abc"},
                  match=[responses.matchers.query_param_matcher({"limit": "100"})])
    responses.get(url, json={"logSearches": [{"id": "2"}], "token": None},
                  match=[responses.matchers.query_param_matcher({"limit": "100", "token": "abc"})])
    assert [s["id"] for s in client(clock).log_searches.list()] == ["1", "2"]


@responses.activate
def test_monitor_search_pages_by_offset_until_a_short_page(clock):
    url = BASE + "v1/monitors/search"
    for offset, n in ((0, 2), (2, 2), (4, 1)):
        responses.get(url, json=[{"item": {"id": f"{offset + i}"}, "path": "/Monitor/x"} for i in range(n)],
                      match=[responses.matchers.query_param_matcher({"query": "det", "limit": "2", "offset": str(offset)})])
    hits = list(client(clock).monitors.search_all("det", page_size=2))
    assert [h["item"]["id"] for h in hits] == ["0", "1", "2", "3", "4"]


@responses.activate
def test_get_many_splits_ids_in_chunks_of_1000(clock):
    ids = [f"{i:016X}" for i in range(1500)]

    def answer(request):
        asked = request.params["ids"].split(",")
        return 200, {}, __import__("json").dumps({i: {"id": i} for i in asked})

    responses.add_callback(responses.GET, BASE + "v1/monitors", callback=answer)
    found = client(clock).monitors.get_many(ids)
    assert len(found) == 1500 and len(responses.calls) == 2


@responses.activate
def test_get_by_path_is_none_on_404(clock):
    responses.get(BASE + "v1/monitors/path", status=404, json=error_body("notfound"))
    assert client(clock).monitors.get_by_path("/Monitor/nope") is None


@responses.activate
def test_a_create_after_a_5xx_looks_before_it_posts_again(clock):
    parent = "0000000000000002"
    responses.post(BASE + "v1/monitors", status=502, json=error_body("bad.gateway"))
    # the lookup finds the monitor the lost attempt created
    responses.get(BASE + f"v1/monitors/{parent}", json={"id": parent, "children": [
        {"id": "00000000000000AA", "name": "det-1", "type": "MonitorsLibraryMonitorResponse", "createdAt": "2026-01-01T00:00:00Z"}]})
    c = client(clock)
    created = c.monitors.create(parent, {"type": "MonitorsLibraryMonitor", "name": "det-1"})
    assert created["id"] == "00000000000000AA"
    assert c.stats.requests_by_method["POST"] == 1 and c.stats.recovered_creates == 1


@responses.activate
def test_a_create_refused_with_429_is_retried_without_a_lookup(clock):
    responses.post(BASE + "v1/connections", status=429, json=error_body("rate.limit.exceeded"))
    responses.post(BASE + "v1/connections", json={"id": "C1", "type": "WebhookConnection"})
    c = client(clock)
    assert c.connections.create({"type": "WebhookDefinition", "name": "n", "url": "https://h", "defaultPayload": "{}"})["id"] == "C1"
    assert c.stats.lookups_after_unknown == 0 and c.stats.requests_by_method["GET"] == 0


@responses.activate
def test_a_delete_whose_answer_was_lost_is_done_when_the_retry_finds_nothing(clock):
    url = BASE + "v1/monitors/0000000000000003"
    responses.delete(url, body=requests.ConnectionError("reset"))
    responses.delete(url, status=404, json=error_body("notfound"))
    c = client(clock)
    assert c.monitors.delete("0000000000000003") is None  # the 404 after the lost answer is not an error
    assert [call.request.method for call in responses.calls] == ["DELETE", "DELETE"]
    assert c.stats.unknown_outcomes == 1


@responses.activate
def test_an_update_whose_answer_was_lost_is_recognised_by_its_version(clock):
    url = BASE + "v1/monitors/0000000000000004"
    responses.put(url, status=504, json=error_body("gateway.timeout"))
    responses.put(url, status=409, json=error_body("content:version_mismatch"))
    responses.get(url, json={"id": "0000000000000004", "version": 6, "name": "new"})
    updated = client(clock).monitors.update("0000000000000004", {"type": "MonitorsLibraryMonitorUpdate", "name": "new", "version": 5})
    assert updated["version"] == 6


@responses.activate
def test_a_stale_version_without_an_earlier_loss_is_an_error(clock):
    url = BASE + "v1/monitors/0000000000000004"
    responses.put(url, status=409, json=error_body("content:version_mismatch"))
    with pytest.raises(SumoApiError) as info:
        client(clock).monitors.update("0000000000000004", {"type": "MonitorsLibraryMonitorUpdate", "name": "n", "version": 1})
    assert info.value.code == "content:version_mismatch"


@responses.activate
def test_requests_carry_basic_auth_json_and_a_sumoctl_user_agent(clock):
    from sumoctl import __version__

    responses.post(BASE + "v2/content/folders", json={"id": "F"})
    client(clock).folders.create("name", "0000000000000005")
    sent = responses.calls[0].request
    assert sent.headers["Authorization"].startswith("Basic ")
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"].startswith(f"sumoctl/{__version__}")


def test_the_throttle_spaces_starts_a_quarter_second_apart(clock):
    from sumoctl.sumo.throttle import Throttle

    throttle = Throttle(clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(9):
        with throttle.slot():
            starts.append(clock.now)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(abs(g - 0.25) < 1e-9 for g in gaps)


def test_the_throttle_caps_requests_in_flight():
    import threading
    import time

    from sumoctl.sumo.throttle import Throttle

    throttle = Throttle(rate=10_000, concurrency=3)
    in_flight, peak, lock = [0], [0], threading.Lock()

    def work():
        with throttle.slot():
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.02)
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 3


@pytest.mark.parametrize("value, expected", [("3", 3.0), ("0", 0.0), ("1.5", 1.5), (None, None), ("soon", None),
                                             ("Wed, 21 Oct 2015 07:28:05 GMT", 5.0)])
def test_retry_after_seconds_or_http_date(value, expected):
    from datetime import datetime, timezone

    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert parse_retry_after(value, now) == expected


@responses.activate
def test_no_answer_at_all_becomes_a_connection_error_after_the_budget(clock):
    responses.get(BASE + "v1/monitors/root", body=requests.ConnectTimeout("timed out"))
    with pytest.raises(SumoConnectionError) as info:
        client(clock, retry_budget_s=3).monitors.root()
    assert info.value.status is None and "no answer" in str(info.value)


def test_a_client_does_not_change_the_backoff_it_was_given():
    shared = Backoff(base_s=0.001, cap_s=0.01, budget_s=7.0)
    c = SumoClient(BASE, "id", "key-0123456789", throttle=False, retry_budget_s=3.0, backoff=shared)
    assert c.backoff.budget_s == 3.0 and c.backoff.base_s == 0.001
    assert shared.budget_s == 7.0
