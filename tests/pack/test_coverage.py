from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from sumoctl.attack import TACTIC_BY_SHORTNAME, TACTICS, TECHNIQUES
from sumoctl.cli.app import app
from sumoctl.coverage import compute_coverage, detection_tactics, navigator_layer, validate_layer
from sumoctl.project import load_project
from tests.pack.conftest import REPO, write_repo

runner = CliRunner()


@pytest.fixture()
def small_repo(tmp_path):
    return load_project(write_repo(tmp_path, {
        "root-use": "name: Root use\ndescription: d\nseverity: high\ntags: [T1078.004, TA0001]\n",
        "trail-off": "name: Trail off\ndescription: d\nseverity: high\ntags: [T1562.008]\n",
        "shelved": "name: Shelved\ndescription: d\nseverity: low\ntags: [T1530]\nenabled: false\n",
        "odd-tag": "name: Odd tag\ndescription: d\nseverity: low\ntags: [T9999, TA0040]\n",
    }, environment="overrides:\n  trail-off: {enabled: false}\n  shelved: {enabled: true}\n"))


def test_every_technique_and_tactic_the_repository_uses_is_in_the_attack_table(project):
    for detection in project.detections.values():
        assert detection.techniques, detection.id
        for technique_id in detection.techniques:
            assert technique_id in TECHNIQUES, f"{detection.id}: {technique_id}"
        for tactic_id in detection.tactics:
            assert tactic_id in TACTICS, f"{detection.id}: {tactic_id}"


def test_attack_table_is_consistent():
    for technique in TECHNIQUES.values():
        assert technique.tactics and all(s in TACTIC_BY_SHORTNAME for s in technique.tactics), technique.id
        if technique.parent:
            parent = TECHNIQUES[technique.parent]
            assert technique.name.startswith(parent.name + ": "), technique.id
            assert set(technique.tactics) == set(parent.tactics), technique.id


def test_tactic_tags_win_over_the_tactics_a_technique_spans(small_repo):
    root_use = small_repo.detections["root-use"]
    assert detection_tactics(root_use) == {"TA0001"}  # T1078.004 also spans persistence, privesc, evasion
    assert detection_tactics(small_repo.detections["trail-off"]) == {"TA0005"}  # no tactic tag: from the technique


def test_coverage_counts_only_enabled_detections(small_repo):
    result = compute_coverage(small_repo)
    assert [d.id for d in result.enabled] == ["odd-tag", "root-use", "trail-off"]
    assert result.disabled == ["shelved"]
    assert "T1530" not in result.techniques
    assert result.techniques["T1078.004"].tactics == ["TA0001"]
    assert result.tactics["TA0005"].detections == ["trail-off"]
    assert result.tactics["TA0009"].detections == []
    assert result.unknown_techniques == ["T9999"]


def test_environment_overrides_decide_what_is_enabled(small_repo):
    result = compute_coverage(small_repo, "test")
    assert result.disabled == ["trail-off"]
    assert "T1530" in result.techniques and "T1562.008" not in result.techniques


def test_navigator_layer_of_the_repository_is_valid_and_scores_by_detection_count(project):
    result = compute_coverage(project, "example")
    layer = navigator_layer(result)
    assert validate_layer(layer) == []
    entries = {(t["techniqueID"], t.get("tactic")) for t in layer["techniques"]}
    assert ("T1562.008", "defense-evasion") in entries
    scores = {t["techniqueID"]: t["score"] for t in layer["techniques"]}
    assert scores["T1537"] == len(result.techniques["T1537"].detections) >= 3
    assert layer["gradient"]["maxValue"] == max(scores.values())


@pytest.mark.parametrize("breakage, where", [
    (lambda l: l.pop("name"), "(layer)"),
    (lambda l: l["versions"].update(layer="4.4"), "versions/layer"),
    (lambda l: l.update(domain="cloud-attack"), "domain"),
    (lambda l: l["techniques"][0].update(techniqueID="1562"), "techniques/0/techniqueID"),
    (lambda l: l["techniques"][0].update(tactic="Defense Evasion"), "techniques/0/tactic"),
    (lambda l: l["techniques"][0].update(score="high"), "techniques/0/score"),
    (lambda l: l["gradient"].update(colors=["#fff"]), "gradient/colors"),
    (lambda l: l["legendItems"][0].update(color="green"), "legendItems/0/color"),
    (lambda l: l["techniques"][0]["links"][0].update(url="attack.mitre.org"), "techniques/0/links/0"),
    (lambda l: l.update(sortng=3), "(layer)"),
    (lambda l: l["gradient"].update(minValue=5, maxValue=5), "gradient"),
])
def test_the_layer_schema_rejects_what_the_navigator_would(project, breakage, where):
    layer = copy.deepcopy(navigator_layer(compute_coverage(project)))
    breakage(layer)
    problems = validate_layer(layer)
    assert problems and any(p.startswith(where) for p in problems), problems


def test_cli_navigator_layer_validates(tmp_path):
    out = tmp_path / "layer.json"
    result = runner.invoke(app, ["coverage", "--format", "navigator", "--env", "prod", "-o", str(out), "-C", str(REPO)])
    assert result.exit_code == 0, result.output
    assert validate_layer(json.loads(out.read_text())) == []


def test_cli_text_and_json(small_repo):
    text = runner.invoke(app, ["coverage", "-C", str(small_repo.root)])
    assert text.exit_code == 0
    assert "3 enabled detections cover 3 techniques" in text.stdout
    assert "T9999" in text.stdout and "Disabled, not counted: shelved" in text.stdout
    data = json.loads(runner.invoke(app, ["coverage", "-f", "json", "-e", "test", "-C", str(small_repo.root)]).stdout)
    assert data["environment"] == "test" and data["disabled_detections"] == ["trail-off"]


def test_cli_unknown_environment_is_one_line_and_exit_1(small_repo):
    result = runner.invoke(app, ["coverage", "-e", "nope", "-C", str(small_repo.root)])
    assert result.exit_code == 1
    assert result.output.strip() == "error: unknown environment 'nope' (known: test)"
