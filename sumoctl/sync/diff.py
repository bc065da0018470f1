"""Comparing desired and remote state, field by field after normalisation, into a `Plan`."""

from __future__ import annotations

from collections import defaultdict

from sumoctl.errors import SumoctlError
from sumoctl.sync.desired import DesiredState
from sumoctl.sync.markers import State, field_digest
from sumoctl.sync.objects import FIELDS, DesiredObject, Kind, RemoteObject, is_sensitive
from sumoctl.sync.plan import Action, Change, FieldChange, Plan, Unmanaged, fingerprint_remote
from sumoctl.sync.remote import RemoteState

MARKER_FIELD = "marker"


def observed_state(remote: RemoteObject) -> State:
    """The remote object's field digests; fields the server hides (masked secrets) take the digest last applied,
    since nothing can be said about them."""
    order = FIELDS[remote.kind]
    applied = remote.applied
    digests = []
    for name in order:
        if remote.observed.get(name, True):
            digests.append(field_digest(remote.canonical.get(name)))
        else:
            digests.append(applied.digest_of(order, name) if applied else "?")
    return State(tuple(digests))


def _value_changes(path: str, before, after) -> list[FieldChange]:
    """Changes of one field; inside mappings (triggers by type, notifications by connection, schedules) down to
    the entry that changed, so a plan says `triggers.Critical.frequency: "5m" → "10m"`."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in list(before) + [k for k in after if k not in before]:
            out += _value_changes(f"{path}.{key}", before.get(key), after.get(key))
        return out
    return [FieldChange(path, before, after)]


def field_changes(desired: DesiredObject, remote: RemoteObject) -> list[FieldChange]:
    order = FIELDS[desired.kind]
    observed = observed_state(remote)
    wanted = desired.state
    changes = []
    for index, name in enumerate(order):
        if is_sensitive(desired.kind, name):
            # Readable secrets compare by full fingerprint; masked ones by the digest last applied.
            if remote.observed.get(name, True):
                differs = desired.canonical.get(name) != remote.canonical.get(name)
            else:
                differs = wanted.fields[index] != observed.fields[index]
            if differs:
                changes.append(FieldChange(name, None, None, sensitive=True))
            continue
        changes += _value_changes(name, remote.canonical.get(name), desired.canonical.get(name))
    if not changes and remote.marker and remote.marker.state_text != wanted.encode():
        # Same content, stale marker (e.g. a hand edit that matches the repository): refresh what was applied.
        changes.append(FieldChange(MARKER_FIELD, remote.marker.state_text, wanted.encode()))
    return changes


def _first_created(objects: list[RemoteObject]) -> list[RemoteObject]:
    return sorted(objects, key=lambda o: (o.body.get("createdAt") or "", o.id))


def _plan_kind(plan: Plan, kind: Kind, desired: DesiredState, remote: RemoteState) -> None:
    by_key: dict[str, list[RemoteObject]] = defaultdict(list)
    for obj in remote.of_kind(kind):
        by_key[obj.marker.key].append(obj)
    wanted = {o.key: o for o in desired.of_kind(kind)}
    for key, want in wanted.items():
        found = _first_created(by_key.get(key, []))
        if not found:
            plan.changes.append(Change(Action.CREATE, kind, key, want.name, want.location, desired=want))
            continue
        keep, extra = found[0], found[1:]
        changes = field_changes(want, keep)
        if changes:
            plan.changes.append(Change(Action.UPDATE, kind, key, want.name, keep.location, keep.id, changes,
                                       desired=want, remote=keep))
        else:
            plan.unchanged += 1
        for dup in extra:
            plan.changes.append(Change(Action.DELETE, kind, key, dup.name, dup.location, dup.id,
                                       note="duplicate of " + keep.id, remote=dup))
    for key, found in by_key.items():
        if key not in wanted:
            for obj in found:
                plan.changes.append(Change(Action.DELETE, kind, key, obj.name, obj.location, obj.id,
                                           note="no longer in the repository", remote=obj))


def _check_connection_names(desired: DesiredState, remote: RemoteState) -> None:
    """A new connection must not share its name with one sumoctl does not manage here: Sumo would then hold two,
    and a create whose answer was lost could be mistaken for the other one."""
    ours = {o.marker.key for o in remote.of_kind(Kind.CONNECTION)}
    taken = {o.name: o for o in remote.other_connections}
    for want in desired.of_kind(Kind.CONNECTION):
        if want.key not in ours and want.key in taken:
            other = taken[want.key]
            owner = ("another environment" if "[sumoctl " in (other.body.get("description") or "")
                     else "nobody (it has no sumoctl marker)")
            raise SumoctlError(
                f"connection {want.key!r} already exists in Sumo (id {other.id}) and is managed by {owner}: "
                f"rename the connection in the environment file", want.source)


def make_plan(desired: DesiredState, remote: RemoteState) -> Plan:
    plan = Plan(environment=desired.name)
    for folder, kind in ((remote.monitor_folder, Kind.MONITOR_FOLDER), (remote.content_folder, Kind.CONTENT_FOLDER)):
        for path in folder.missing:
            plan.changes.append(Change(Action.CREATE, kind, path, path.rsplit("/", 1)[-1], path.rsplit("/", 1)[0]))
    _check_connection_names(desired, remote)
    for kind in (Kind.CONNECTION, Kind.MONITOR, Kind.LOG_SEARCH):
        _plan_kind(plan, kind, desired, remote)
    plan.unmanaged = [Unmanaged(o.kind, o.id, o.name, o.location) for o in remote.unmarked]
    deletes = [c for c in plan.changes if c.action == Action.DELETE and c.kind in (Kind.MONITOR, Kind.LOG_SEARCH)]
    if deletes and desired.detections == 0:
        raise SumoctlError(f"refusing to plan the deletion of {len(deletes)} managed objects: the repository has no "
                           f"detections (is this the right folder?)")
    plan.remote_fingerprint = fingerprint_remote(remote_rows(remote))
    return plan


def remote_rows(remote: RemoteState) -> list[list]:
    """What identifies the state read: folder ids, and per object its id, marker, server stamps and field
    digests (the short digests, not the values: a saved plan must not carry anything a secret could be guessed
    from)."""
    rows: list[list] = [["folders", remote.monitor_folder.id, remote.content_folder.id]]
    rows += [["connection-name", id_, name] for id_, name in remote.connection_names.items()]
    for obj in remote.objects + remote.unmarked:
        rows.append([obj.kind.value, obj.id, obj.marker.owner if obj.marker else "",
                     obj.marker.state_text if obj.marker else "", str(obj.body.get("version", "")),
                     str(obj.body.get("modifiedAt", "")), observed_state(obj).encode()])
    return rows
