"""Sumo Logic deployments and the API base URL a client talks to."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import urlsplit

from sumoctl.errors import SumoctlError


class Deployment(StrEnum):
    """The Sumo Logic deployments (pods) with a public API host."""

    US1 = "us1"
    US2 = "us2"
    EU = "eu"
    AU = "au"
    DE = "de"
    JP = "jp"
    CA = "ca"
    IN = "in"
    KR = "kr"
    FED = "fed"
    CH = "ch"

    @property
    def endpoint(self) -> str:
        # US1 is the one deployment whose API host has no deployment label.
        host = "api.sumologic.com" if self is Deployment.US1 else f"api.{self.value}.sumologic.com"
        return f"https://{host}/api/"


ENDPOINT_ENV = "SUMO_ENDPOINT"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str, *, source: str = "endpoint") -> str:
    """Return the endpoint normalised to end in `/api/`; plain http only for loopback hosts."""
    parts = urlsplit(endpoint.strip())
    if parts.username or parts.password:
        # Checked first so that the error below never echoes a key written into the URL.
        raise SumoctlError(f"{source}: the API endpoint must not carry credentials; use the access id and key variables")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SumoctlError(f"{source}: {endpoint!r} is not an http(s) URL such as https://api.us2.sumologic.com/api/")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise SumoctlError(f"{source}: {endpoint!r} must use https (plain http is accepted only for loopback addresses)")
    if parts.query or parts.fragment:
        raise SumoctlError(f"{source}: the API endpoint must not carry a query or a fragment")
    path = parts.path.rstrip("/")
    if not path.endswith("/api"):
        path = f"{path}/api"
    return f"{parts.scheme}://{parts.netloc}{path}/"


def resolve_endpoint(deployment: str | None, endpoint: str | None, env: Mapping[str, str] = os.environ) -> str:
    """The API base URL: `SUMO_ENDPOINT` wins, then an explicit endpoint, then the deployment's host."""
    if env.get(ENDPOINT_ENV):
        return check_endpoint(env[ENDPOINT_ENV], source=ENDPOINT_ENV)
    if endpoint:
        return check_endpoint(endpoint)
    if deployment:
        try:
            return Deployment(deployment.strip().lower()).endpoint
        except ValueError:
            known = ", ".join(d.value for d in Deployment)
            raise SumoctlError(f"unknown Sumo Logic deployment {deployment!r} (known: {known})") from None
    raise SumoctlError(f"no Sumo Logic endpoint: set a deployment or an endpoint, or the {ENDPOINT_ENV} variable")
