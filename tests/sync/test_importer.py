import pytest

from sumoctl.errors import SumoctlError
from sumoctl.project import load_project
from sumoctl.sync import Kind
from sumoctl.sync.importer import Imported, ImportResult, _Builder, _Skip, slug, write_files


def _monitor(**changes):
    body = {
        "id": "0000000000000A01", "name": "Console login from Tor (T1078)", "description": "UI made",
        "monitorType": "Logs", "queries": [{"rowId": "A", "query": 'x | where a = "{{not jinja}}" | count'}],
        "triggers": [{"detectionMethod": "LogsStaticCondition", "triggerType": "Warning", "timeRange": "-1h",
                      "frequency": "15m", "threshold": 3, "thresholdType": "GreaterThanOrEqual", "field": "n"}],
        "notifications": [{"notification": {"connectionType": "Webhook", "connectionId": "C1",
                                            "payloadOverride": '{"rows": [[1, 2]], "t": "{{TriggerType}}"}'},
                           "runForTriggerTypes": ["Warning"]}],
        "isDisabled": True,
    }
    body.update(changes)
    return body


@pytest.fixture
def builder(repo):
    return _Builder(load_project(repo), "test", {"C1": "secops-slack", "C2": "undeclared"}, [])


def test_a_monitor_becomes_a_detection_with_its_trigger_and_escaped_templates(builder):
    imported = builder.monitor(_monitor())
    assert imported.detection_id == "console-login-from-tor-t1078"
    yaml_text = imported.files["monitors/console-login-from-tor-t1078.yaml"]
    assert "severity: medium" in yaml_text and "comparison: ge" in yaml_text and "field: n" in yaml_text
    assert "time_range: 1h" in yaml_text and "enabled: false" in yaml_text and "- T1078" in yaml_text
    query = imported.files["queries/imported/console-login-from-tor-t1078.sumo.j2"]
    assert "{% raw %}" in query  # the query holds Jinja delimiters: kept verbatim
    payload = imported.files["templates/payloads/imported/console-login-from-tor-t1078.json.j2"]
    assert payload.startswith("[% raw %]")  # `[[` would otherwise open a payload variable
    from sumoctl.project.render import _payload_env

    original = _monitor()["notifications"][0]["notification"]["payloadOverride"]
    assert _payload_env(builder.project.root).from_string(payload).render() == original


@pytest.mark.parametrize("changes, why", [
    ({"monitorType": "Metrics"}, "only Logs monitors"),
    ({"queries": [{"rowId": "A", "query": "a"}, {"rowId": "B", "query": "b"}]}, "2 queries"),
    ({"notifications": [{"notification": {"connectionType": "Email"}, "runForTriggerTypes": []}]}, "e-mail"),
])
def test_what_a_detection_cannot_express_is_skipped_with_the_reason(builder, changes, why):
    with pytest.raises(_Skip, match=why):
        builder.monitor(_monitor(**changes))


def test_a_connection_the_environment_does_not_declare_stops_the_import(builder):
    notifications = [{"notification": {"connectionType": "Webhook", "connectionId": "C2"}, "runForTriggerTypes": []}]
    with pytest.raises(SumoctlError, match="declare it in environments/test.yaml"):
        builder.monitor(_monitor(notifications=notifications))


def test_ids_do_not_collide_with_existing_detections(builder):
    first = builder.monitor(_monitor(name="CloudTrail defense evasion (T1562)"))
    second = builder.monitor(_monitor(name="CloudTrail defense evasion (T1562)"))
    assert first.detection_id != second.detection_id
    assert slug("!!") == "imported-detection"


def test_import_never_overwrites_a_file(repo):
    existing = repo / "monitors" / "cloudtrail-defense-evasion.yaml"
    before = existing.read_text()
    result = ImportResult([Imported(Kind.MONITOR, "X", "x", "x", files={
        "queries/imported/new.sumo.j2": "q", "monitors/cloudtrail-defense-evasion.yaml": "id: x"})])
    with pytest.raises(SumoctlError, match="would overwrite monitors/cloudtrail-defense-evasion.yaml"):
        write_files(repo, result)
    assert existing.read_text() == before and not (repo / "queries" / "imported" / "new.sumo.j2").exists()
