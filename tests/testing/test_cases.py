"""Running detection test cases: expectations, env and params, event files and lines, the min-cases rule."""

import textwrap

import pytest

from sumoctl.engine import StaticGeoProvider
from sumoctl.errors import SumoctlError
from sumoctl.project import load_project
from sumoctl.testing import run_tests
from sumoctl.testing.cases import check_expectation
from sumoctl.models import Expectation
from tests.helpers import REPO, copy_repo

BLOG_IDS = [
    "cloudtrail-account-discovery", "cloudtrail-account-discovery-blog", "cloudtrail-defense-evasion",
    "cloudtrail-lambda-persistence", "cloudtrail-lambda-persistence-exec-env", "cloudtrail-suspicious-console-login",
]


def test_every_shipped_blog_detection_passes_with_a_firing_and_a_quiet_case():
    run = run_tests(load_project(REPO), BLOG_IDS)
    assert run.exit_code == 0, [(r.detection, r.case, r.messages) for r in run.results if not r.passed]
    for detection_id in BLOG_IDS:
        cases = [r for r in run.results if r.detection == detection_id]
        assert any(r.rows for r in cases) or detection_id == "cloudtrail-account-discovery-blog"
        assert any(not r.rows for r in cases)


def test_the_burst_fires_the_corrected_search_and_not_the_blog_one():
    project = load_project(REPO)
    burst = {r.detection: r for r in run_tests(project, BLOG_IDS[:2]).results if "burst" in r.case}
    assert len(burst["cloudtrail-account-discovery"].rows) == 1
    assert burst["cloudtrail-account-discovery-blog"].rows == []


@pytest.mark.parametrize(
    "expect, rows, problems",
    [
        ({"fires": True}, [], ["expected the detection to fire, but it returned no rows"]),
        ({"fires": False}, [{"a": "1"}], ["expected the detection not to fire, but it returned 1 row(s)"]),
        ({"count": 2}, [{"a": "1"}], ["expected 2 row(s), got 1"]),
        ({"rows": [{"a": 1}]}, [{"a": "1", "b": "x"}], []),            # only listed fields, as Sumo prints them
        ({"rows": [{"a": 1}]}, [{"a": 1.0}], []),                      # numbers without a trailing .0
        ({"rows": [{"A": "1"}]}, [{"a": "1"}], []),                    # field names case-insensitive
        ({"rows": [{"a": "1"}]}, [{"a": "2"}], ["no result row has a='1'"]),
        ({"rows": [{"a": True}]}, [{"a": "true"}], []),
        ({"rows": [{"a": None}]}, [{"a": None}], []),
        ({"rows": [{"missing": "x"}]}, [{"a": "1"}], ["no result row has missing='x'"]),
    ],
)
def test_expectations(expect, rows, problems):
    assert check_expectation(Expectation(**expect), rows) == problems


def _project_with(tmp_path, tests_yaml):
    root = copy_repo(tmp_path / "repo")
    path = root / "monitors" / "cloudtrail-defense-evasion.yaml"
    text = path.read_text()
    start = text.index("tests:")
    path.write_text(text[:start] + textwrap.dedent(tests_yaml))
    return load_project(root)


def test_a_failing_case_is_reported_with_its_location(tmp_path):
    project = _project_with(tmp_path, """\
        tests:
          - name: wrongly expects silence
            events: [{file: real/stratus_log_tampering.jsonl, lines: [1]}]
            expect: {fires: false}
          - name: quiet
            events: [{record: {eventName: CreateUser, eventTime: "2024-05-14T03:05:11Z"}}]
            expect: {fires: false}
    """)
    run = run_tests(project, ["cloudtrail-defense-evasion"])
    assert run.exit_code == 2
    failed = run.failed[0]
    assert failed.case == "wrongly expects silence"
    assert failed.location == "monitors/cloudtrail-defense-evasion.yaml:21"
    assert "returned 1 row(s)" in failed.messages[0]


def test_min_cases_rule(tmp_path):
    project = _project_with(tmp_path, """\
        tests:
          - name: fires
            events: [{file: real/stratus_log_tampering.jsonl, lines: [1]}]
            expect: {fires: true}
    """)
    run = run_tests(project, ["cloudtrail-defense-evasion"])
    assert run.exit_code == 2
    assert [r.case for r in run.failed] == ["min-cases"]
    assert "does not fire" in run.failed[0].messages[0]
    assert run_tests(project, ["cloudtrail-defense-evasion"], min_cases=False).exit_code == 0


def test_a_missing_event_file_is_an_error_naming_the_place(tmp_path):
    project = _project_with(tmp_path, """\
        tests:
          - name: nothing there
            events: [{file: real/nope.jsonl}]
            expect: {fires: true}
    """)
    run = run_tests(project, ["cloudtrail-defense-evasion"], min_cases=False)
    assert run.exit_code == 1
    assert "monitors/cloudtrail-defense-evasion.yaml:22:15:" in run.errors[0].messages[0]
    assert "tests/events/real/nope.jsonl does not exist" in run.errors[0].messages[0]


def test_event_files_must_stay_under_tests_events(tmp_path):
    project = _project_with(tmp_path, """\
        tests:
          - name: escape
            events: [{file: ../../monitors/cloudtrail-defense-evasion.yaml}]
            expect: {fires: true}
    """)
    run = run_tests(project, ["cloudtrail-defense-evasion"], min_cases=False)
    assert run.exit_code == 1 and "must be under tests/events/" in run.errors[0].messages[0]


def test_case_params_and_env(tmp_path):
    root = copy_repo(tmp_path / "repo")
    path = root / "monitors" / "cloudtrail-suspicious-console-login.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("tests:")] + textwrap.dedent("""\
        tests:
          - name: Romania allowed by the case
            events: [{file: real/panther_compromised_root_creds.jsonl}]
            params: {allowed_countries: ["RO"]}
            expect: {fires: false}
          - name: prod allows Germany, not Romania
            env: prod
            events: [{file: real/panther_compromised_root_creds.jsonl}]
            expect: {fires: true}
    """))
    project = load_project(root)
    run = run_tests(project, ["cloudtrail-suspicious-console-login"], min_cases=False, geo=StaticGeoProvider({"92.55.146.245": {"country_code": "RO"}}))
    assert run.exit_code == 0, [r.messages for r in run.results]
    assert [r.env for r in run.results] == ["example", "prod"]


def test_an_unknown_environment_is_an_error():
    with pytest.raises(SumoctlError, match="unknown environment"):
        run_tests(load_project(REPO), env="nope")


def test_a_threat_provider_reaches_pack_runs():
    from sumoctl.engine import StaticThreatProvider
    from sumoctl.testing import evaluate_pack
    from tests.helpers import SHARED

    query = ('_sourceCategory=aws/cloudtrail | json "sourceIPAddress" as src_ip '
             '| lookup threatlevel as malicious_confidence from sumo://threat/cs on threat=src_ip '
             '| where !isNull(malicious_confidence) | count by src_ip, malicious_confidence')
    path = SHARED / "data" / "cloudtrail" / "panther_test_scenarios.jsonl"
    quiet = evaluate_pack(None, [path], query=query)
    assert quiet.results == [("adhoc", [])]  # no offline threat data: nothing is an indicator
    known = evaluate_pack(None, [path], query=query, threat=StaticThreatProvider({"92.55.146.245": {"threatlevel": "high"}}))
    assert [(r["src_ip"], r["malicious_confidence"]) for r in known.results[0][1]] == [("92.55.146.245", "high")]
