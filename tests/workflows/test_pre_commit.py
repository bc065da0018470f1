"""The scaffolded `.pre-commit-config.yaml`, run by pre-commit itself in a new git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflows.actions import REPO
from tests.workflows.helpers import needs_validate_and_test


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert found, f"{name} is missing: install the dev dependencies (pip install -e '.[dev]')"
    return found


@pytest.fixture
def repo(small_scaffold, tmp_path) -> tuple[Path, dict[str, str]]:
    work = tmp_path / "detections"
    shutil.copytree(small_scaffold, work)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sumoctl").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sumoctl "$@"\n')
    (bin_dir / "sumoctl").chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(args, cwd=work, env=env, check=True)
    return work, env


def _pre_commit(work: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_tool("pre-commit"), "run", *args], cwd=work, env=env, capture_output=True, text=True,
                          timeout=300)


def test_hooks_skip_commits_that_touch_no_detection(repo):
    work, env = repo
    result = _pre_commit(work, env, "--files", "README.md")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("(no files to check)Skipped") == 2


def test_the_validate_hook_stops_a_broken_detection(repo):
    work, env = repo
    target = work / "monitors/cloudtrail-defense-evasion.yaml"
    target.write_text(target.read_text().replace("severity: critical", "severity: urgent"))
    result = _pre_commit(work, env, "sumoctl-validate", "--files", str(target.relative_to(work)))
    assert result.returncode == 1
    assert "sumoctl validate" in result.stdout and "Failed" in result.stdout
    assert "monitors/cloudtrail-defense-evasion.yaml" in result.stdout and "severity" in result.stdout


@needs_validate_and_test
def test_hooks_pass_on_the_scaffolded_repository(repo):
    work, env = repo
    result = _pre_commit(work, env, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Passed") == 2
