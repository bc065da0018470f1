"""`lookup ... from geo://location on ip = f`, offline.

Sumo's geo data comes from Neustar; offline it comes from a provider. The default, :class:`GeoIP2FastProvider`,
uses geoip2fast's bundled country dataset, which knows `country_code` and `country_name` only: every other
geo field (latitude, longitude, region, city, state, postal_code, continent, connection_type, *_cf) is null.
Private, reserved and invalid addresses (and CloudTrail's service names such as `ec2.amazonaws.com`) give null
in every field, as Sumo does for addresses it cannot locate. Tests pass a :class:`StaticGeoProvider`.
"""

from __future__ import annotations

from typing import Protocol

GEO_FIELDS = (
    "latitude", "longitude", "country_code", "country_name", "region", "city", "state", "postal_code",
    "continent", "connection_type", "country_cf", "state_cf", "city_cf",
)
GEO_SOURCES = ("geo://location", "geo://default")


class GeoProvider(Protocol):
    def lookup(self, ip: str) -> dict[str, str | None]:
        """The geo fields known for `ip` (missing keys mean null)."""


class StaticGeoProvider:
    """A fixed table: `{"92.55.146.245": {"country_code": "RO", ...}}`; unknown addresses give nulls."""

    def __init__(self, table: dict[str, dict[str, str | None]]):
        self.table = table

    def lookup(self, ip: str) -> dict[str, str | None]:
        return dict(self.table.get(ip.strip(), {}))


class GeoIP2FastProvider:
    """Countries from geoip2fast's packaged data (loaded once, on first use: about 0.15 s)."""

    def __init__(self):
        self._geo = None
        self._cache: dict[str, dict[str, str | None]] = {}

    def lookup(self, ip: str) -> dict[str, str | None]:
        key = ip.strip()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if self._geo is None:
            from geoip2fast import GeoIP2Fast

            self._geo = GeoIP2Fast()
        result: dict[str, str | None] = {}
        try:
            found = self._geo.lookup(key)
        except Exception:  # geoip2fast raises on some malformed input; Sumo gives nulls
            found = None
        code = getattr(found, "country_code", "") if found is not None else ""
        if found is not None and code and code != "--" and not getattr(found, "is_private", False):
            result = {"country_code": code, "country_name": getattr(found, "country_name", None) or None}
        if len(self._cache) < 100_000:
            self._cache[key] = result
        return result


_default: GeoIP2FastProvider | None = None


def default_provider() -> GeoProvider:
    global _default
    if _default is None:
        _default = GeoIP2FastProvider()
    return _default
