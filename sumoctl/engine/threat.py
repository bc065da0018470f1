"""`lookup ... from sumo://threat/cs on threat = f`: Sumo's threat intelligence, offline.

Sumo's threat data (CrowdStrike's feed, now Intel 471) has no offline copy, so indicators come from a provider.
The default, :class:`NoThreatIntel`, knows no indicator: every looked-up field is null and the message is kept,
as Sumo does for an address its feed does not list. A detection that needs `malicious_confidence` to fire can
be tested with a :class:`StaticThreatProvider`.
"""

from __future__ import annotations

from typing import Any, Protocol

from sumoctl.engine.errors import QueryInvalid
from sumoctl.engine.lookups import lookup_outputs
from sumoctl.engine.values import display
from sumoctl.query import ast

THREAT_FIELDS = ("threat", "type", "actor", "raw", "threatlevel")  # `threat` is the matched indicator itself


def is_threat_source(source: str) -> bool:
    return source.lower().startswith("sumo://threat/")


class ThreatProvider(Protocol):
    def lookup(self, indicator: str) -> dict[str, str | None]:
        """The threat fields known for an indicator (an IP address, domain, URL or hash); missing keys are null."""


class NoThreatIntel:
    """Knows no indicator: the offline default."""

    def lookup(self, indicator: str) -> dict[str, str | None]:
        return {}


class StaticThreatProvider:
    """A fixed table: `{"198.51.100.7": {"type": "IP_ADDRESS", "threatlevel": "high", ...}}`."""

    def __init__(self, table: dict[str, dict[str, str | None]]):
        self.table = {key.strip().lower(): value for key, value in table.items()}

    def lookup(self, indicator: str) -> dict[str, str | None]:
        return dict(self.table.get(indicator.strip().lower(), {}))


def threat_lookup_stage(node: ast.Lookup, known: dict[str, str], provider: ThreatProvider):
    """Both spellings of the join appear in the corpus: `on threat = src_ip` and `on src_ip = threat`."""
    if len(node.on) != 1:
        raise QueryInvalid("a threat lookup needs `on threat = <field>`", node.pos)
    pair = node.on[0]
    if pair.key.lower() == "threat":
        field_name = pair.field
    elif pair.field.lower() == "threat":
        field_name = pair.key
    else:
        raise QueryInvalid("a threat lookup joins on its `threat` column: `on threat = <field>`", pair.pos or node.pos)
    source = field_name.casefold()
    if source not in known:
        raise QueryInvalid(f"field {field_name!r} not found", pair.pos or node.pos)
    outputs = lookup_outputs(node, tuple(THREAT_FIELDS), node.source, known)

    def apply(msg: dict[str, Any]):
        indicator = msg.get(source)
        found = provider.lookup(display(indicator)) if indicator not in (None, "") else {}
        for name, key in outputs:
            msg[key] = found.get(name)
        return msg

    return apply
