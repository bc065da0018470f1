"""Each GitHub workflow, run job by job and step by step in a scaffolded repository against the fake Sumo org."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest

from tests.workflows.actions import REPO, Runner, WorkflowRun, load_workflow
from tests.workflows.helpers import assert_no_secret, needs_validate_and_test, secrets, sumoctl

WORKFLOWS = REPO / ".github" / "workflows"
PULL_REQUEST = load_workflow(WORKFLOWS / "sumoctl-pull-request.yml")
APPLY = load_workflow(WORKFLOWS / "sumoctl-apply.yml")
DRIFT = load_workflow(WORKFLOWS / "sumoctl-drift.yml")
PR_EVENT = {"pull_request": {"number": 7}}


def _ran(run: WorkflowRun, job: str) -> list[str]:
    return [s.name for s in run.jobs[job].steps if s.ran]


def _writes(fake) -> int:
    return sum(1 for c in fake.calls if c.method in ("POST", "PUT", "DELETE"))


def _managed_monitors(fake) -> list[dict]:
    return [m for m in fake.state.monitors.values() if m.get("contentType") == "Monitor"]


@needs_validate_and_test
def test_pull_request_validates_tests_and_comments_the_plan(scaffolded, fake, tmp_path):
    runner = Runner(scaffolded, tmp_path, secrets=secrets(fake), vars={"SUMO_ENDPOINT": fake.endpoint})
    run = runner.run(PULL_REQUEST, PR_EVENT)
    job = run.jobs["check"]
    assert run.result == "success", [(s.name, s.exit_code, s.stderr[-500:]) for s in job.steps]
    assert _ran(run, "check") == [
        "actions/checkout@v5", "actions/setup-python@v6", "Install sumoctl", "Validate", "Validate (SARIF)",
        "Upload SARIF to code scanning", "Test", "Test (JUnit)", "Publish test results", "Plan",
        "Post the plan on the pull request",
    ]
    sarif = json.loads((job.workspace / job.step("Upload SARIF to code scanning").inputs["sarif_file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "sumoctl"
    junit = ET.parse(job.workspace / job.step("Publish test results").inputs["report_paths"]).getroot()
    assert junit.tag in ("testsuites", "testsuite") and junit.iter("testcase")
    comment = (job.workspace / job.step("Post the plan on the pull request").inputs["path"]).read_text()
    assert "to create" in comment and "CloudTrail trail or CloudWatch logging stopped or deleted" in comment
    assert job.step("plan").outputs == {"changes": "true"}
    assert _writes(fake) == 0  # a pull request never changes the org
    assert_no_secret(run.output() + comment, fake)


@needs_validate_and_test
def test_pull_request_from_a_fork_checks_without_secrets(small_scaffold, fake, tmp_path):
    run = Runner(small_scaffold, tmp_path, secrets={}, vars={"SUMO_ENDPOINT": fake.endpoint}).run(PULL_REQUEST, PR_EVENT)
    assert run.result == "success"
    ran = _ran(run, "check")
    assert "Test (JUnit)" in ran and "Plan" not in ran and "Post the plan on the pull request" not in ran
    assert "sumoctl plan skipped" in run.jobs["check"].step("Plan skipped").stdout
    assert fake.calls == []


@needs_validate_and_test
def test_an_invalid_query_fails_the_check_and_is_annotated_on_the_pull_request(small_scaffold, fake, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(small_scaffold, broken)
    template = broken / "queries/cloudtrail_defense_evasion.sumo.j2"
    template.write_text(template.read_text().replace("| where event_name in", "| where (event_name in"))
    runner = Runner(broken, tmp_path / "ci", secrets=secrets(fake), vars={"SUMO_ENDPOINT": fake.endpoint})
    run = runner.run(PULL_REQUEST, PR_EVENT)
    job = run.jobs["check"]
    assert run.result == "failure" and job.step("validate").exit_code == 1
    # (The line is not checked here: the parser's positions inside a stage are the query package's to test.)
    assert "queries/cloudtrail_defense_evasion.sumo.j2:" in job.step("validate").stderr
    # The findings still reach code scanning; nothing after the failed check runs, and nothing is planned.
    assert _ran(run, "check")[-3:] == ["Validate", "Validate (SARIF)", "Upload SARIF to code scanning"]
    sarif = json.loads((job.workspace / "sumoctl.sarif").read_text())
    locations = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert any(loc["artifactLocation"]["uri"] == "queries/cloudtrail_defense_evasion.sumo.j2"
               and loc["region"]["startLine"] >= 1 for loc in locations)
    assert fake.calls == []


@needs_validate_and_test
def test_main_applies_the_reviewed_plan_then_has_nothing_to_do(small_scaffold, fake, tmp_path):
    runner = Runner(small_scaffold, tmp_path, secrets=secrets(fake), vars={"SUMO_ENDPOINT": fake.endpoint})
    assert APPLY["jobs"]["apply"]["environment"] == "sumo-production"  # the approval gate
    first = runner.run(APPLY)
    assert first.result == "success", [(s.name, s.exit_code, s.stderr[-500:]) for j in first.jobs.values() for s in j.steps]
    assert first.jobs["plan"].outputs == {"changes": "true"}
    apply_job = first.jobs["apply"]
    assert apply_job.ran and "Apply the reviewed plan" in _ran(first, "apply")
    # The apply job ran in its own checkout: it applied the plan that the plan job saved and uploaded.
    assert (apply_job.workspace / "sumoctl-plan.json").read_bytes() == (
        first.jobs["plan"].workspace / "sumoctl-plan.json").read_bytes()
    assert "Apply complete" in apply_job.step("Apply the reviewed plan").stdout
    monitors = _managed_monitors(fake)
    assert {m["name"] for m in monitors} >= {"CloudTrail trail or CloudWatch logging stopped or deleted"}

    writes = _writes(fake)
    second = runner.run(APPLY)
    assert second.result == "success"
    assert second.jobs["plan"].outputs == {"changes": "false"} and not second.jobs["apply"].ran
    assert _writes(fake) == writes
    assert_no_secret(first.output() + second.output(), fake)


def test_drift_opens_updates_and_closes_one_issue(small_scaffold, fake, tmp_path):
    applied = sumoctl(small_scaffold, fake, "apply", "--env", "example", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    runner = Runner(small_scaffold, tmp_path, secrets=secrets(fake), vars={"SUMO_ENDPOINT": fake.endpoint})

    clean = runner.run(DRIFT)
    assert clean.result == "success"
    assert clean.jobs["drift"].step("drift").outputs == {"found": "false"}
    assert [c["args"][:2] for c in runner.gh_calls()] == [["issue", "list"]]  # nothing open, nothing to close

    monitor = next(m for m in _managed_monitors(fake) if m["name"].startswith("CloudTrail trail or CloudWatch"))
    fake.state.edit_monitor(monitor["id"], isDisabled=True)  # someone switched it off in the UI
    drifted = runner.run(DRIFT)
    assert drifted.result == "failure"  # the scheduled run goes red
    job = drifted.jobs["drift"]
    assert job.step("drift").outputs == {"found": "true"}
    assert job.step("Fail on drift").exit_code == 1 and not job.step("Close the drift issue").ran
    calls = runner.gh_calls()[1:]
    assert [c["args"][:2] for c in calls] == [["label", "create"], ["issue", "list"], ["issue", "create"]]
    created = calls[-1]
    assert "Drift in Sumo Logic environment example" in created["args"]
    assert "CloudTrail trail or CloudWatch logging stopped or deleted" in created["body"] and "isDisabled" in created["body"]

    runner.gh_open_issue = "12"
    again = runner.run(DRIFT)
    assert again.result == "failure"
    calls = runner.gh_calls()[4:]
    assert [c["args"][:3] for c in calls] == [
        ["label", "create", "sumoctl-drift"], ["issue", "list", "--label"], ["issue", "edit", "12"], ["issue", "comment", "12"],
    ]
    assert "isDisabled" in calls[2]["body"]

    repaired = sumoctl(small_scaffold, fake, "apply", "--env", "example", "--auto-approve")
    assert repaired.returncode == 0, repaired.stderr
    fixed = runner.run(DRIFT)
    assert fixed.result == "success"
    assert [c["args"][:3] for c in runner.gh_calls()[8:]] == [["issue", "list", "--label"], ["issue", "close", "12"]]
    assert_no_secret(clean.output() + drifted.output() + again.output() + fixed.output(), fake)


def test_a_failing_sumoctl_fails_the_workflow(small_scaffold, fake, tmp_path):
    """Exit codes other than 0 and 2 are errors: a wrong key must turn the scheduled check red, not green."""
    bad = {**secrets(fake), "SUMO_ACCESS_KEY": "not-the-key"}
    run = Runner(small_scaffold, tmp_path, secrets=bad, vars={"SUMO_ENDPOINT": fake.endpoint}).run(DRIFT)
    job = run.jobs["drift"]
    assert run.result == "failure" and job.step("drift").exit_code == 1
    assert not job.step("Open or update the drift issue").ran and not job.step("Close the drift issue").ran
    assert "not-the-key" not in run.output()


@pytest.mark.parametrize("workflow", [PULL_REQUEST, APPLY, DRIFT], ids=["pull-request", "apply", "drift"])
def test_sumoctl_environment_defaults_to_example_and_follows_the_variable(workflow):
    from tests.workflows.actions import Expressions

    expression = workflow["env"]["SUMOCTL_ENV"]
    assert Expressions({"vars": {}}, {}).interpolate(expression) == "example"
    assert Expressions({"vars": {"SUMOCTL_ENV": "prod"}}, {}).interpolate(expression) == "prod"
