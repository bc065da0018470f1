"""Access id and key, read from the environment variables an environment names."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sumoctl.errors import SumoctlError

REDACTED = "(sensitive)"


@dataclass(frozen=True)
class Credentials:
    """A Sumo Logic access id and key. The key never appears in a repr or str."""

    access_id: str
    access_key: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(access_id={self.access_id!r}, access_key={REDACTED!r})"

    __str__ = __repr__


def credentials_from_env(access_id_env: str, access_key_env: str, env: Mapping[str, str] = os.environ,
                         *, context: str | None = None) -> Credentials:
    """Read the credentials; a single error names every variable that is missing or empty."""
    missing = [name for name in (access_id_env, access_key_env) if not env.get(name)]
    if missing:
        where = f" for {context}" if context else ""
        names = " and ".join(missing)
        raise SumoctlError(f"missing Sumo Logic credentials{where}: set the environment variable(s) {names}")
    return Credentials(env[access_id_env], env[access_key_env])
