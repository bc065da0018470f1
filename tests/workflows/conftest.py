"""Fixtures for running the CI files as CI would: a scaffolded repository and the fake Sumo org."""

from __future__ import annotations

from pathlib import Path

import pytest

from sumoctl.scaffold import CiSystem, init_repository
from tests.fakesumo import FakeSumo


@pytest.fixture(scope="session")
def scaffolded(tmp_path_factory) -> Path:
    """`sumoctl init` output, shared read-only by the tests (each workflow job runs in a copy)."""
    return init_repository(tmp_path_factory.mktemp("scaffold") / "detections", CiSystem.github).root


@pytest.fixture
def fake():
    # The fake's OpenAPI contract check cannot load the spec with the installed openapi-core (see tests/e2e);
    # switched off as there until the client fixes it. The workflows' HTTP is the sync commands', tested there.
    with FakeSumo(contract=False) as server:
        yield server
