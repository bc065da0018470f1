"""Reading the secrets sync needs from environment variables: the Sumo credentials, and each connection's webhook
URL and authorization header values. Every missing variable is named in one error; no value is ever shown."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sumoctl.errors import SumoctlError
from sumoctl.models import Environment


@dataclass(frozen=True)
class Secrets:
    access_id: str
    access_key: str = field(repr=False)
    connection_urls: dict[str, str] = field(repr=False, default_factory=dict)
    connection_headers: dict[str, list[tuple[str, str]]] = field(repr=False, default_factory=dict)

    def __repr__(self) -> str:
        return f"Secrets(access_id={self.access_id!r}, (sensitive))"


def required_variables(environment: Environment) -> list[str]:
    names = [environment.credentials.access_id_env, environment.credentials.access_key_env]
    for connection in environment.connections:
        names.append(connection.url_env)
        names += [h.value_env for h in connection.headers]
    return list(dict.fromkeys(names))


def read_secrets(environment: Environment, environ: Mapping[str, str] = os.environ, *, path: str | None = None) -> Secrets:
    """All secrets of `environment`, or one error naming every variable that is missing or empty."""
    missing = [name for name in required_variables(environment) if not environ.get(name)]
    if missing:
        raise SumoctlError(
            f"environment {environment.name!r} needs these environment variables, which are not set: {', '.join(missing)}",
            path,
        )
    creds = environment.credentials
    return Secrets(
        access_id=environ[creds.access_id_env],
        access_key=environ[creds.access_key_env],
        connection_urls={c.name: environ[c.url_env] for c in environment.connections},
        connection_headers={c.name: [(h.name, environ[h.value_env]) for h in c.headers] for c in environment.connections},
    )
