"""One sync session: a repository, one of its environments, its secrets and a client for its Sumo org."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sumoctl.project import Project, load_project
from sumoctl.sumo import SumoClient, resolve_endpoint
from sumoctl.sync.apply import ApplyResult, apply_plan
from sumoctl.sync.desired import DesiredState, desired_state
from sumoctl.sync.diff import make_plan
from sumoctl.sync.drift import DriftReport, detect_drift
from sumoctl.sync.plan import Plan
from sumoctl.sync.remote import RemoteState, read_remote
from sumoctl.sync.secrets import Secrets, read_secrets


@dataclass
class Planned:
    plan: Plan
    desired: DesiredState
    remote: RemoteState


@dataclass
class SyncSession:
    project: Project
    env_name: str
    secrets: Secrets = field(repr=False)
    client: SumoClient = field(repr=False)
    # Options for every client a session opens (tests against the fake switch the throttle off here).
    client_options: ClassVar[dict[str, Any]] = {}

    @classmethod
    def open(cls, root: Path | str, env_name: str, environ: Mapping[str, str] = os.environ,
             **client_options) -> SyncSession:
        """Load the repository, read the environment's secrets (one error naming every missing variable) and
        connect. The repository is loaded first: a broken repository never reaches Sumo."""
        project = load_project(root)
        environment = project.environment(env_name)
        source = project.sources.get(("environment", env_name))
        secrets = read_secrets(environment, environ, path=source.display if source else None)
        endpoint = resolve_endpoint(environment.deployment, environment.endpoint, environ)
        client = SumoClient(endpoint, secrets.access_id, secrets.access_key, **{**cls.client_options, **client_options})
        return cls(project, env_name, secrets, client)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> SyncSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def environment(self):
        return self.project.environment(self.env_name)

    def desired(self) -> DesiredState:
        return desired_state(self.project, self.env_name, self.secrets)

    def read(self) -> RemoteState:
        return read_remote(self.client, self.environment)

    def plan(self) -> Planned:
        desired = self.desired()  # render everything before the first request
        remote = self.read()
        return Planned(make_plan(desired, remote), desired, remote)

    def apply(self, planned: Planned, progress=None) -> ApplyResult:
        return apply_plan(self.client, planned.plan, planned.desired, planned.remote, progress)

    def drift(self) -> DriftReport:
        desired = self.desired()
        return detect_drift(desired, self.read())
