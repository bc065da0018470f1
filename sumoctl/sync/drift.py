"""Drift: what changed in Sumo behind sumoctl's back, told apart from what changed in the repository.

For each managed object, the marker holds a digest per field of what sumoctl last applied:
- a field whose remote value differs from the applied digest was edited by hand;
- a field whose desired value differs from the applied digest is a change pending in the repository.
An object marked in a managed folder whose remote copy is gone was deleted by hand (or never applied, which the
stateless design cannot tell apart); an object without the marker in a managed folder appeared by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sumoctl.sync.desired import DesiredState
from sumoctl.sync.diff import observed_state
from sumoctl.sync.objects import FIELDS, KIND_LABEL, Kind, RemoteObject
from sumoctl.sync.remote import RemoteState


@dataclass
class DriftItem:
    kind: Kind
    key: str
    name: str
    id: str | None
    location: str
    fields: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def label(self) -> str:
        return KIND_LABEL[self.kind]

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind.value, "key": self.key, "name": self.name, "id": self.id, "location": self.location,
               "fields": self.fields}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class DriftReport:
    environment: str
    edited: list[DriftItem] = field(default_factory=list)     # remote != last applied
    missing: list[DriftItem] = field(default_factory=list)    # desired, and not found in Sumo
    unmanaged: list[DriftItem] = field(default_factory=list)  # appeared in a managed folder without the marker
    pending: list[DriftItem] = field(default_factory=list)    # repository != last applied (not drift)
    checked: int = 0

    @property
    def drifted(self) -> bool:
        return bool(self.edited or self.missing or self.unmanaged)

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "drifted": self.drifted, "checked": self.checked,
                "edited": [i.to_json() for i in self.edited], "missing": [i.to_json() for i in self.missing],
                "unmanaged": [i.to_json() for i in self.unmanaged], "pending": [i.to_json() for i in self.pending]}


def _item(obj: RemoteObject, fields: list[str], note: str = "") -> DriftItem:
    return DriftItem(obj.kind, obj.marker.key, obj.name, obj.id, obj.location, fields, note)


def detect_drift(desired: DesiredState, remote: RemoteState) -> DriftReport:
    report = DriftReport(desired.name)
    wanted = {(o.kind, o.key): o for o in desired.objects}
    seen: set[tuple[Kind, str]] = set()
    for obj in sorted(remote.objects, key=lambda o: (o.kind.value, o.marker.key, o.id)):
        key = (obj.kind, obj.marker.key)
        order = FIELDS[obj.kind]
        applied = obj.applied
        report.checked += 1
        if key in seen:
            report.edited.append(_item(obj, [], "a second object carries the same marker (apply removes it)"))
            continue
        seen.add(key)
        if applied is None:
            report.edited.append(_item(obj, [], "its marker cannot be read (edited by hand?)"))
            continue
        observed = observed_state(obj)
        edited = [n for n, a, b in zip(order, applied.fields, observed.fields) if a != b]
        if edited:
            report.edited.append(_item(obj, edited))
        want = wanted.get(key)
        if want is None:
            report.pending.append(_item(obj, [], "removed from the repository: apply deletes it"))
        else:
            pending = [n for n, a, b in zip(order, applied.fields, want.state.fields) if a != b]
            if pending:
                report.pending.append(_item(obj, pending))
    for (kind, key), want in sorted(wanted.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        if (kind, key) not in seen:
            report.missing.append(DriftItem(kind, key, want.name, None, want.location, [],
                                            "not in Sumo: deleted by hand, or never applied"))
    for obj in remote.unmarked:
        report.unmanaged.append(DriftItem(obj.kind, "", obj.name, obj.id, obj.location, [],
                                          "in a managed folder without sumoctl's marker"))
    return report
