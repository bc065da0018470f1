"""Carrying out a plan against Sumo, in dependency order:

1. folders (monitor folder chain, content folder);
2. connections created or updated, so that monitors and searches can point at them;
3. monitors and log searches created or updated;
4. monitors and log searches deleted;
5. connections deleted, once nothing of ours uses them.

Every object written carries the marker of what was applied. Creates go through the client's safe create (an unknown
outcome is looked up by name before a retry) and the answer must carry our marker, so an object sumoctl does not own
is never taken for one it created. Deletes only ever target objects read with our marker.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sumoctl.errors import SumoctlError
from sumoctl.sumo import SumoApiError
from sumoctl.sync.desired import CONNECTION_DESCRIPTION_MAX, LOG_SEARCH_DESCRIPTION_MAX, DesiredState
from sumoctl.sync.markers import Marker
from sumoctl.sync.objects import CONNECTION_REF, Kind
from sumoctl.sync.plan import Action, Change, Plan
from sumoctl.sync.remote import RemoteState


@dataclass
class Done:
    change: Change
    id: str | None


@dataclass
class ApplyResult:
    done: list[Done] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for d in self.done if d.change.action == action)

    @property
    def summary(self) -> str:
        return (f"{self.count(Action.CREATE)} created, {self.count(Action.UPDATE)} updated, "
                f"{self.count(Action.DELETE)} deleted")


def _step(change: Change) -> int:
    """The step of the dependency order (see the module's docstring) a change belongs to."""
    kind, action = change.kind, change.action
    if kind in (Kind.MONITOR_FOLDER, Kind.CONTENT_FOLDER):
        return 1
    if kind == Kind.CONNECTION:
        return 5 if action == Action.DELETE else 2
    return 4 if action == Action.DELETE else 3


class _Applier:
    def __init__(self, client, plan: Plan, desired: DesiredState, remote: RemoteState):
        self.client = client
        self.plan = plan
        self.desired = desired
        self.remote = remote
        self.env = desired.name
        self.monitor_folder_id = remote.monitor_folder.id
        self.monitor_parent_id = remote.monitor_folder.parent_id
        self.content_folder_id = remote.content_folder.id
        self.connection_ids = {o.marker.key: o.id for o in remote.of_kind(Kind.CONNECTION)}

    # -- helpers ---------------------------------------------------------------------------------------------

    def _resolve_refs(self, value: Any) -> Any:
        """Replace connection placeholders by the ids of the connections (created earlier in this apply)."""
        if isinstance(value, dict):
            return {k: self._resolve_refs(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve_refs(v) for v in value]
        if isinstance(value, str) and value.startswith(CONNECTION_REF):
            name = value[len(CONNECTION_REF):]
            if name not in self.connection_ids:
                raise SumoctlError(f"connection {name!r} does not exist in Sumo yet: apply the whole plan")
            return self.connection_ids[name]
        return value

    def _marker(self, change: Change) -> Marker:
        assert change.desired is not None
        return Marker(self.env, change.key, change.desired.state.encode())

    @staticmethod
    def _check_ours(answer: dict, marker: Marker, kind: Kind) -> None:
        found = (Marker.from_tags(answer.get("tags")) if kind == Kind.MONITOR
                 else Marker.from_description(answer.get("description")))
        if found is None or found.owner != marker.owner:
            raise SumoctlError(f"Sumo answered a create of {kind.value} {marker.key!r} with object {answer.get('id')}, "
                               f"which does not carry sumoctl's marker: stopped so as not to take it over")

    # -- one change ------------------------------------------------------------------------------------------

    def folder(self, change: Change) -> str:
        name = change.name
        if change.kind == Kind.MONITOR_FOLDER:
            parent = self.monitor_parent_id
            made = self.client.monitors.create(parent, {"type": "MonitorsLibraryFolder", "name": name,
                                                        "description": "managed by sumoctl"})
            self.monitor_parent_id = made["id"]
            if change.key == self.remote.monitor_folder.path:
                self.monitor_folder_id = made["id"]
            return made["id"]
        made = self.client.folders.create(name, self.remote.content_folder.parent_id, "managed by sumoctl")
        self.content_folder_id = made["id"]
        return made["id"]

    def connection(self, change: Change) -> str | None:
        if change.action == Action.DELETE:
            self._delete(lambda: self.client.connections.delete(change.id))
            return change.id
        body = copy.deepcopy(change.desired.body)
        marker = self._marker(change)
        body["description"] = marker.describe(body.get("description", ""), CONNECTION_DESCRIPTION_MAX)
        if change.action == Action.CREATE:
            answer = self.client.connections.create(body)
            self._check_ours(answer, marker, Kind.CONNECTION)
        else:
            answer = self.client.connections.update(change.id, body)
        self.connection_ids[change.key] = answer["id"]
        return answer["id"]

    def monitor(self, change: Change) -> str | None:
        if change.action == Action.DELETE:
            self._delete(lambda: self.client.monitors.delete(change.id))
            return change.id
        body = self._resolve_refs(copy.deepcopy(change.desired.body))
        marker = self._marker(change)
        body["tags"] = marker.tags()
        if change.action == Action.CREATE:
            if self.monitor_folder_id is None:
                raise SumoctlError(f"monitor folder {self.remote.monitor_folder.path} does not exist")
            answer = self.client.monitors.create(self.monitor_folder_id, body)
            self._check_ours(answer, marker, Kind.MONITOR)
            return answer["id"]
        # Keep tags others set on the monitor; replace ours.
        remote_tags = dict((change.remote.body.get("tags") or {}) if change.remote else {})
        body["tags"] = {**remote_tags, **marker.tags()}
        body["type"] = "MonitorsLibraryMonitorUpdate"
        body["version"] = change.remote.body.get("version") if change.remote else None
        try:
            return self.client.monitors.update(change.id, body)["id"]
        except SumoApiError as err:
            if err.status == 409 or "version" in (err.code or ""):
                raise SumoctlError(f"monitor {change.name!r} ({change.id}) was changed in Sumo while applying: "
                                   f"run plan and apply again") from None
            raise

    def log_search(self, change: Change) -> str | None:
        if change.action == Action.DELETE:
            self._delete(lambda: self.client.log_searches.delete(change.id))
            return change.id
        body = self._resolve_refs(copy.deepcopy(change.desired.body))
        marker = self._marker(change)
        body["description"] = marker.describe(body.get("description", ""), LOG_SEARCH_DESCRIPTION_MAX)
        if self.content_folder_id is None:
            raise SumoctlError(f"content folder {self.remote.content_folder.path} does not exist")
        body["parentId"] = self.content_folder_id
        if change.action == Action.CREATE:
            answer = self.client.log_searches.create(body)
            self._check_ours(answer, marker, Kind.LOG_SEARCH)
            return answer["id"]
        return self.client.log_searches.update(change.id, body)["id"]

    @staticmethod
    def _delete(call: Callable[[], None]) -> None:
        try:
            call()
        except SumoApiError as err:
            if err.status != 404:  # already gone: what we wanted
                raise

    def run(self, change: Change) -> str | None:
        if change.kind in (Kind.MONITOR_FOLDER, Kind.CONTENT_FOLDER):
            return self.folder(change)
        return {Kind.CONNECTION: self.connection, Kind.MONITOR: self.monitor,
                Kind.LOG_SEARCH: self.log_search}[change.kind](change)


def ordered(plan: Plan) -> list[Change]:
    return sorted(plan.changes, key=_step)  # stable: within a step, plan order (outer folders first)


def apply_plan(client, plan: Plan, desired: DesiredState, remote: RemoteState,
               progress: Callable[[Change], None] | None = None) -> ApplyResult:
    """Apply every change of `plan` (made from `desired` and `remote`), calling `progress` after each one."""
    applier = _Applier(client, plan, desired, remote)
    result = ApplyResult()
    for change in ordered(plan):
        object_id = applier.run(change)
        result.done.append(Done(change, object_id))
        if progress:
            progress(change)
    return result


