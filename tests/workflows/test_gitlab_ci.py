"""The GitLab CI example, run pipeline by pipeline (merge request, default branch, schedule) against the fake org."""

from __future__ import annotations

import pytest

from tests.workflows.gitlab import GitLabApi, Runner, load_pipeline
from tests.workflows.helpers import WEBHOOK_URL, assert_no_secret, needs_validate_and_test, sumoctl

PIPELINE_FILE = ".gitlab-ci.yml"
GITLAB_TOKEN = "glpat-workflow-test-token"
DRIFT_TITLE = "Drift in Sumo Logic environment example"


@pytest.fixture
def gitlab_repo(small_gitlab_scaffold):
    return small_gitlab_scaffold


@pytest.fixture
def api():
    with GitLabApi() as server:
        yield server


def _runner(repo, fake, tmp_path, **extra):
    variables = {"SUMO_ENDPOINT": fake.endpoint, "SUMO_ACCESS_ID": fake.access_id, "SUMO_ACCESS_KEY": fake.access_key,
                 "SUMOCTL_EXAMPLE_WEBHOOK_URL": WEBHOOK_URL, "SUMOCTL_GITLAB_TOKEN": GITLAB_TOKEN, **extra}
    return Runner(repo, tmp_path, variables)


def _predefined(api, **more):
    return {"CI_API_V4_URL": api.url, "CI_PROJECT_ID": "42", **more}


def _writes(fake) -> int:
    return sum(1 for c in fake.calls if c.method in ("POST", "PUT", "DELETE"))


@needs_validate_and_test
def test_merge_request_pipeline_checks_and_notes_the_plan(gitlab_repo, fake, api, tmp_path):
    pipeline = load_pipeline(gitlab_repo / PIPELINE_FILE)
    run = _runner(gitlab_repo, fake, tmp_path).run(
        pipeline, "merge_request_event", _predefined(api, CI_MERGE_REQUEST_IID="5"))
    assert list(run.jobs) == ["validate", "test", "plan"] and run.manual == []
    assert all(j.exit_code == 0 for j in run.jobs.values()), {j.name: j.stderr[-500:] for j in run.jobs.values()}
    assert (run.jobs["test"].workspace / "sumoctl-junit.xml").stat().st_size > 0
    [note] = api.requests
    assert note["method"] == "POST" and note["path"] == "/api/v4/projects/42/merge_requests/5/notes"
    assert note["token"] == GITLAB_TOKEN
    assert note["json"]["body"] == (run.jobs["plan"].workspace / "sumoctl-plan.md").read_text()
    assert "to create" in note["json"]["body"]
    assert _writes(fake) == 0
    assert_no_secret(run.output(), fake)
    assert GITLAB_TOKEN not in run.output()


@needs_validate_and_test
def test_default_branch_applies_only_when_a_person_plays_the_job(gitlab_repo, fake, api, tmp_path):
    pipeline = load_pipeline(gitlab_repo / PIPELINE_FILE)
    runner = _runner(gitlab_repo, fake, tmp_path)
    waiting = runner.run(pipeline, "push", _predefined(api, CI_COMMIT_BRANCH="main"))
    assert list(waiting.jobs) == ["validate", "test", "plan"] and waiting.manual == ["apply"]
    assert _writes(fake) == 0 and api.requests == []  # no merge request: no note

    applied = runner.play(waiting, "apply")
    assert applied.exit_code == 0, applied.stderr
    assert "Apply complete" in applied.stdout
    # It applied the plan the plan job saved, in its own checkout.
    assert (applied.workspace / "sumoctl-plan.json").read_bytes() == (
        waiting.jobs["plan"].workspace / "sumoctl-plan.json").read_bytes()
    again = sumoctl(gitlab_repo, fake, "plan", "--env", "example", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr


def test_other_branches_and_unknown_sources_create_no_pipeline(gitlab_repo, fake, api, tmp_path):
    pipeline = load_pipeline(gitlab_repo / PIPELINE_FILE)
    runner = _runner(gitlab_repo, fake, tmp_path)
    assert not runner.run(pipeline, "push", _predefined(api, CI_COMMIT_BRANCH="feature")).created
    assert not runner.run(pipeline, "web", _predefined(api)).created


def test_scheduled_drift_opens_then_updates_one_issue(gitlab_repo, fake, api, tmp_path):
    pipeline = load_pipeline(gitlab_repo / PIPELINE_FILE)
    runner = _runner(gitlab_repo, fake, tmp_path)
    applied = sumoctl(gitlab_repo, fake, "apply", "--env", "example", "--auto-approve")
    assert applied.returncode == 0, applied.stderr

    clean = runner.run(pipeline, "schedule", _predefined(api))
    assert list(clean.jobs) == ["drift"] and clean.jobs["drift"].exit_code == 0
    assert api.requests == []

    monitor = next(m for m in fake.state.monitors.values() if m["name"].startswith("CloudTrail trail or CloudWatch"))
    fake.state.edit_monitor(monitor["id"], isDisabled=True)
    drifted = runner.run(pipeline, "schedule", _predefined(api))
    assert drifted.jobs["drift"].exit_code == 1  # the scheduled pipeline fails
    search, create = api.requests
    assert search["method"] == "GET" and "labels=sumoctl-drift" in search["path"]
    assert create["method"] == "POST" and create["path"] == "/api/v4/projects/42/issues"
    assert create["json"]["title"] == DRIFT_TITLE and "isDisabled" in create["json"]["description"]

    api.open_issues = [{"iid": 3, "title": DRIFT_TITLE}]
    runner.run(pipeline, "schedule", _predefined(api))
    update = api.requests[-1]
    assert update["method"] == "PUT" and update["path"] == "/api/v4/projects/42/issues/3"
    assert "isDisabled" in update["json"]["description"]
    assert all(r["token"] == GITLAB_TOKEN for r in api.requests)
    assert_no_secret(clean.output() + drifted.output(), fake)
    assert GITLAB_TOKEN not in drifted.output()
