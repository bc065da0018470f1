"""The "Done when" of issue 6, through the real CLI against the fake Sumo server."""

from __future__ import annotations

import json

import pytest

from sumoctl.cli.app import app

EXPECTED = sorted([
    ("connection", "secops-pagerduty"), ("connection", "secops-slack"),
    ("log_search", "cloudtrail-account-discovery"),
    ("monitor", "cloudtrail-defense-evasion"), ("monitor", "cloudtrail-lambda-persistence"),
    ("monitor", "cloudtrail-lambda-persistence-exec-env"), ("monitor", "cloudtrail-suspicious-console-login"),
])


def test_apply_to_an_empty_org_creates_everything_and_converges(org):
    o = org()
    applied = o.sumoctl("apply", "--env", "test", "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert "Apply complete for environment 'test': 10 created, 0 updated, 0 deleted." in applied.stdout
    assert o.managed() == EXPECTED

    plan = o.sumoctl("plan", "--env", "test", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout
    assert "No changes." in plan.stdout

    writes = o.writes()
    again = o.sumoctl("apply", "--env", "test", "--auto-approve")
    assert again.exit_code == 0 and "No changes" in again.stdout
    assert o.writes() == writes  # the second apply made no write calls


def test_a_parameter_change_updates_exactly_the_affected_query(org):
    o = org()
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    env = o.repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace('["US", "CA"]', '["US", "CA", "MX"]'))
    plan = o.sumoctl("plan", "--env", "test", "--format", "json", "--detailed-exitcode")
    assert plan.exit_code == 2
    changes = plan.json["changes"]
    assert [(c["action"], c["key"], [f["field"] for f in c["fields"]]) for c in changes] == [
        ("update", "cloudtrail-suspicious-console-login", ["query"])]
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    monitor = next(m for m in o.managed_monitors() if m["tags"]["sumoctl"].endswith("console-login"))
    assert '("US", "CA", "MX")' in monitor["queries"][0]["query"]


def test_removing_a_detection_deletes_it_and_nothing_unmarked_is_touched(org):
    o = org()
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    folder = next(m for m in o.fake.state.monitors.values() if m["name"] == "sumoctl-test")
    handmade = dict(o.managed_monitors()[0])
    handmade.update(id=o.fake.state.new_id(), name="Made in the UI", tags={"team": "secops"}, parentId=folder["id"])
    o.fake.state.monitors[handmade["id"]] = handmade
    before = json.dumps(handmade, sort_keys=True)

    (o.repo / "monitors" / "cloudtrail-lambda-persistence.yaml").unlink()
    plan = o.sumoctl("plan", "--env", "test", "--format", "json")
    assert [(c["action"], c["key"]) for c in plan.json["changes"]] == [("delete", "cloudtrail-lambda-persistence")]
    assert [u["name"] for u in plan.json["unmanaged"]] == ["Made in the UI"]

    assert o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0
    assert ("monitor", "cloudtrail-lambda-persistence") not in o.managed()
    assert json.dumps(o.fake.state.monitors[handmade["id"]], sort_keys=True) == before


def test_drift_names_a_hand_edit_and_a_hand_delete_and_clears_after_apply(org):
    o = org()
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    assert o.sumoctl("drift", "--env", "test").exit_code == 0

    monitors = {m["tags"]["sumoctl"]: m for m in o.managed_monitors()}
    o.fake.state.edit_monitor(monitors["test/cloudtrail-defense-evasion"]["id"], isDisabled=True)
    del o.fake.state.monitors[monitors["test/cloudtrail-lambda-persistence"]["id"]]

    drift = o.sumoctl("drift", "--env", "test")
    assert drift.exit_code == 2
    assert "Edited by hand in Sumo:" in drift.stdout
    assert "[cloudtrail-defense-evasion]" in drift.stdout and ": isDisabled" in drift.stdout
    assert "Missing from Sumo" in drift.stdout and "[cloudtrail-lambda-persistence]" in drift.stdout

    as_json = o.sumoctl("drift", "--env", "test", "--format", "json").json
    assert [(i["key"], i["fields"]) for i in as_json["edited"]] == [("cloudtrail-defense-evasion", ["isDisabled"])]
    assert [i["key"] for i in as_json["missing"]] == ["cloudtrail-lambda-persistence"]

    assert o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0
    clean = o.sumoctl("drift", "--env", "test")
    assert clean.exit_code == 0, clean.stdout
    assert o.managed() == EXPECTED


def test_an_unmarked_monitor_appearing_in_the_managed_folder_is_drift(org):
    o = org()
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    folder = next(m for m in o.fake.state.monitors.values() if m["name"] == "sumoctl-test")
    handmade = {**o.managed_monitors()[0], "id": o.fake.state.new_id(), "name": "Quick fix", "tags": {},
                "parentId": folder["id"]}
    o.fake.state.monitors[handmade["id"]] = handmade
    drift = o.sumoctl("drift", "--env", "test", "--format", "markdown")
    assert drift.exit_code == 2 and "Quick fix" in drift.stdout


def test_a_saved_plan_refuses_to_apply_once_the_remote_moved(org, tmp_path):
    o = org()
    saved = tmp_path / "plan.json"
    assert o.sumoctl("plan", "--env", "test", "--out", str(saved)).exit_code == 0
    assert o.sumoctl("apply", "--env", "test", str(saved)).exit_code == 0  # nothing moved: applies

    env = o.repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace('["US", "CA"]', '["US"]'))
    assert o.sumoctl("plan", "--env", "test", "--out", str(saved)).exit_code == 0
    monitor = next(m for m in o.managed_monitors() if m["tags"]["sumoctl"].endswith("defense-evasion"))
    o.fake.state.edit_monitor(monitor["id"], description="changed in the UI")
    writes = o.writes()
    refused = o.sumoctl("apply", "--env", "test", str(saved))
    assert refused.exit_code == 1
    assert "remote objects changed since this plan was made" in refused.stderr
    assert o.writes() == writes


def test_missing_secrets_are_named_in_one_line_before_any_request(org):
    o = org()
    del o.environ["TEST_SLACK_URL"], o.environ["TEST_SUMO_ACCESS_KEY"]
    result = o.sumoctl("plan", "--env", "test")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "TEST_SUMO_ACCESS_KEY" in result.stderr and "TEST_SLACK_URL" in result.stderr
    assert o.fake.calls == []


def test_plan_in_markdown_for_a_pull_request(org):
    o = org()
    result = o.sumoctl("plan", "--env", "test", "--format", "markdown", "--detailed-exitcode")
    assert result.exit_code == 2
    assert result.stdout.startswith("### sumoctl plan: `test`")
    assert "| + create | monitor | CloudTrail console login without MFA from an unusual country |" in result.stdout


@pytest.mark.parametrize("seed", range(20))
def test_apply_converges_under_faults_without_duplicates(org, seed):
    o = org(faults="429=10%,5xx=10%,reset=5%,lost-response=10%", seed=seed)
    for _ in range(5):  # re-running after an interruption converges
        if o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0:
            break
    assert any(c.fault for c in o.fake.calls)  # the run did meet faults
    assert o.managed() == EXPECTED  # every object exactly once
    o.fake.faults = None
    assert o.sumoctl("plan", "--env", "test", "--detailed-exitcode").exit_code == 0
    folders = [m for m in o.fake.state.monitors.values() if m["contentType"] == "Folder"]
    assert sorted(f["name"] for f in folders) == ["Monitor", "Security", "sumoctl-test"]


def test_an_interrupted_apply_converges_when_run_again(org, monkeypatch):
    from sumoctl.sync import session

    o = org()
    real_apply = session.apply_plan
    calls = {"n": 0}

    def interrupted(client, plan, desired, remote, progress=None):
        def step(change):
            calls["n"] += 1
            if calls["n"] == 5:
                raise KeyboardInterrupt  # the CI job is cancelled half-way
            if progress:
                progress(change)

        return real_apply(client, plan, desired, remote, step)

    monkeypatch.setattr(session, "apply_plan", interrupted)
    cut = o.runner.invoke(app, ["apply", "--env", "test", "--auto-approve", "--project", str(o.repo)], env=o.environ)
    assert cut.exit_code != 0  # click reports the interrupt as "Aborted!"
    assert 0 < len(o.managed()) < len(EXPECTED)
    monkeypatch.setattr(session, "apply_plan", real_apply)
    assert o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0
    assert o.managed() == EXPECTED
    assert o.sumoctl("plan", "--env", "test", "--detailed-exitcode").exit_code == 0


def test_hand_edits_of_a_search_and_a_connection_name_their_fields(org):
    o = org()
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    search = next(iter(o.fake.state.log_searches.values()))
    search["queryString"] += " | where 1 = 0"
    slack = next(c for c in o.fake.state.connections.values() if c["name"] == "secops-slack")
    slack["url"] = "https://attacker.example/hook"
    report = o.sumoctl("drift", "--env", "test", "--format", "json")
    assert report.exit_code == 2
    edited = {i["key"]: i["fields"] for i in report.json["edited"]}
    assert edited == {"cloudtrail-account-discovery": ["query"], "secops-slack": ["url"]}
    plan = o.sumoctl("plan", "--env", "test")
    assert "url: (sensitive)" in plan.stdout and "attacker.example" not in plan.stdout
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    assert o.sumoctl("drift", "--env", "test").exit_code == 0


def test_apply_without_a_terminal_or_auto_approve_refuses(org):
    o = org()
    result = o.sumoctl("apply", "--env", "test")
    assert result.exit_code == 1 and "--auto-approve" in result.stderr
    assert o.writes() == 0


def test_apply_keeps_to_the_rate_limit_with_the_real_throttle(org, monkeypatch):
    from sumoctl.sync import SyncSession

    monkeypatch.setattr(SyncSession, "client_options", {})  # the CLI's own client: 4 requests/s
    o = org(rate_limit=True)
    assert o.sumoctl("apply", "--env", "test", "--auto-approve").exit_code == 0
    assert [c for c in o.fake.calls if c.status == 429] == []
    assert o.managed() == EXPECTED


def test_a_plan_that_cannot_be_saved_is_one_line_and_leaves_no_file(org, tmp_path):
    o = org()
    target = tmp_path / "missing-dir" / "plan.json"
    result = o.sumoctl("plan", "--env", "test", "--out", str(target))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "cannot write the plan" in result.stderr
    assert not target.exists() and not target.with_name("plan.json.tmp").exists()


def test_a_broken_repository_stops_apply_before_any_request(org):
    o = org()
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    calls = len(o.fake.calls)
    path = o.repo / "monitors" / "cloudtrail-defense-evasion.yaml"
    path.write_text(path.read_text().replace("severity: critical", "severity: [critical"))
    result = o.sumoctl("apply", "--env", "test", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.startswith("monitors/cloudtrail-defense-evasion.yaml:")
    assert len(o.fake.calls) == calls  # not even a read: nothing can be deleted on a failed load


def test_wrong_credentials_are_one_line_without_the_key(org):
    o = org()
    o.environ["TEST_SUMO_ACCESS_KEY"] = "not-the-key-" + "x" * 20
    result = o.sumoctl("plan", "--env", "test")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "401" in result.stderr and "not-the-key" not in result.stderr


def test_a_parameter_every_query_uses_changes_every_query_and_nothing_else(org):
    o = org()
    o.sumoctl("apply", "--env", "test", "--auto-approve")
    env = o.repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace("source_category: aws/cloudtrail/test", "source_category: aws/org-trail"))
    changes = o.sumoctl("plan", "--env", "test", "--format", "json").json["changes"]
    assert sorted((c["action"], c["key"], tuple(f["field"] for f in c["fields"])) for c in changes) == sorted(
        ("update", key, ("query",)) for kind, key in EXPECTED if kind != "connection")
    assert all('_sourceCategory="aws/org-trail"' in c["fields"][0]["after"] for c in changes)


def test_a_saved_plan_refuses_to_apply_once_the_repository_moved(org, tmp_path):
    o = org()
    saved = tmp_path / "plan.json"
    o.sumoctl("plan", "--env", "test", "--out", str(saved))
    env = o.repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace('["US", "CA"]', '["US"]'))
    refused = o.sumoctl("apply", "--env", "test", str(saved))
    assert refused.exit_code == 1 and "the repository or its secrets changed" in refused.stderr
    assert o.writes() == 0
    not_a_plan = tmp_path / "other.json"
    not_a_plan.write_text("{]")
    bad = o.sumoctl("apply", "--env", "test", str(not_a_plan))
    assert bad.exit_code == 1 and bad.stderr.startswith(f"{not_a_plan}:1:2: not a plan saved by")
    not_a_plan.write_bytes(b"\xff\xfe{}")
    binary = o.sumoctl("apply", "--env", "test", str(not_a_plan))
    assert binary.exit_code == 1 and binary.stderr.startswith(f"{not_a_plan}: not a plan saved by")
    assert o.writes() == 0
