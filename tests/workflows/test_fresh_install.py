"""From a fresh clone to a new team's repository: build the wheel, install it (not editable), `sumoctl init`.

The pack reaches the wheel through symlinks under sumoctl/_shipped/; this proves setuptools follows them and
that a plain install carries every file `init` needs. Dependencies come from the running environment (the
wheel is installed with --no-deps into its own folder, which comes first on sys.path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.workflows.actions import REPO
from tests.workflows.helpers import needs_validate_and_test


def _clone(target: Path) -> Path:
    """The files git tracks, symlinks kept as symlinks: what CI's fresh clone holds."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet committed
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest, follow_symlinks=False)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fresh")
    clone = _clone(root / "clone")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(clone)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (root / "dist").glob("sumoctl-*.whl")
    site = root / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def _sumoctl(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(cwd)),
           "PYTHONPATH": str(site)}
    return subprocess.run([str(site / "bin" / "sumoctl"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_wheel_carries_the_pack_as_files(installed):
    [wheel] = installed.parent.glob("dist/sumoctl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("monitors", "queries", "templates"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file():
                assert f"sumoctl/_shipped/{folder}/{path.relative_to(REPO / folder)}" in names
    assert "sumoctl/_shipped/environments/example.yaml" in names
    assert "sumoctl/_shipped/gitlab-ci.yml" in names
    assert {f"sumoctl/_shipped/workflows/{p.name}" for p in (REPO / ".github/workflows").glob("*.yml")} <= names
    assert "sumoctl/scaffold_files/README.md" in names
    if (REPO / "tests/events").is_dir():
        assert any(n.startswith("sumoctl/_shipped/events/") for n in names)


def test_init_from_the_installed_wheel(installed, tmp_path):
    where = subprocess.run([sys.executable, "-c", "import sumoctl; print(sumoctl.__file__)"], cwd=tmp_path,
                           env={"PYTHONPATH": str(installed)}, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed)  # not this worktree's code
    result = _sumoctl(installed, tmp_path, "init", "new-repo")
    assert result.returncode == 0, result.stderr
    new_repo = tmp_path / "new-repo"
    assert sorted(p.name for p in (new_repo / "monitors").iterdir()) == sorted(p.name for p in (REPO / "monitors").glob("*.yaml"))
    assert (new_repo / ".github/workflows/sumoctl-pull-request.yml").read_text() == (
        REPO / ".github/workflows/sumoctl-pull-request.yml").read_text()


@needs_validate_and_test
def test_init_validate_and_test_pass_from_a_fresh_install(installed, tmp_path):
    """The issue's acceptance line: sumoctl init new-repo && cd new-repo && sumoctl validate && sumoctl test."""
    assert _sumoctl(installed, tmp_path, "init", "new-repo").returncode == 0
    for command in ("validate", "test"):
        result = _sumoctl(installed, tmp_path / "new-repo", command)
        assert result.returncode == 0, f"sumoctl {command}: {result.stdout}{result.stderr}"
