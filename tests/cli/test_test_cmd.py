"""`sumoctl test` through the CLI: exit codes, formats (text, json, JUnit valid against an XSD), errors."""

import json
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import xmlschema
from typer.testing import CliRunner

from sumoctl.cli.app import app
from tests.helpers import REPO, copy_repo

BLOG = [
    "cloudtrail-account-discovery", "cloudtrail-account-discovery-blog", "cloudtrail-defense-evasion",
    "cloudtrail-lambda-persistence", "cloudtrail-lambda-persistence-exec-env", "cloudtrail-suspicious-console-login",
]
XSD = xmlschema.XMLSchema(Path(__file__).parent / "schemas" / "junit.xsd")


def run(*args):
    return CliRunner().invoke(app, list(args))


def broken_repo(tmp_path):
    root = copy_repo(tmp_path / "repo")
    path = root / "monitors" / "cloudtrail-defense-evasion.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("tests:")] + textwrap.dedent("""\
        tests:
          - name: wrongly expects silence
            events: [{file: real/stratus_log_tampering.jsonl, lines: [1]}]
            expect: {fires: false}
          - name: quiet
            events: [{record: {eventName: CreateUser}}]
            expect: {fires: false}
    """))
    return root


def test_the_blog_detections_pass():
    result = run("test", *BLOG, "-C", str(REPO))
    assert result.exit_code == 0, result.output
    assert "0 failed, 0 errors" in result.stdout
    assert result.stdout.count("PASS ") >= 12


def test_a_failing_case_exits_2_and_says_where(tmp_path):
    result = run("test", "cloudtrail-defense-evasion", "-C", str(broken_repo(tmp_path)))
    assert result.exit_code == 2
    assert "FAIL  cloudtrail-defense-evasion :: wrongly expects silence [example]" in result.stdout
    assert "monitors/cloudtrail-defense-evasion.yaml:21: expected the detection not to fire" in result.stdout
    assert "min-cases" in result.stdout  # no firing case left


def test_json_format():
    result = run("test", "cloudtrail-defense-evasion", "--format", "json", "-C", str(REPO))
    payload = json.loads(result.stdout)
    assert payload["summary"] == {"passed": 4, "failed": 0, "errors": 0}
    first = payload["results"][0]
    assert first["status"] == "pass" and first["rows"][0]["event_name"] == "DeleteTrail"


def test_junit_is_valid_and_carries_failures(tmp_path):
    out = tmp_path / "junit.xml"
    result = run("test", "cloudtrail-defense-evasion", "--format", "junit", "--output", str(out), "-C", str(broken_repo(tmp_path)))
    assert result.exit_code == 2
    XSD.validate(out)
    XSD.validate(result.stdout)
    root = ElementTree.fromstring(out.read_text())
    suite = root.find("testsuite")
    assert suite.get("name") == "cloudtrail-defense-evasion" and suite.get("failures") == "2"
    failure = root.find(".//testcase[@name='wrongly expects silence [example]']/failure")
    assert "returned 1 row(s)" in failure.get("message")


def test_junit_of_the_passing_pack_is_valid():
    result = run("test", *BLOG, "--format", "junit", "-C", str(REPO))
    assert result.exit_code == 0
    XSD.validate(result.stdout)


def test_an_error_exits_1(tmp_path):
    root = copy_repo(tmp_path / "repo")
    path = root / "monitors" / "cloudtrail-defense-evasion.yaml"
    path.write_text(path.read_text().replace("real/stratus_log_tampering.jsonl", "real/gone.jsonl"))
    result = run("test", "cloudtrail-defense-evasion", "-C", str(root))
    assert result.exit_code == 1
    assert "ERROR cloudtrail-defense-evasion" in result.stdout
    assert "tests/events/real/gone.jsonl does not exist" in result.stdout


def test_an_unsupported_operator_is_an_error_not_a_pass(tmp_path):
    root = copy_repo(tmp_path / "repo")
    path = root / "queries" / "cloudtrail_defense_evasion.sumo.j2"
    path.write_text(path.read_text() + "| transpose row event_name column outcome\n")
    result = run("test", "cloudtrail-defense-evasion", "-C", str(root))
    assert result.exit_code == 1
    assert "queries/cloudtrail_defense_evasion.sumo.j2:8:3: operator 'transpose' is not supported by the offline engine" in result.stdout


def test_unknown_detection_and_environment_are_one_line_errors():
    result = run("test", "nope", "-C", str(REPO))
    assert result.exit_code == 1 and "unknown detection 'nope'" in result.output
    result = run("test", "--env", "nope", "-C", str(REPO))
    assert result.exit_code == 1 and "unknown environment 'nope'" in result.output
    assert "Traceback" not in result.output
