from __future__ import annotations

from typer.testing import CliRunner

from sumoctl.catalog import render_catalog, split_description
from sumoctl.cli.app import app
from sumoctl.project import load_project
from tests.pack.conftest import REPO, write_repo

runner = CliRunner()


def test_description_splits_at_triage():
    what, triage = split_description("Looks for X.\nFires on: Y.\nTriage: check Z\nthen W.\n")
    assert what == "Looks for X. Fires on: Y."
    assert triage == "check Z then W."
    assert split_description("Only what.") == ("Only what.", "")


def test_catalogue_lists_every_detection_with_techniques_tests_and_triage(project):
    text = render_catalog(project)
    for detection in project.detections.values():
        assert f'<a id="{detection.id}"></a>' in text
        assert f"[`{detection.id}`](#{detection.id})" in text
    section = text.split('<a id="cloudtrail-ebs-snapshot-shared"></a>')[1].split("<a id=")[0]
    assert "T1537 Transfer Data to Cloud Account" in section
    assert "- a snapshot shared with an unknown account fires (Stratus, real)" in section
    assert "**Triage.** whose account is the grantee?" in section
    assert "`allowed_share_accounts` = `[]`" in section


def test_checked_in_catalogue_is_current():
    assert (REPO / "docs" / "detections.md").read_text() == render_catalog(load_project(REPO))


def test_docs_writes_then_check_passes_and_catches_a_stale_page(tmp_path):
    root = write_repo(tmp_path, {"one": "name: One\ndescription: |\n  Finds one.\n  Triage: look.\nseverity: low\ntags: [T1530]\n"})
    assert runner.invoke(app, ["docs", "-C", str(root), "--check"]).exit_code == 2  # missing
    written = runner.invoke(app, ["docs", "-C", str(root)])
    assert written.exit_code == 0
    page = (root / "docs" / "detections.md").read_text()
    assert "| [`one`](#one) | One | low | monitor | T1530 | 0 |" in page
    assert runner.invoke(app, ["docs", "-C", str(root), "--check"]).exit_code == 0
    (root / "monitors" / "one.yaml").write_text((root / "monitors" / "one.yaml").read_text().replace("low", "high"))
    assert runner.invoke(app, ["docs", "-C", str(root), "--check"]).exit_code == 2


def test_docs_on_a_broken_repository_is_a_located_error_and_writes_nothing(tmp_path):
    root = write_repo(tmp_path, {"bad": "name: Bad\ndescription: d\nseverity: urgent\ntags: [T1530]\n"})
    result = runner.invoke(app, ["docs", "-C", str(root)])
    assert result.exit_code == 1
    assert result.output.startswith("monitors/bad.yaml:") or "monitors/bad.yaml:" in result.output
    assert "Traceback" not in result.output
    assert not (root / "docs").exists()
