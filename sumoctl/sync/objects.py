"""The Sumo objects sync manages, as it wants them (desired) and as it found them (remote)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sumoctl.sync.markers import Marker, State
from sumoctl.sync.normalise import CONNECTION_FIELDS, LOG_SEARCH_FIELDS, MONITOR_FIELDS


class Kind(StrEnum):
    MONITOR_FOLDER = "monitor_folder"
    CONTENT_FOLDER = "content_folder"
    CONNECTION = "connection"
    MONITOR = "monitor"
    LOG_SEARCH = "log_search"


# Secret fields of a connection: compared through keyed fingerprints only (see markers.py).
SECRET_FIELDS = {Kind.CONNECTION: ("url", "headerValues")}

FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.MONITOR: MONITOR_FIELDS,
    Kind.LOG_SEARCH: LOG_SEARCH_FIELDS,
    Kind.CONNECTION: CONNECTION_FIELDS + SECRET_FIELDS[Kind.CONNECTION],
    Kind.MONITOR_FOLDER: (),
    Kind.CONTENT_FOLDER: (),
}

# What the user reads in a plan.
KIND_LABEL = {
    Kind.MONITOR_FOLDER: "monitor folder",
    Kind.CONTENT_FOLDER: "content folder",
    Kind.CONNECTION: "connection",
    Kind.MONITOR: "monitor",
    Kind.LOG_SEARCH: "scheduled search",
}

# Objects referencing a connection not created yet carry this placeholder instead of its id.
CONNECTION_REF = "@connection:"


def is_sensitive(kind: Kind, name: str) -> bool:
    return name in SECRET_FIELDS.get(kind, ())


@dataclass
class DesiredObject:
    kind: Kind
    key: str                 # detection id, connection name, or folder path
    name: str
    # the wire body, without marker; connections by CONNECTION_REF placeholder. It holds webhook URLs and
    # header values: kept out of the repr, which tracebacks and debuggers print.
    body: dict[str, Any] = field(repr=False)
    canonical: dict[str, Any]
    location: str = ""       # folder path shown in the plan
    source: str = ""         # file it comes from, for messages

    @property
    def state(self) -> State:
        return State.of(self.canonical, FIELDS[self.kind])


@dataclass
class RemoteObject:
    kind: Kind
    id: str
    name: str
    body: dict[str, Any] = field(repr=False)  # as Sumo answered: a connection's URL among it
    marker: Marker | None
    canonical: dict[str, Any]
    location: str = ""
    observed: dict[str, bool] = field(default_factory=dict)  # False for secret fields the server masks

    @property
    def applied(self) -> State | None:
        """What sumoctl last applied, from the marker (None when the marker is absent or unreadable)."""
        return self.marker.state(FIELDS[self.kind]) if self.marker else None
