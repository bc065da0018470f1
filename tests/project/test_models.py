import pytest
from pydantic import ValidationError

from sumoctl.models import Detection, Environment

BASE = {
    "id": "x-det",
    "name": "X",
    "description": "d",
    "severity": "high",
    "tags": ["T1078"],
    "query": "x.sumo.j2",
    "deploy": {"kind": "monitor"},
}


def test_a_minimal_detection_gets_monitor_defaults():
    detection = Detection.model_validate(BASE)
    assert detection.deploy.kind == "monitor"
    assert (detection.deploy.frequency, detection.deploy.time_range) == ("5m", "15m")
    assert detection.enabled and detection.tests == []
    assert detection.techniques == ["T1078"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"severity": "urgent"}, "severity"),
        ({"id": "Bad_Id"}, "id"),
        ({"tags": ["persistence"]}, "ATT&CK technique"),
        ({"name": "a/b"}, "must not contain '/'"),
        ({"deploy": {"kind": "monitor", "frequency": "5 minutes"}}, "frequency"),
        ({"deploy": {"kind": "scheduled_search", "schedule": "RealTime"}}, "schedule"),
        ({"deploy": {"kind": "scheduled_search", "schedule": "1Day"}}, "cron"),
        ({"deploy": {"kind": "lambda"}}, "kind"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_detection_rejects(change, message):
    with pytest.raises(ValidationError) as err:
        Detection.model_validate({**BASE, **change})
    assert message in str(err.value)


def test_a_test_case_needs_one_event_source_and_an_expectation():
    case = {"name": "c", "events": [{"record": {"eventName": "X"}}], "expect": {"fires": True}}
    Detection.model_validate({**BASE, "tests": [case]})
    with pytest.raises(ValidationError, match="exactly one of"):
        Detection.model_validate({**BASE, "tests": [{**case, "events": [{"record": {}, "file": "a.jsonl"}]}]})
    with pytest.raises(ValidationError, match="at least one of"):
        Detection.model_validate({**BASE, "tests": [{**case, "expect": {}}]})


ENV = {"deployment": "us2", "monitor_folder": "/Monitor/Sec", "content_folder": "sec"}


def test_environment_defaults_credentials_variable_names():
    environment = Environment.model_validate(ENV)
    assert environment.credentials.access_id_env == "SUMO_ACCESS_ID"
    assert environment.credentials.access_key_env == "SUMO_ACCESS_KEY"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"deployment": "mars"}, "deployment"),
        ({"deployment": None}, "deployment` or an `endpoint"),
        ({"endpoint": "https://api.example.com/v1"}, "ending in /api/"),
        ({"monitor_folder": "/Library/x"}, "monitor_folder"),
        ({"connections": [{"name": "a", "url_env": "A"}, {"name": "a", "url_env": "B"}]}, "duplicate connection"),
        ({"connections": [{"name": "a", "url_env": "not a var"}]}, "url_env"),
    ],
)
def test_environment_rejects(change, message):
    with pytest.raises(ValidationError) as err:
        Environment.model_validate({**ENV, **change})
    assert message in str(err.value)
