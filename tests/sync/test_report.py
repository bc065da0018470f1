import json

from sumoctl.report.plan import render_drift, render_plan
from sumoctl.sync import detect_drift, make_plan
from sumoctl.sync.remote import RemoteState, Folder
from tests.sync.helpers import SECRET_VALUES, stored_as_sumo_would


def _plan_with_every_action(desire, repo, monkeypatch):
    from tests.sync import helpers
    remote = stored_as_sumo_would(desire())
    (repo / "monitors" / "cloudtrail-lambda-persistence.yaml").unlink()
    env = repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace('["US", "CA"]', '["US"]').replace("severity: medium", "severity: high"))
    monkeypatch.setitem(helpers.ENVIRON, "TEST_SLACK_URL", "https://hooks.slack.example/services/ROTATEDSECRET")
    remote.objects = [o for o in remote.objects if o.marker.key != "cloudtrail-account-discovery"]
    return make_plan(desire(), remote)


def test_text_shows_create_update_with_before_and_after_and_delete(desire, repo, monkeypatch):
    text = render_plan(_plan_with_every_action(desire, repo, monkeypatch), "text")
    assert "+ create scheduled search" in text
    assert "~ update monitor 'CloudTrail console login without MFA from an unusual country'" in text
    assert "- delete monitor 'CloudTrail Lambda-invoked persistence (blog original)'" in text
    assert '-| where event_name = "ConsoleLogin" and mfa != "Yes" and country_code not in ("US", "CA")' in text
    assert "url: (sensitive)" in text
    assert "Plan: 1 to create, 3 to update, 1 to delete" in text


def test_no_rendering_shows_a_secret(desire, repo, monkeypatch):
    plan = _plan_with_every_action(desire, repo, monkeypatch)
    for fmt in ("text", "json", "markdown"):
        out = render_plan(plan, fmt)
        for secret in SECRET_VALUES + ("ROTATEDSECRET",):
            assert secret not in out, (fmt, secret)


def test_json_is_the_plan_as_data(desire, repo, monkeypatch):
    data = json.loads(render_plan(_plan_with_every_action(desire, repo, monkeypatch), "json"))
    assert data["summary"] == {"create": 1, "update": 3, "delete": 1, "unchanged": 2}
    severity = next(c for c in data["changes"] if c["key"] == "cloudtrail-defense-evasion")
    fields = {f["field"]: f for f in severity["fields"]}
    assert fields["triggers.Warning"]["after"] is None and fields["triggers.ResolvedWarning"]["after"] is None
    assert fields["triggers.Critical"]["before"] is None
    assert fields["triggers.Critical"]["after"]["thresholdType"] == "GreaterThan"
    assert fields["notifications.secops-slack.runForTriggerTypes"]["after"] == ["Critical", "ResolvedCritical"]


def test_a_change_inside_a_trigger_is_named_down_to_its_field(desire, repo):
    remote = stored_as_sumo_would(desire())
    path = repo / "monitors" / "cloudtrail-lambda-persistence.yaml"
    path.write_text(path.read_text().replace("frequency: 5m", "frequency: 10m"))
    text = render_plan(make_plan(desire(), remote), "text")
    assert 'triggers.Critical.frequency: "5m" → "10m"' in text
    assert 'triggers.ResolvedCritical.frequency: "5m" → "10m"' in text


def test_markdown_is_a_pull_request_comment(desire, repo, monkeypatch):
    md = render_plan(_plan_with_every_action(desire, repo, monkeypatch), "markdown")
    assert md.startswith("### sumoctl plan: `test`")
    assert "| ~ update | monitor | CloudTrail console login without MFA from an unusual country | `query` |" in md
    assert "```diff" in md and "<details>" in md


def test_an_empty_plan_says_so(desire):
    desired = desire()
    plan = make_plan(desired, stored_as_sumo_would(desired))
    assert "No changes." in render_plan(plan, "text")
    assert "**No changes.**" in render_plan(plan, "markdown")


def test_drift_renderings_name_the_sections(desire):
    desired = desire()
    report = detect_drift(desired, RemoteState("test", Folder("/Monitor/x", id="1"), Folder("y", id="2")))
    text = render_drift(report, "text")
    assert "Missing from Sumo" in text and text.rstrip().endswith("Drift found.")
    assert json.loads(render_drift(report, "json"))["drifted"] is True
    assert "**Drift found.**" in render_drift(report, "markdown")
