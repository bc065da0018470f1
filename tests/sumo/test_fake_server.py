"""The fake behaves as sumo-api.md says Sumo Logic does (§9). Driven through the client where it can be,
raw `requests` where the client would never send such a request."""

from __future__ import annotations

import re

import pytest
import requests

from sumoctl.sumo import SumoApiError
from tests.fakesumo.connections import MASK
from tests.sumo.builders import log_search, logs_monitor, webhook


@pytest.fixture
def fake(fake_sumo):
    return fake_sumo()


@pytest.fixture
def client(fake, fast_client):
    return fast_client(fake)


def raw(fake, method, path, *, auth=True, **kw):
    return requests.request(method, fake.endpoint + path, auth=(fake.access_id, fake.access_key) if auth else None,
                            timeout=5, **kw)


def test_wrong_or_missing_credentials_are_401_unauthorized(fake):
    for auth in (None, (fake.access_id, "wrong-key")):
        resp = requests.get(fake.endpoint + "v1/monitors/root", auth=auth, timeout=5)
        assert resp.status_code == 401
        body = resp.json()
        assert body["errors"][0]["code"] == "unauthorized"
        assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}", body["id"])


def test_a_body_that_is_not_json_content_is_415(fake):
    resp = raw(fake, "POST", "v1/connections", data=b'{"a":1}', headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415 and resp.json()["errors"][0]["code"] == "contenttype.invalid"


def test_unknown_routes_are_404_and_wrong_methods_405(fake):
    assert raw(fake, "GET", "v1/nothing").json()["errors"][0]["code"] == "notfound"
    resp = raw(fake, "PATCH", "v1/monitors/root")
    assert resp.status_code == 405 and resp.json()["errors"][0]["code"] == "method.unsupported"


def test_the_root_folder_is_monitor_with_16_hex_ids(client):
    root = client.monitors.root()
    assert root["name"] == "Monitor" and root["type"] == "MonitorsLibraryFolderResponse"
    assert re.fullmatch(r"[0-9A-F]{16}", root["id"])
    assert client.monitors.get_by_path("/Monitor")["id"] == root["id"]


def test_create_fills_defaults_canonicalises_durations_and_keeps_tags(client, fake):
    body = logs_monitor("m", evaluationDelay="60m", tags={"owner": "secops"})
    body["triggers"][0]["timeRange"] = "60m"
    body["triggers"][1]["resolutionWindow"] = "-120m"
    created = client.monitors.create(fake.state.monitor_root_id, body)
    assert created["evaluationDelay"] == "1h"
    assert created["triggers"][0]["timeRange"] == "-1h"
    assert created["triggers"][1]["resolutionWindow"] == "-2h"
    assert created["tags"] == {"owner": "secops"} and created["isLocked"] is False
    for key, value in {"description": "", "notifications": [], "groupNotifications": True, "isDisabled": False,
                       "status": ["Normal"], "contentType": "Monitor", "isSystem": False, "isMutable": True,
                       "version": 0, "type": "MonitorsLibraryMonitorResponse"}.items():
        assert created[key] == value, key


def test_create_needs_a_known_folder_as_parent(fake, client):
    with pytest.raises(SumoApiError) as info:
        client.monitors.create(fake.state.personal_folder_id, logs_monitor("m"))  # a content-library id
    assert info.value.code == "content:parent_not_found"
    resp = raw(fake, "POST", "v1/monitors", json=logs_monitor("m"))
    assert resp.status_code == 400


def test_update_checks_the_version_and_the_update_type(client, fake):
    created = client.monitors.create(fake.state.monitor_root_id, logs_monitor("m"))
    update = {**created, "type": "MonitorsLibraryMonitorUpdate", "description": "changed"}
    updated = client.monitors.update(created["id"], update)
    assert updated["version"] == 1 and updated["description"] == "changed"
    assert updated["modifiedAt"] >= created["modifiedAt"]
    with pytest.raises(SumoApiError) as stale:
        client.monitors.update(created["id"], update)  # still version 0
    assert stale.value.status == 409 and stale.value.code == "content:version_mismatch"
    with pytest.raises(SumoApiError) as wrong_type:
        client.monitors.update(created["id"], {**updated, "type": "MonitorsLibraryMonitor"})
    assert wrong_type.value.status == 400


def test_a_ui_edit_moves_the_version(client, fake):
    created = client.monitors.create(fake.state.monitor_root_id, logs_monitor("m"))
    fake.state.edit_monitor(created["id"], description="edited in the UI")
    assert client.monitors.get(created["id"])["version"] == 1


def test_folders_children_paths_search_move_and_delete(client, fake):
    root = fake.state.monitor_root_id
    folder = client.monitors.create_folder(root, "Security")
    sub = client.monitors.create_folder(folder["id"], "sumoctl")
    m = client.monitors.create(sub["id"], logs_monitor("Console login"))
    assert [c["id"] for c in client.monitors.get(sub["id"])["children"]] == [m["id"]]
    assert client.monitors.get_by_path("/Monitor/Security/sumoctl/Console login")["id"] == m["id"]
    assert client.monitors.path_of(m["id"]) == "/Monitor/Security/sumoctl/Console login"
    assert [h["path"] for h in client.monitors.search("console")] == ["/Monitor/Security/sumoctl/Console login"]
    assert [h["item"]["id"] for h in client.monitors.search("type:folder")] == [folder["id"], sub["id"]]
    moved = client.monitors.move(m["id"], folder["id"])
    assert moved["parentId"] == folder["id"]
    with pytest.raises(SumoApiError):
        client.monitors.move(folder["id"], sub["id"])  # into its own child
    client.monitors.delete(folder["id"])
    assert set(fake.state.monitors) == {root}
    assert client.monitors.get_by_path("/Monitor/Security") is None


@pytest.mark.parametrize("name", ["a/b", " lead", "trail ", ""])
def test_monitor_names_follow_the_path_rules(client, fake, name):
    with pytest.raises(SumoApiError) as info:
        client.monitors.create(fake.state.monitor_root_id, logs_monitor(name))
    assert info.value.status == 400


def test_a_notification_must_name_an_existing_connection(client, fake):
    body = logs_monitor("m", notifications=[{"notification": {"connectionType": "Webhook", "connectionId": "00000000DEADBEEF"},
                                             "runForTriggerTypes": ["Critical"]}])
    with pytest.raises(SumoApiError) as info:
        client.monitors.create(fake.state.monitor_root_id, body)
    assert info.value.code == "connection:not_found"


def test_webhook_definition_in_webhook_connection_out_with_masked_headers(client, fake):
    conn = client.connections.create(webhook("hook", token="Bearer abc123secret"))
    assert conn["type"] == "WebhookConnection"
    assert conn["headers"] == [{"name": "Authorization", "value": MASK}]
    assert conn["url"] == "https://hooks.example.com/services/T000/B000/XXXXsecretpath"  # Sumo returns it in clear
    assert client.connections.get(conn["id"])["headers"][0]["value"] == MASK
    assert fake.state.connections[conn["id"]]["headers"][0]["value"] == "Bearer abc123secret"


def test_connection_delete_requires_type(client, fake):
    conn = client.connections.create(webhook("hook"))
    resp = raw(fake, "DELETE", f"v1/connections/{conn['id']}")
    assert resp.status_code == 400
    client.connections.delete(conn["id"])
    assert fake.state.connections == {}


def test_connection_payloads_must_be_json(client):
    with pytest.raises(SumoApiError) as info:
        client.connections.create({**webhook("hook"), "defaultPayload": "{not json"})
    assert info.value.code == "connection:invalid_payload"


def test_connections_page_with_next_tokens(client, fake):
    for i in range(7):
        client.connections.create(webhook(f"hook-{i}"))
    assert [c["name"] for c in client.connections.list(page_size=3)] == [f"hook-{i}" for i in range(7)]
    assert fake.count("GET", "/api/v1/connections") == 3


def test_log_searches_crud_paging_and_content_children(client, fake):
    folder = client.folders.create("sumoctl", fake.state.personal_folder_id)
    created = [client.log_searches.create(log_search(f"det {i}", folder["id"])) for i in range(5)]
    assert [s["name"] for s in client.log_searches.list(page_size=2)] == [f"det {i}" for i in range(5)]
    children = client.folders.get(folder["id"])["children"]
    assert {c["itemType"] for c in children} == {"Search"} and len(children) == 5
    first = created[0]
    updated = client.log_searches.update(first["id"], {**log_search("det 0", folder["id"]), "description": "d"})
    assert updated["description"] == "d" and updated["createdAt"] == first["createdAt"]
    client.log_searches.delete(first["id"])
    assert len(list(client.log_searches.list())) == 4


@pytest.mark.parametrize("name", ["bad[name]", "no!", "tilde~", "émoji", "x" * 256])
def test_log_search_names_follow_sumos_pattern(client, fake, name):
    with pytest.raises(SumoApiError) as info:
        client.log_searches.create(log_search(name, fake.state.personal_folder_id))
    assert info.value.status == 400


def test_realtime_scheduled_searches_are_refused(client, fake):
    conn = client.connections.create(webhook("hook"))
    schedule = {"scheduleType": "RealTime", "timeZone": "UTC",
                "parseableTimeRange": {"type": "BeginBoundedTimeRange",
                                       "from": {"type": "RelativeTimeRangeBoundary", "relativeTime": "-15m"}},
                "notification": {"taskType": "WebhookSearchNotificationSyncDefinition", "webhookId": conn["id"]}}
    with pytest.raises(SumoApiError) as info:
        client.log_searches.create(log_search("rt", fake.state.personal_folder_id, schedule=schedule))
    assert info.value.code == "logsearch:realtime_deprecated"
    ok = client.log_searches.create(log_search("every 15", fake.state.personal_folder_id,
                                               schedule={**schedule, "scheduleType": "15Minutes"}))
    assert ok["schedule"]["muteErrorEmails"] is False


def test_content_folders_personal_paths_and_duplicates(client, fake):
    personal = client.folders.personal()
    assert personal["id"] == fake.state.personal_folder_id
    folder = client.folders.create("sumoctl", personal["id"], "managed")
    assert client.folders.get_by_path("/Library/Users/sumoctl-tests@example.com/sumoctl")["id"] == folder["id"]
    assert client.folders.get_by_path("/Library/Users/sumoctl-tests@example.com/none") is None
    with pytest.raises(SumoApiError) as info:
        client.folders.create("sumoctl", personal["id"])
    assert info.value.code == "content:duplicate_content"


def test_search_jobs_need_the_session_cookie(client, fake):
    job = client.search_jobs.create("error", 0, 1000)
    resp = raw(fake, "GET", f"v1/search/jobs/{job}")  # a fresh session: no cookie
    assert resp.status_code == 404
    assert resp.json()["code"] == "searchjob.jobid.invalid" and resp.json()["status"] == 404
    assert client.search_jobs.status(job).state == "GATHERING RESULTS"
    assert client.search_jobs.status(job).state == "DONE GATHERING RESULTS"


@pytest.mark.parametrize("body, code", [
    ({"query": "", "from": 0, "to": 1, "timeZone": "UTC"}, "searchjob.no.query"),
    ({"query": "x", "from": "-1h", "to": 1, "timeZone": "UTC"}, "searchjob.invalid.timestamp.from"),
    ({"query": "x", "from": 5, "to": 1, "timeZone": "UTC"}, "searchjob.to.smaller.than.from"),
    ({"query": "x", "from": 0, "to": 1, "timeZone": "Mars/Base"}, "searchjob.unknown.timezone"),
    ({"query": "x", "from": 0, "to": 1}, "searchjob.empty.timezone"),
])
def test_search_job_create_errors_use_the_flat_shape(fake, body, code):
    resp = raw(fake, "POST", "v1/search/jobs", json=body)
    assert resp.status_code == 400 and resp.json()["code"] == code


def test_search_job_records_only_for_aggregates_and_paging_limits(client, fake):
    from tests.fakesumo import SearchOutcome

    fake.state.search_outcomes["a | count by b"] = SearchOutcome(records=[{"b": str(i), "_count": "1"} for i in range(5)])
    job = client.search_jobs.create("a | count by b", 0, 1000)
    assert [r["map"]["b"] for r in client.search_jobs.records(job, 2, 2)["records"]] == ["2", "3"]
    plain = client.search_jobs.create("a", 0, 1000)
    with pytest.raises(SumoApiError) as info:
        client.search_jobs.records(plain, 0, 10)
    assert info.value.code == "searchjob.no.records.not.an.aggregation.query"
    resp = requests.get(fake.endpoint + f"v1/search/jobs/{plain}/messages", params={"offset": 0},
                        cookies=client._session.cookies, auth=(fake.access_id, fake.access_key), timeout=5)
    assert resp.json()["code"] == "searchjob.limit.missing"


def test_a_query_error_is_reported_once_as_a_delta(client):
    job = client.search_jobs.create('x | parse "a*', 0, 1000)
    first, second = client.search_jobs.status(job), client.search_jobs.status(job)
    assert first.pendingErrors and first.pendingErrors[0].startswith("Parse error")
    assert second.pendingErrors == []


def test_faults_parse_and_draw_reproducibly():
    from tests.fakesumo import Faults

    a = Faults.parse("429=20%,5xx=10%,reset=5%,lost-response=5%", seed=3)
    b = Faults.parse("429=0.2,5xx=0.1,reset=0.05,lost=0.05", seed=3)
    draws = [a.draw() for _ in range(2000)]
    assert draws == [b.draw() for _ in range(2000)]
    share = {k: draws.count(k) / 2000 for k in ("429", "5xx", "reset", "lost-response")}
    assert 0.16 < share["429"] < 0.24 and 0.07 < share["5xx"] < 0.13 and draws.count(None) > 1000
    with pytest.raises(ValueError):
        Faults.parse("teapot=5%")


def test_slow_answers_are_slow(fake_sumo, fast_client):
    import time

    fake = fake_sumo(latency_s=0.2)
    start = time.monotonic()
    fast_client(fake).monitors.root()
    assert time.monotonic() - start >= 0.2


def test_a_search_job_left_unpolled_is_cancelled(client, fake):
    import time

    job = client.search_jobs.create("error", 0, 1000)
    client.search_jobs.status(job)
    fake.state.search_job_idle_s = 0.05
    time.sleep(0.2)
    with pytest.raises(SumoApiError) as info:
        client.search_jobs.status(job)
    assert info.value.status == 404 and info.value.code == "searchjob.jobid.invalid"
    assert fake.state.search_jobs[job].cancelled
