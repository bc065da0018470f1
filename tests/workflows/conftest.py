"""Fixtures for running the CI files as CI would: a scaffolded repository and the fake Sumo org."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sumoctl.scaffold import CiSystem, init_repository
from tests.fakesumo import FakeSumo


@pytest.fixture(scope="session")
def scaffolded(tmp_path_factory) -> Path:
    """`sumoctl init` output, shared read-only by the tests (each workflow job runs in a copy)."""
    return init_repository(tmp_path_factory.mktemp("scaffold") / "detections", CiSystem.github).root


# The detections the workflow tests that are not about the size of the pack keep: two monitors with their test
# cases, as a team that removed the rest would have. Running the whole pack there would only cost time.
SMALL_PACK = ("cloudtrail-defense-evasion.yaml", "cloudtrail-suspicious-console-login.yaml")


@pytest.fixture(scope="session")
def small_scaffold(scaffolded, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small") / "detections"
    shutil.copytree(scaffolded, root)
    for path in (root / "monitors").iterdir():
        if path.name not in SMALL_PACK:
            path.unlink()
    assert sorted(p.name for p in (root / "monitors").iterdir()) == sorted(SMALL_PACK)
    return root


@pytest.fixture(scope="session")
def small_gitlab_scaffold(tmp_path_factory) -> Path:
    root = init_repository(tmp_path_factory.mktemp("gitlab") / "detections", CiSystem.gitlab).root
    for path in (root / "monitors").iterdir():
        if path.name not in SMALL_PACK:
            path.unlink()
    return root


@pytest.fixture
def fake():
    # On exit the fake checks every exchange of the run against the OpenAPI spec.
    with FakeSumo() as server:
        yield server
