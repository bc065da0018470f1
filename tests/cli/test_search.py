"""`sumoctl search` end to end: the real CLI against the fake Sumo Logic over HTTP."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sumoctl.cli.app import app
from sumoctl.project import load_project
from tests.fakesumo import FakeSumo, SearchOutcome
from tests.helpers import REPO

DETECTION = "cloudtrail-suspicious-console-login"


@pytest.fixture
def fake():
    with FakeSumo(retry_after_s=0) as fake:
        yield fake


def run(fake, *args, env=None):
    variables = {"SUMO_ENDPOINT": fake.endpoint, "SUMO_ACCESS_ID": fake.access_id, "SUMO_ACCESS_KEY": fake.access_key}
    variables.update(env or {})
    return CliRunner().invoke(app, ["search", "--env", "example", "-C", str(REPO), "--poll-interval", "0", *args],
                              env=variables)


def jobs(fake):
    return list(fake.state.search_jobs.values())


def test_records_of_an_aggregate_query_as_json(fake):
    query = "_sourceCategory=aws/cloudtrail | count by eventName"
    fake.state.search_outcomes[query] = SearchOutcome(
        records=[{"eventName": "ConsoleLogin", "_count": 7}, {"eventName": "ListBuckets", "_count": 2}])
    result = run(fake, "--from", "-7d", "--query", query, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["kind"] == "records" and doc["recordCount"] == 2
    assert doc["rows"] == [{"eventname": "ConsoleLogin", "_count": "7"}, {"eventname": "ListBuckets", "_count": "2"}]
    assert "GATHERING RESULTS" in result.stderr and "DONE GATHERING RESULTS" in result.stderr
    [job] = jobs(fake)
    assert job.query == query and job.deleted and job.polls == 2


def test_a_detection_runs_its_rendered_query_and_prints_messages_as_jsonl(fake):
    rendered = load_project(REPO).render(DETECTION, "example").query
    fake.state.search_outcomes[rendered] = SearchOutcome(
        messages=[{"_raw": '{"eventName":"ConsoleLogin"}', "_messagetime": "1700000000000"}] * 3)
    result = run(fake, "--detection", DETECTION, "--from", "-30d", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and lines[0]["_raw"] == '{"eventName":"ConsoleLogin"}'
    [job] = jobs(fake)
    assert job.query == rendered and job.deleted


def test_text_output_is_a_table(fake):
    query = "_sourceCategory=aws/cloudtrail | count by sourceIPAddress"
    fake.state.search_outcomes[query] = SearchOutcome(records=[{"sourceIPAddress": "203.0.113.9", "_count": 12}])
    result = run(fake, "--query", query)
    assert result.exit_code == 0, result.output
    assert "sourceipaddress" in result.stdout and "203.0.113.9" in result.stdout and "12" in result.stdout
    assert "1 records of 1" in result.stderr


def test_a_query_error_reported_by_the_job_is_one_line_and_the_job_is_deleted(fake):
    result = run(fake, "--query", '_sourceCategory=aws/cloudtrail | parse "eventName\\":\\"* as name')
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: Sumo Logic rejected the query: Parse error")
    [job] = jobs(fake)
    assert job.deleted


def test_ctrl_c_while_gathering_deletes_the_job(fake, monkeypatch):
    def interrupt(status):
        raise KeyboardInterrupt

    monkeypatch.setattr("sumoctl.cli.search._progress", lambda: interrupt)
    result = run(fake, "--query", "_sourceCategory=aws/cloudtrail")
    assert result.exit_code == 130
    assert "search job was deleted" in result.stderr
    [job] = jobs(fake)
    assert job.deleted


def test_missing_credentials_are_named_together(fake):
    result = run(fake, "--query", "x", env={"SUMO_ACCESS_ID": "", "SUMO_ACCESS_KEY": ""})
    assert result.exit_code == 1
    assert "SUMO_ACCESS_ID and SUMO_ACCESS_KEY" in result.stderr
    assert jobs(fake) == []


@pytest.mark.parametrize("args, message", [
    (["--query", "x", "--from", "yesterday-ish"], "--from: 'yesterday-ish' is not a time"),
    (["--query", "x", "--from", "-1h", "--to", "-2h"], "must be after --from"),
    (["--from", "-1h"], "exactly one of --query or --detection"),
    (["--detection", "no-such-detection"], "unknown detection"),
])
def test_bad_arguments_are_one_line_errors(fake, args, message):
    result = run(fake, *args)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    assert jobs(fake) == []


def test_wrong_credentials_are_a_one_line_error_without_the_key(fake):
    result = run(fake, "--query", "x", env={"SUMO_ACCESS_KEY": "not-the-right-key-123"})
    assert result.exit_code == 1
    assert "unauthorized" in result.stderr and "not-the-right-key-123" not in result.output


def test_progress_prints_a_line_per_change_not_per_poll(fake):
    query = "_sourceCategory=aws/cloudtrail | count"
    fake.state.search_outcomes[query] = SearchOutcome(records=[{"_count": 1}], polls_until_done=5)
    result = run(fake, "--query", query, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if "GATHERING" in line]
    assert progress == ["GATHERING RESULTS: 0 messages, 0 records", "DONE GATHERING RESULTS: 0 messages, 1 records"]
    assert jobs(fake)[0].polls == 5


def test_nothing_found_prints_no_table_and_says_so(fake):
    result = run(fake, "--query", "_sourceCategory=aws/cloudtrail eventName=NothingLikeThis")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "0 messages of 0" in result.stderr
