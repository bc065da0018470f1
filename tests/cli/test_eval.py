"""`sumoctl eval` through the CLI over the real shared records and the bundled sample events."""

import json

from typer.testing import CliRunner

from sumoctl.cli.app import app
from tests.helpers import REPO, SHARED

CLOUDTRAIL = SHARED / "data" / "cloudtrail"


def run(*args):
    return CliRunner().invoke(app, [*args, "-C", str(REPO)])


def jsonl(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_console_logins_from_romania_and_bolivia_and_no_us_login():
    result = run("eval", "--env", "example", "--format", "jsonl", str(CLOUDTRAIL / "panther_test_scenarios.jsonl"))
    assert result.exit_code == 0, result.output
    logins = [r for r in jsonl(result) if r["detection"] == "cloudtrail-suspicious-console-login"]
    assert {r["country_code"] for r in logins} == {"RO", "BO"}
    assert {r["src_ip"] for r in logins} == {"92.55.146.245", "200.58.83.179"}
    assert not any(r["src_ip"] in ("71.253.251.71", "136.24.229.58") for r in logins)


def test_defense_evasion_finds_trail_and_log_deletions():
    stratus = jsonl(run("eval", "--env", "example", "--format", "jsonl", "--detection", "cloudtrail-defense-evasion",
                        str(CLOUDTRAIL / "stratus_red_team_detonations.jsonl")))
    assert sorted(r["event_name"] for r in stratus) == ["DeleteTrail", "StopLogging"]
    elastic = jsonl(run("eval", "--env", "example", "--format", "jsonl", "--detection", "cloudtrail-defense-evasion",
                        str(CLOUDTRAIL / "elastic_integrations_cloudtrail_subset.jsonl")))
    assert sorted(r["event_name"] for r in elastic) == ["DeleteLogGroup", "DeleteLogStream"]
    assert all(r["detection"] == "cloudtrail-defense-evasion" and "raw" not in r for r in stratus + elastic)


def test_a_constructed_burst_fires_the_corrected_search_only():
    burst = REPO / "tests" / "events" / "constructed" / "access_denied_burst.jsonl"
    rows = jsonl(run("eval", "--env", "example", "--format", "jsonl", str(burst)))
    fired = {r["detection"] for r in rows}
    assert "cloudtrail-account-discovery" in fired and "cloudtrail-account-discovery-blog" not in fired


def test_the_pack_over_the_bundled_sample_events_and_the_summary():
    result = run("eval", "--env", "example", str(REPO / "tests" / "events"))
    assert result.exit_code == 0, result.output
    assert "cloudtrail-defense-evasion:" in result.stdout
    assert "events read:" in result.output and "skipped: 0" in result.output
    # Disabled detections stay out unless named.
    assert "cloudtrail-account-discovery-blog" not in result.stdout


def test_json_format_has_results_and_summary():
    chosen = ["--detection", "cloudtrail-suspicious-console-login", "--detection", "cloudtrail-defense-evasion"]
    result = run("eval", "--env", "example", "--format", "json", *chosen, str(CLOUDTRAIL / "panther_test_scenarios.jsonl"))
    payload = json.loads(result.stdout)
    assert payload["summary"] == {"events": 27, "skipped": 0, "matched": 9}
    assert {d["detection"] for d in payload["results"]} >= {"cloudtrail-suspicious-console-login"}


def test_an_ad_hoc_query():
    result = run("eval", "--format", "jsonl", "--query", '_sourceCategory=aws/cloudtrail | json "eventName" as e | count by e | sort by _count',
                 str(CLOUDTRAIL / "panther_test_scenarios.jsonl"))
    rows = jsonl(result)
    assert rows[0] == {"detection": "adhoc", "e": "ConsoleLogin", "_count": "14"}


def test_source_category_override_changes_what_the_scope_sees():
    args = ["eval", "--format", "jsonl", "--query", "_sourceCategory=other | count", str(CLOUDTRAIL / "panther_test_scenarios.jsonl")]
    assert jsonl(run(*args)) == []
    assert jsonl(run(*args[:-1], "--source-category", "other", args[-1])) == [{"detection": "adhoc", "_count": "27"}]


def test_timezone_moves_timeslices():
    query = '_sourceCategory=aws/cloudtrail | timeslice 1d | count by _timeslice | sort by _timeslice asc'
    path = str(CLOUDTRAIL / "panther_test_scenarios.jsonl")
    utc = jsonl(run("eval", "--format", "jsonl", "--query", query, path))
    tokyo = jsonl(run("eval", "--format", "jsonl", "--query", query, "--timezone", "Asia/Tokyo", path))
    assert int(utc[0]["_timeslice"]) % 86_400_000 == 0
    assert (int(tokyo[0]["_timeslice"]) + 9 * 3_600_000) % 86_400_000 == 0
    assert run("eval", "--query", query, "--timezone", "Mars/Olympus", path).exit_code == 1


def test_bad_lines_are_skipped_and_counted_or_fatal_with_strict(tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = (CLOUDTRAIL / "panther_test_scenarios.jsonl").read_text().splitlines()[:2]
    path.write_text("\n".join([good[0], '{"eventName": "Con', good[1]]) + "\n")
    result = run("eval", "--env", "example", str(path))
    assert result.exit_code == 0
    assert f"{path}:2: not valid JSON" in result.output
    assert "events read: 3, skipped: 1" in result.output
    strict = run("eval", "--env", "example", "--strict", str(path))
    assert strict.exit_code == 1
    assert f"{path}:2: bad event (--strict)" in strict.output and "Traceback" not in strict.output


def test_missing_input_and_bad_query_are_one_line_errors(tmp_path):
    result = run("eval", "--env", "example", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 1 and f"{tmp_path / 'nope.jsonl'}: no such file or folder" in result.output
    result = run("eval", "--query", "_sourceCategory=x | where (", str(CLOUDTRAIL / "panther_test_scenarios.jsonl"))
    assert result.exit_code == 1 and "--query" in result.output and "Traceback" not in result.output
    result = run("eval", "--query", "_sourceCategory=x | outlier a", str(CLOUDTRAIL / "panther_test_scenarios.jsonl"))
    assert result.exit_code == 1 and "outlier" in result.output


VALUES_QUERY = '_sourceCategory=aws/cloudtrail | json "eventName", "userIdentity.type" as e, t | where t = "IAMUser" or t = "Root" | values(e) as names by t'


def test_text_format_shows_multi_line_values_on_one_line_and_jsonl_keeps_them():
    path = str(CLOUDTRAIL / "panther_test_scenarios.jsonl")
    text = run("eval", "--query", VALUES_QUERY, path)
    assert text.exit_code == 0, text.output
    root = [line for line in text.stdout.splitlines() if line.startswith("query: t=Root")]
    assert len(root) == 1
    assert "names=AttachUserPolicy, ConsoleLogin, CreateAccessKey" in root[0]
    assert "query: 2 row(s)" in text.stderr
    exact = [r for r in jsonl(run("eval", "--format", "jsonl", "--query", VALUES_QUERY, path)) if r["t"] == "Root"]
    assert exact[0]["names"].startswith("AttachUserPolicy\nConsoleLogin\nCreateAccessKey")


def test_rows_of_non_aggregate_detections_stream_in_event_order(tmp_path):
    query = '_sourceCategory=aws/cloudtrail | json "eventName" as e | where e in ("ConsoleLogin", "StopLogging") | fields e'
    path = str(CLOUDTRAIL / "panther_test_scenarios.jsonl")
    streamed = jsonl(run("eval", "--format", "jsonl", "--query", query, path))
    expected = [json.loads(line)["eventName"] for line in open(path) if line.strip()]
    assert [r["e"] for r in streamed] == [e for e in expected if e in ("ConsoleLogin", "StopLogging")]
    assert streamed


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    """`sumoctl eval ... | head`: the closed pipe is no error reading the input, no traceback, no worker left
    behind, and the exit code is git's for SIGPIPE (141)."""
    import subprocess
    import sys

    lines = [line for line in (SHARED / "data" / "cloudtrail" / "stratus_red_team_detonations.jsonl").read_bytes().splitlines() if line]
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as out:
        while out.tell() < 20 << 20:  # past the size that is split between workers
            out.write(b"\n".join(lines) + b"\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sumoctl", "eval", "--env", "example", "--jobs", "2", "--no-progress", "--format", "jsonl",
         "-C", str(REPO), str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert json.loads(first)["detection"]
    assert stderr == ""
    import psutil

    assert [p.pid for p in psutil.process_iter(["cmdline"]) if str(path) in (p.info["cmdline"] or [])] == []
