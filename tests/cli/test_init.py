"""`sumoctl init`: what a new team gets, and that a refused or failed init leaves nothing behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from sumoctl import __version__, scaffold
from sumoctl.cli.app import app
from sumoctl.project import load_project
from tests.helpers import REPO

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<schema>\S+)\n")


def run(*args):
    return CliRunner().invoke(app, [*args])


@pytest.fixture(scope="module")
def new_repo(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("init") / "detections"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    return target


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_init_ships_the_detection_pack_of_this_repository(new_repo):
    shipped = {p.name for p in (REPO / "monitors").glob("*.yaml")}
    assert shipped and {p.name for p in (new_repo / "monitors").iterdir()} == shipped
    for folder in ("queries", "templates"):
        assert _files(new_repo / folder) == _files(REPO / folder)
        for name in _files(REPO / folder):
            assert (new_repo / folder / name).read_bytes() == (REPO / folder / name).read_bytes(), name
    if (REPO / "tests/events").is_dir():
        assert _files(new_repo / "tests/events") == _files(REPO / "tests/events")


def test_init_ships_only_the_example_environment(new_repo):
    assert [p.name for p in (new_repo / "environments").iterdir()] == ["example.yaml"]


def test_every_yaml_file_names_the_schema_that_validates_it(new_repo):
    yaml_files = sorted((new_repo / "monitors").glob("*.yaml")) + sorted((new_repo / "environments").glob("*.yaml"))
    assert len(yaml_files) >= 7
    for path in yaml_files:
        text = path.read_text()
        match = MODELINE.match(text)
        assert match, f"{path.name} does not start with a yaml-language-server modeline"
        schema = json.loads((path.parent / match["schema"]).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(text))
        # The rest of the file is the shipped file, byte for byte.
        assert text[match.end():] == (REPO / path.parent.name / path.name).read_text()


def test_the_schemas_reject_what_the_loader_rejects(new_repo):
    schema = json.loads((new_repo / "schemas/detection.schema.json").read_text())
    detection = yaml.safe_load((new_repo / "monitors/cloudtrail-defense-evasion.yaml").read_text())
    detection["severty"] = "high"  # a typo an editor should underline
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(detection)


def test_vscode_maps_every_yaml_file_to_an_existing_schema(new_repo):
    settings = json.loads((new_repo / ".vscode/settings.json").read_text())
    covered = set()
    for schema_path, globs in settings["yaml.schemas"].items():
        assert (new_repo / schema_path).is_file(), schema_path
        for pattern in globs:
            covered |= {str(p.relative_to(new_repo)) for p in new_repo.glob(pattern)}
    yaml_in_pack = {str(p.relative_to(new_repo)) for d in ("monitors", "environments") for p in (new_repo / d).glob("*.yaml")}
    assert yaml_in_pack and yaml_in_pack <= covered


def test_the_scaffold_loads_as_a_detections_repository(new_repo):
    project = load_project(new_repo)
    assert set(project.environments) == {"example"}
    assert len(project.detections) == len(list((REPO / "monitors").glob("*.yaml")))
    for detection_id in project.detections:
        assert project.render(detection_id, "example").query.strip()


def test_team_files_ci_and_pinned_version(new_repo):
    files = _files(new_repo)
    assert {"README.md", ".gitignore", ".pre-commit-config.yaml", ".vscode/extensions.json", "requirements.txt"} <= files
    assert {f".github/workflows/{p.name}" for p in (REPO / ".github/workflows").glob("*.yml")} <= files
    assert ".gitlab-ci.yml" not in files
    assert f"sumoctl=={__version__}" in (new_repo / "requirements.txt").read_text().splitlines()
    assert scaffold.VERSION_PLACEHOLDER not in "".join((new_repo / f).read_text() for f in ("README.md", ".pre-commit-config.yaml"))
    hooks = yaml.safe_load((new_repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert [h["entry"] for h in hooks] == ["sumoctl validate", "sumoctl test"]


@pytest.mark.parametrize("ci, present, absent", [
    ("gitlab", ".gitlab-ci.yml", ".github"),
    ("none", None, ".github"),
])
def test_init_ci_choice(tmp_path, ci, present, absent):
    result = run("init", "--ci", ci, str(tmp_path / "repo"))
    assert result.exit_code == 0, result.output
    if present:
        assert (tmp_path / "repo" / present).read_text() == (REPO / "examples/gitlab/.gitlab-ci.yml").read_text()
    assert not (tmp_path / "repo" / absent).exists()
    assert (tmp_path / "repo/monitors").is_dir()


def test_init_into_an_empty_folder(tmp_path):
    (tmp_path / "repo").mkdir()
    result = run("init", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "repo/monitors").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["repo"]  # no staging folder left behind


def test_init_creates_missing_parents(tmp_path):
    result = run("init", str(tmp_path / "a/b/repo"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a/b/repo/README.md").is_file()


@pytest.mark.parametrize("existing", ["non-empty folder", "file"])
def test_init_refuses_an_existing_target_and_writes_nothing(tmp_path, existing):
    target = tmp_path / "repo"
    if existing == "file":
        target.write_text("notes\n")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("keep me\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = run("init", str(target))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{target}: ") and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_a_failure_half_way_leaves_nothing(tmp_path, monkeypatch):
    real_write = scaffold._write
    written = []

    def failing_write(root, relpath, text):
        if len(written) == 5:
            raise OSError(28, "No space left on device")
        written.append(relpath)
        real_write(root, relpath, text)

    monkeypatch.setattr(scaffold, "_write", failing_write)
    result = run("init", str(tmp_path / "repo"))
    assert result.exit_code == 1
    assert result.output.strip() == f"{tmp_path / 'repo'}: cannot create the repository: No space left on device"
    assert len(written) == 5
    assert list(tmp_path.iterdir()) == []  # neither the target nor the staging folder


def test_an_installation_without_its_pack_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(scaffold, "SHIPPED", tmp_path / "missing")
    result = run("init", str(tmp_path / "repo"))
    assert result.exit_code == 1
    assert "lacks its shipped 'queries'" in result.output and "reinstall sumoctl" in result.output
    assert [p.name for p in tmp_path.iterdir()] == []


def test_init_dot_fills_the_empty_folder_the_shell_is_in(tmp_path, monkeypatch):
    (tmp_path / "repo").mkdir()
    inode = (tmp_path / "repo").stat().st_ino
    monkeypatch.chdir(tmp_path / "repo")
    result = run("init", ".")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "repo").stat().st_ino == inode  # the same folder, not a replacement
    assert Path("monitors").is_dir() and Path("README.md").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["repo"]


def test_a_failure_filling_an_empty_folder_leaves_it_empty(tmp_path, monkeypatch):
    (tmp_path / "repo").mkdir()
    real_rename = scaffold.os.rename
    calls = []

    def failing_rename(source, dest):
        calls.append(dest)
        if len(calls) == 3:
            raise OSError(13, "Permission denied")
        real_rename(source, dest)

    monkeypatch.setattr(scaffold.os, "rename", failing_rename)
    result = run("init", str(tmp_path / "repo"))
    assert result.exit_code == 1 and "Permission denied" in result.output
    assert list((tmp_path / "repo").iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["repo"]


def test_errors_name_the_path_as_typed(tmp_path, monkeypatch):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo/x").write_text("")
    monkeypatch.chdir(tmp_path)
    result = run("init", "repo")
    assert result.exit_code == 1
    assert result.output.startswith("repo: folder is not empty")
