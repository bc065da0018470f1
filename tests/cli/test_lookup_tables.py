"""A detection that reads a Sumo lookup table, through `sumoctl test`, `eval` and `validate`, on a small
repository that keeps the table's CSV copy under `lookups/`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from sumoctl.cli.app import app

ENVIRONMENT = """\
description: A test org.
deployment: us2
monitor_folder: /Monitor/Security/test
content_folder: test
params:
  source_category: aws/cloudtrail
  admin_table: /shared/aws/cloudtrail/admin_users
"""

# The table's path is a parameter: each environment can read its own table.
QUERY = """\
_sourceCategory={{ source_category }}
| json "eventName", "userIdentity.userName", "userIdentity.accountId" as event_name, user, account_id nodrop
| where event_name = "CreateUser"
| lookup role, team as admin_team from {{ admin_table }} on user_name = user and account_id = account_id
| where !isNull(role)
| fields event_name, user, role, admin_team
"""

MONITOR = """\
id: admin-creates-user
name: An administrator from the admin_users table created an IAM user
description: Reads the admin_users lookup table.
severity: low
tags: [T1136]
query: admin_creates_user.sumo.j2
deploy:
  kind: monitor
  frequency: 5m
  time_range: 15m
  trigger: {threshold: 0, comparison: gt}
tests:
  - name: an admin fires with their role
    events:
      - record: {eventName: CreateUser, userIdentity: {userName: alice, accountId: "111122223333"}}
    expect: {count: 1, rows: [{user: alice, role: admin, admin_team: platform}]}
  - name: the same user in another account, a user not in the table, and (a classic table) another case do not fire
    events:
      - record: {eventName: CreateUser, userIdentity: {userName: alice, accountId: "999999999999"}}
      - record: {eventName: CreateUser, userIdentity: {userName: mallory, accountId: "111122223333"}}
      - record: {eventName: CreateUser, userIdentity: {userName: ALICE, accountId: "111122223333"}}
    expect: {fires: false}
"""

TABLE = 'user_name,account_id,role,team\n"alice","111122223333","admin","platform"\n"bob","111122223333","ops",\n'
CSV = Path("lookups/shared/aws/cloudtrail/admin_users.csv")


def repository(tmp_path: Path, table: str | None = TABLE) -> Path:
    root = tmp_path / "repo"
    for name, text in {
        "environments/example.yaml": ENVIRONMENT, "queries/admin_creates_user.sumo.j2": QUERY,
        "monitors/admin-creates-user.yaml": MONITOR,
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if table is not None:
        (root / CSV).parent.mkdir(parents=True)
        (root / CSV).write_text(table)
    return root


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_sumoctl_test_reads_the_table_from_lookups(tmp_path):
    root = repository(tmp_path)
    result = run("test", "-C", root, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"] == {"passed": 2, "failed": 0, "errors": 0}
    assert [(r["user"], r["role"], r["admin_team"]) for r in report["results"][0]["rows"]] == [("alice", "admin", "platform")]


def test_a_missing_copy_fails_the_case_at_the_lookup_and_names_the_file_to_add(tmp_path):
    root = repository(tmp_path, table=None)
    result = run("test", "-C", root)
    assert result.exit_code == 1, result.output
    assert ("queries/admin_creates_user.sumo.j2:4:3: lookup table /shared/aws/cloudtrail/admin_users has no local "
            "copy: add lookups/shared/aws/cloudtrail/admin_users.csv") in result.output


def test_validate_does_not_need_the_copy(tmp_path):
    result = run("validate", "-C", repository(tmp_path, table=None))
    assert result.exit_code == 0, result.output


def test_a_malformed_copy_is_reported_at_its_line(tmp_path):
    root = repository(tmp_path, table=TABLE + '"carol","111122223333"\n')
    result = run("test", "-C", root)
    assert result.exit_code == 1
    assert "lookups/shared/aws/cloudtrail/admin_users.csv:4: row has 2 cell(s) but the header has 4 column(s)" in result.output
    result = run("eval", "-C", root, "--detection", "admin-creates-user", _events(tmp_path))
    assert result.exit_code == 1
    assert "lookups/shared/aws/cloudtrail/admin_users.csv:4: detection admin-creates-user: row has 2 cell(s)" in result.output


def _events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    records = [
        {"eventName": "CreateUser", "userIdentity": {"userName": "bob", "accountId": "111122223333"}},
        {"eventName": "CreateUser", "userIdentity": {"userName": "eve", "accountId": "111122223333"}},
        {"eventName": "DeleteUser", "userIdentity": {"userName": "alice", "accountId": "111122223333"}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_eval_of_the_pack_and_of_a_query_in_the_repository(tmp_path):
    root = repository(tmp_path)
    result = run("eval", "-C", root, "--format", "jsonl", _events(tmp_path))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["detection"], r["user"], r["role"]) for r in rows] == [("admin-creates-user", "bob", "ops")]
    assert rows[0]["admin_team"] is None  # an empty cell is null
    query = ('_sourceCategory=aws/cloudtrail | json "userIdentity.userName" as user '
             "| lookup role from /shared/aws/cloudtrail/admin_users on user_name = user | count by role")
    result = run("eval", "-C", root, "--format", "jsonl", "--query", query, _events(tmp_path))
    assert result.exit_code == 0, result.output
    counts = {r.get("role"): r["_count"] for r in map(json.loads, result.stdout.splitlines())}
    assert counts == {"ops": "1", "admin": "1", "": "1"}


def test_eval_query_outside_a_repository_has_no_tables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    query = '_sourceCategory=aws/cloudtrail | json "userIdentity.userName" as user | lookup role from /shared/admins on user_name = user'
    result = run("eval", "--query", query, _events(tmp_path))
    assert result.exit_code == 1
    column = query.index("lookup") + 1
    assert f"1:{column}: lookup table /shared/admins has no local copy: add lookups/shared/admins.csv" in result.output
    assert "Traceback" not in result.output
