"""End-to-end: the real `sumoctl` CLI (typer's runner, in-process) over real HTTP to the fake Sumo server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sumoctl.cli.app import app
from sumoctl.sumo import Backoff
from sumoctl.sync import SyncSession
from tests.fakesumo import FakeSumo
from tests.fakesumo.fixtures import fake_sumo  # noqa: F401
from tests.sync.helpers import ENVIRON, SECRET_VALUES, make_repo


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


class Org:
    """A fake Sumo org and a repository whose `test` environment points at it."""

    def __init__(self, fake: FakeSumo, repo: Path):
        self.fake = fake
        self.repo = repo
        self.environ = {**ENVIRON, "SUMO_ENDPOINT": fake.endpoint, "TEST_SUMO_ACCESS_ID": fake.access_id,
                        "TEST_SUMO_ACCESS_KEY": fake.access_key}
        self.runner = CliRunner()

    def sumoctl(self, *args: str) -> Result:
        result = self.runner.invoke(app, [*args, "--project", str(self.repo)], env=self.environ, catch_exceptions=False)
        out = Result(result.exit_code, result.stdout, result.stderr)
        for secret in SECRET_VALUES + (self.fake.access_key,):
            assert secret not in out.stdout and secret not in out.stderr, "a secret was printed"
        assert "Traceback" not in out.stderr
        return out

    def client(self):
        """A client for the test itself, to build what a user would have made in the UI."""
        from tests.fakesumo.fixtures import make_fast_client

        return make_fast_client(self.fake)

    def writes(self) -> int:
        return sum(1 for c in self.fake.calls if c.method in ("POST", "PUT", "DELETE"))

    # what the org holds ------------------------------------------------------------------------------------------

    def managed_monitors(self) -> list[dict]:
        return [m for m in self.fake.state.monitors.values() if (m.get("tags") or {}).get("sumoctl", "").startswith("test/")]

    def managed(self) -> list[tuple[str, str]]:
        """(kind, key) of every object carrying the test environment's marker."""
        from sumoctl.sync.markers import Marker

        found = [("monitor", Marker.from_tags(m.get("tags")).key) for m in self.managed_monitors()]
        for kind, items in (("connection", self.fake.state.connections), ("log_search", self.fake.state.log_searches)):
            for item in items.values():
                marker = Marker.from_description(item.get("description"))
                if marker and marker.environment == "test":
                    found.append((kind, marker.key))
        return sorted(found)


@pytest.fixture(autouse=True)
def fast_sessions(monkeypatch):
    """The fake answers at once and has no rate limiter unless a test asks: no client-side pacing needed."""
    monkeypatch.setattr(SyncSession, "client_options",
                        {"throttle": False, "retry_budget_s": 30.0, "backoff": Backoff(base_s=0.001, cap_s=0.01)})


@pytest.fixture
def org(fake_sumo, tmp_path):  # noqa: F811
    def make(**fake_options) -> Org:
        return Org(fake_sumo(**fake_options), make_repo(tmp_path / f"org{len(list(tmp_path.iterdir()))}"))

    return make
