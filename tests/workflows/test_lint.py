"""The CI files checked by the linters their platforms' users run, and for how they handle secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.workflows.actions import REPO, load_workflow

WORKFLOW_FILES = sorted((REPO / ".github" / "workflows").glob("*.yml"))
GITLAB_CI = REPO / "examples" / "gitlab" / ".gitlab-ci.yml"
SECRET_VARIABLES = ("SUMO_ACCESS_ID", "SUMO_ACCESS_KEY", "SUMOCTL_EXAMPLE_WEBHOOK_URL", "SUMOCTL_GITLAB_TOKEN", "GH_TOKEN")


def _tool(name: str) -> str:
    """A dev dependency's command: next to this Python (a venv not on PATH) or on PATH."""
    found = shutil.which(name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert found, f"{name} is missing: install the dev dependencies (pip install -e '.[dev]')"
    return found


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


def test_there_are_the_three_workflows():
    assert [p.name for p in WORKFLOW_FILES] == ["sumoctl-apply.yml", "sumoctl-drift.yml", "sumoctl-pull-request.yml"]


def test_actionlint_finds_nothing():
    # actionlint checks syntax, expressions and their types, action inputs of known actions, and runs shellcheck
    # over `run:` scripts when shellcheck is installed.
    result = _run(_tool("actionlint"), "-no-color", *map(str, WORKFLOW_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    """The linter is really looking: a typo in an expression and an unknown input are errors."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    text = (REPO / ".github/workflows/sumoctl-drift.yml").read_text()
    broken = text.replace("steps.drift.outputs.found == 'true'", "steps.drfit.outputs.found == 'true'", 1)
    broken = broken.replace("persist-credentials: false", "persist-credential: false", 1)
    target = tmp_path / ".github/workflows/drift.yml"
    target.write_text(broken)
    result = _run(_tool("actionlint"), "-no-color", str(target), cwd=tmp_path)
    assert result.returncode == 1
    assert "drfit" in result.stdout and "persist-credential" in result.stdout


@pytest.mark.parametrize("path, schema", [
    *[(p, "vendor.github-workflows") for p in WORKFLOW_FILES],
    (GITLAB_CI, "vendor.gitlab-ci"),
], ids=lambda v: v.name if isinstance(v, Path) else v)
def test_ci_files_match_their_platform_schema(path, schema):
    # The SchemaStore schemas of GitHub workflows and GitLab CI, vendored by check-jsonschema (no network).
    result = _run(_tool("check-jsonschema"), "--builtin-schema", schema, str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_hook_manifest_and_scaffolded_config_are_valid():
    pre_commit = _tool("pre-commit")
    manifest = _run(pre_commit, "validate-manifest", str(REPO / ".pre-commit-hooks.yaml"))
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    config = _run(pre_commit, "validate-config", str(REPO / "sumoctl/scaffold_files/pre-commit-config.yaml"))
    assert config.returncode == 0, config.stdout + config.stderr
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert {k: (h["entry"], h["pass_filenames"]) for k, h in hooks.items()} == {
        "sumoctl-validate": ("sumoctl validate", False), "sumoctl-test": ("sumoctl test", False),
    }


def _expands(script: str, name: str) -> bool:
    return f"${name}" in script or f"${{{name}}}" in script


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (str(key),))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, path + (str(index),))
    else:
        yield path, node


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_secrets_reach_steps_only_through_env(path):
    workflow = load_workflow(path)
    for where, value in _walk(workflow):
        if not isinstance(value, str):
            continue
        if "secrets." in value or "github.token" in value:
            assert "env" in where, f"{'.'.join(where)} reads a secret outside an env block"
        if where[-1] == "run":
            # No expression in a script: values reach it as environment variables, never pasted into the shell
            # (script injection), and no script expands a secret variable, so none can echo one.
            assert "${{" not in value, f"{'.'.join(where)} interpolates an expression into the script"
            assert "set -x" not in value
            for name in SECRET_VARIABLES:
                assert not _expands(value, name), f"{'.'.join(where)} expands {name}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_least_privilege(path):
    workflow = load_workflow(path)
    assert workflow["permissions"] == {"contents": "read"} or path.name == "sumoctl-drift.yml"
    for job in workflow["jobs"].values():
        assert "timeout-minutes" in job
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False  # no token left in .git/config


def test_drift_runs_on_a_schedule_and_may_write_issues_only():
    workflow = load_workflow(REPO / ".github/workflows/sumoctl-drift.yml")
    assert re.fullmatch(r"[\d*/,-]+ [\d*/,-]+ [\d*/,-]+ [\d*/,-]+ [\d*/,-]+", workflow["on"]["schedule"][0]["cron"])
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}


def test_gitlab_scripts_never_print_a_secret():
    pipeline = yaml.safe_load(GITLAB_CI.read_text())
    for name, job in pipeline.items():
        if not isinstance(job, dict) or "script" not in job:
            continue
        for line in job["script"]:
            for secret in SECRET_VARIABLES:
                assert not _expands(line, secret), f"job {name} expands {secret} in its shell script"
    assert pipeline["apply"]["when" if "when" in pipeline["apply"] else "rules"][0]["when"] == "manual"
    assert pipeline["apply"]["environment"]["name"] == "sumo-production"
