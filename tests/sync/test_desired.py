import json

import pytest

from sumoctl.errors import SumoctlError
from sumoctl.project import load_project
from sumoctl.sync import Kind, desired_state, read_secrets
from sumoctl.sync.desired import log_search_name
from tests.sync.helpers import ENVIRON, SECRET_VALUES


def _by_key(state, kind):
    return {o.key: o for o in state.of_kind(kind)}


def test_one_monitor_per_monitor_detection_and_one_search_per_enabled_scheduled_search(desire):
    state = desire()
    monitors = _by_key(state, Kind.MONITOR)
    searches = _by_key(state, Kind.LOG_SEARCH)
    assert set(monitors) == {"cloudtrail-defense-evasion", "cloudtrail-lambda-persistence",
                             "cloudtrail-lambda-persistence-exec-env", "cloudtrail-suspicious-console-login"}
    # cloudtrail-account-discovery-blog is disabled: a log search cannot be paused, so it is not deployed.
    assert set(searches) == {"cloudtrail-account-discovery"}
    assert set(_by_key(state, Kind.CONNECTION)) == {"secops-slack", "secops-pagerduty"}


def test_severity_maps_to_trigger_types_with_their_resolved_pair(desire):
    monitors = _by_key(desire(), Kind.MONITOR)
    high = monitors["cloudtrail-suspicious-console-login"].body["triggers"]
    assert [t["triggerType"] for t in high] == ["Critical", "ResolvedCritical"]
    # critical in the detection, overridden to medium in the test environment
    medium = monitors["cloudtrail-defense-evasion"].body["triggers"]
    assert [t["triggerType"] for t in medium] == ["Warning", "ResolvedWarning"]
    assert medium[0]["thresholdType"] == "GreaterThan" and medium[1]["thresholdType"] == "LessThanOrEqual"
    assert medium[0]["timeRange"] == "-15m"


def test_the_monitor_query_is_the_rendered_query_for_the_environment(desire, repo):
    monitor = _by_key(desire(), Kind.MONITOR)["cloudtrail-suspicious-console-login"]
    query = monitor.body["queries"][0]["query"]
    assert query.startswith('_sourceCategory="aws/cloudtrail/test"')
    assert 'not in ("US", "CA")' in query


def test_sumo_alert_variables_reach_the_payload_intact(desire):
    monitor = _by_key(desire(), Kind.MONITOR)["cloudtrail-suspicious-console-login"]
    payload = monitor.body["notifications"][0]["notification"]["payloadOverride"]
    assert "{{TriggerType}}" in payload and "{{QueryURL}}" in payload
    assert "cloudtrail-suspicious-console-login" in payload  # rendered by sumoctl with [[ ]]


def test_a_disabled_monitor_detection_deploys_disabled(desire, repo):
    env = repo / "environments" / "test.yaml"
    env.write_text(env.read_text() + "  cloudtrail-lambda-persistence:\n    enabled: false\n")
    monitor = _by_key(desire(), Kind.MONITOR)["cloudtrail-lambda-persistence"]
    assert monitor.body["isDisabled"] is True


def test_no_secret_is_kept_in_the_comparable_form(desire):
    state = desire()
    text = json.dumps([o.canonical for o in state.objects])
    for secret in SECRET_VALUES:
        assert secret not in text


def test_no_secret_shows_in_the_repr_of_the_desired_state(desire):
    text = repr(desire())
    assert "secops-pagerduty" in text
    for secret in SECRET_VALUES:
        assert secret not in text


def test_every_missing_variable_is_named_in_one_error(repo):
    project = load_project(repo)
    environ = {k: v for k, v in ENVIRON.items() if k not in ("TEST_SUMO_ACCESS_KEY", "TEST_PAGERDUTY_TOKEN")}
    with pytest.raises(SumoctlError) as err:
        read_secrets(project.environment("test"), environ)
    assert "TEST_SUMO_ACCESS_KEY" in str(err.value) and "TEST_PAGERDUTY_TOKEN" in str(err.value)
    assert "TEST_SLACK_URL" not in str(err.value)


def test_a_notification_to_an_undeclared_connection_is_an_error_naming_the_file(repo):
    path = repo / "monitors" / "cloudtrail-defense-evasion.yaml"
    path.write_text(path.read_text().replace("connection: secops-slack", "connection: nowhere"))
    project = load_project(repo)
    with pytest.raises(SumoctlError) as err:
        desired_state(project, "test", read_secrets(project.environment("test"), ENVIRON))
    assert "nowhere" in str(err.value) and err.value.path == "monitors/cloudtrail-defense-evasion.yaml"


@pytest.mark.parametrize("name, expected", [
    ("CloudTrail console login", "CloudTrail console login"),
    ("Root login! [prod] {x}", "Root login prod x"),
    ("a|b~c", "a b c"),
])
def test_log_search_names_keep_to_the_characters_sumo_accepts(name, expected):
    assert log_search_name(name) == expected
