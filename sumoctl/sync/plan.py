"""A plan: what `apply` will do, as changes with their changed fields. Plain data, safe to print and to save:
secret fields appear only as `(sensitive)` and no secret value is ever held here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sumoctl.sync.objects import FIELDS, KIND_LABEL, DesiredObject, Kind, RemoteObject

SENSITIVE = "(sensitive)"
PLAN_FORMAT = 1


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass
class FieldChange:
    field: str
    before: Any
    after: Any
    sensitive: bool = False

    def to_json(self) -> dict[str, Any]:
        if self.sensitive:
            return {"field": self.field, "before": SENSITIVE, "after": SENSITIVE, "sensitive": True}
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass
class Change:
    action: Action
    kind: Kind
    key: str                      # detection id, connection name or folder path
    name: str
    location: str = ""
    id: str | None = None         # the remote object's id (updates and deletes)
    fields: list[FieldChange] = field(default_factory=list)
    note: str = ""
    desired: DesiredObject | None = field(default=None, repr=False, compare=False)
    remote: RemoteObject | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return KIND_LABEL[self.kind]

    def to_json(self) -> dict[str, Any]:
        out = {"action": self.action.value, "kind": self.kind.value, "key": self.key, "name": self.name,
               "location": self.location, "id": self.id, "fields": [f.to_json() for f in self.fields]}
        if self.desired is not None and self.desired.kind in FIELDS and FIELDS[self.desired.kind]:
            # Digests of what will be written: a saved plan with a create must not apply other content.
            out["desired_state"] = self.desired.state.encode()
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Unmanaged:
    """An object in a managed folder without sumoctl's marker: reported, never touched."""

    kind: Kind
    id: str
    name: str
    location: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "id": self.id, "name": self.name, "location": self.location}


@dataclass
class Plan:
    environment: str
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    remote_fingerprint: str = ""   # of every remote object read: a saved plan refuses to apply once it moved
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def summary(self) -> str:
        return (f"{self.count(Action.CREATE)} to create, {self.count(Action.UPDATE)} to update, "
                f"{self.count(Action.DELETE)} to delete, {self.unchanged} unchanged")

    @property
    def changes_digest(self) -> str:
        """What the plan would do, as one digest: apply compares it with a fresh plan before acting."""
        text = json.dumps([c.to_json() for c in self.changes], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "environment": self.environment,
            "summary": {"create": self.count(Action.CREATE), "update": self.count(Action.UPDATE),
                        "delete": self.count(Action.DELETE), "unchanged": self.unchanged},
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [u.to_json() for u in self.unmanaged],
            "remote_fingerprint": self.remote_fingerprint,
            "changes_digest": self.changes_digest,
        }


def fingerprint_remote(rows: list[list[Any]]) -> str:
    """One digest of what was read (see `diff.remote_rows`): a saved plan stores it, apply compares."""
    text = json.dumps(sorted(rows, key=lambda r: json.dumps(r, default=str)), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


