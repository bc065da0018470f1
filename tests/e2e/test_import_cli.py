"""`sumoctl import` against the fake: UI-made objects become detections and are adopted in place."""

from __future__ import annotations


def _ui_monitor(o, folder_id, connection_id, name, **extra):
    monitor = {
        "type": "MonitorsLibraryMonitor", "name": name, "description": extra.pop("description", "Made in the UI."),
        "monitorType": "Logs",
        "queries": [{"rowId": "A", "query": '_sourceCategory=aws/cloudtrail eventName=CreateUser\n| count by userName'}],
        "triggers": [
            {"detectionMethod": "LogsStaticCondition", "triggerType": "Critical", "timeRange": "-30m",
             "frequency": "10m", "threshold": 0, "thresholdType": "GreaterThan"},
            {"detectionMethod": "LogsStaticCondition", "triggerType": "ResolvedCritical", "timeRange": "-30m",
             "frequency": "10m", "threshold": 0, "thresholdType": "LessThanOrEqual", "resolutionWindow": "-30m"},
        ],
        "notifications": [{"notification": {"connectionType": "Webhook", "connectionId": connection_id,
                                            "payloadOverride": '{"text": "{{Name}}: {{TriggerType}}", "rows": {{ResultsJson}}}'},
                           "runForTriggerTypes": ["Critical", "ResolvedCritical"]}],
        **extra,
    }
    client = o.client()
    return client.monitors.create(folder_id, monitor)


def test_import_adopts_ui_monitors_in_place(org):
    o = org()
    assert o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0
    client = o.client()
    slack = next(c for c in client.connections.list() if c["name"] == "secops-slack")
    ui_folder = client.monitors.create(client.monitors.root()["id"], {"type": "MonitorsLibraryFolder", "name": "UI"})
    made = _ui_monitor(o, ui_folder["id"], slack["id"], "New IAM user (T1136.003)")
    nameless = _ui_monitor(o, ui_folder["id"], slack["id"], "Root activity")

    refused = o.sumoctl("import", "--env", "test", "--from-folder", "/Monitor/UI")
    assert refused.exit_code == 1 and "names no MITRE ATT&CK technique" in refused.stderr
    assert not (o.repo / "monitors" / "new-iam-user-t1136-003.yaml").exists()  # nothing half-written

    result = o.sumoctl("import", "--env", "test", "--from-folder", "/Monitor/UI", "--technique", "T1078.004")
    assert result.exit_code == 0, result.stderr
    assert (o.repo / "monitors" / "new-iam-user-t1136-003.yaml").exists()
    assert "{{ResultsJson}}" in (o.repo / "templates" / "payloads" / "imported" / "new-iam-user-t1136-003.json.j2").read_text()

    managed = {m["tags"]["sumoctl"]: m for m in o.managed_monitors()}
    assert managed["test/new-iam-user-t1136-003"]["id"] == made["id"]   # the same object, moved and marked
    assert managed["test/root-activity"]["id"] == nameless["id"]
    assert o.sumoctl("drift", "--env", "test").exit_code == 0

    plan = o.sumoctl("plan", "--env", "test", "--format", "json")
    assert plan.json["summary"]["create"] == 0 and plan.json["summary"]["delete"] == 0
    writes = o.writes()
    assert o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0
    ids = {m["tags"]["sumoctl"]: m["id"] for m in o.managed_monitors()}
    assert ids["test/new-iam-user-t1136-003"] == made["id"]  # updated in place, never re-created
    assert o.fake.count("DELETE") == 0 and o.writes() - writes == plan.json["summary"]["update"]
    assert o.sumoctl("plan", "--env", "test", "--detailed-exitcode").exit_code == 0


def test_import_adopts_a_ui_scheduled_search_and_the_connection_it_uses(org):
    o = org()
    client = o.client()
    slack = client.connections.create({
        "type": "WebhookDefinition", "name": "secops-slack", "description": "made by hand",
        "url": o.environ["TEST_SLACK_URL"], "defaultPayload": '{"text": "{{Name}}"}', "webhookType": "Slack"})
    blocked = o.sumoctl("plan", "--env", "test")
    assert blocked.exit_code == 1 and "already exists in Sumo" in blocked.stderr

    folder = client.folders.create("UI searches", client.folders.personal()["id"])
    every_hour = {"type": "BeginBoundedTimeRange",
                  "from": {"type": "RelativeTimeRangeBoundary", "relativeTime": "-1h"}, "to": None}
    search = client.log_searches.create({
        "name": "Access keys created for root (T1098.001)", "description": "UI", "parentId": folder["id"],
        "queryString": '_sourceCategory=aws/cloudtrail "CreateAccessKey" "Root"', "timeRange": every_hour,
        "schedule": {"scheduleType": "1Hour", "parseableTimeRange": every_hour, "timeZone": "UTC",
                     "threshold": {"operator": "gt", "count": 0},
                     "notification": {"taskType": "WebhookSearchNotificationSyncDefinition", "webhookId": slack["id"],
                                      "payload": None, "itemizeAlerts": False, "maxItemizedAlerts": 1}}})

    result = o.sumoctl("import", "--env", "test", "--from-folder", "UI searches")
    assert result.exit_code == 0, result.stderr
    assert "~ adopted connection 'secops-slack'" in result.stdout
    assert o.sumoctl("drift", "--env", "test", "--format", "json").json["edited"] == []

    assert o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0
    assert ("connection", "secops-slack") in o.managed()
    assert ("log_search", "access-keys-created-for-root-t1098-001") in o.managed()
    assert search["id"] in o.fake.state.log_searches  # updated in place
    assert [c["id"] for c in o.fake.state.connections.values() if c["name"] == "secops-slack"] == [slack["id"]]
    assert o.sumoctl("plan", "--env", "test", "--detailed-exitcode").exit_code == 0
