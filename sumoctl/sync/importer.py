"""`import`: turn monitors and scheduled searches built in the Sumo UI into detections in the repository, and
adopt the objects in place so that the next apply updates them instead of deleting and re-creating them.

Three steps, each checked before the next:
1. read the folder and build, for each object, the files of one detection (nothing written yet; any object that
   cannot be expressed as a detection is named and skipped);
2. write the files (refusing to overwrite any), then load the repository again: if it does not validate, the new
   files are removed and nothing is adopted;
3. adopt: move each object into the environment's managed folder (a move keeps its id) and give it the marker,
   whose digests are those of the object as it is now, so `drift` starts clean and `plan` shows any difference
   between the repository's rendering and the object as an update in place.
Webhook connections the imported objects use are adopted too when the environment declares one of that name.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sumoctl.errors import SumoctlError
from sumoctl.project import Project, load_project
from sumoctl.sync.desired import CONNECTION_DESCRIPTION_MAX, LOG_SEARCH_DESCRIPTION_MAX, desired_state
from sumoctl.sync.diff import observed_state
from sumoctl.sync.markers import Marker, State, strip_marker
from sumoctl.sync.normalise import canonical_log_search, canonical_monitor
from sumoctl.sync.objects import FIELDS, Kind
from sumoctl.sync.remote import (
    RemoteState, read_remote, remote_connection, resolve_content_folder, resolve_monitor_folder,
)
from sumoctl.sync.secrets import Secrets

TECHNIQUE = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")
SEVERITY = {"Critical": "critical", "Warning": "medium"}
COMPARISON = {"GreaterThan": "gt", "GreaterThanOrEqual": "ge", "LessThan": "lt", "LessThanOrEqual": "le"}
SEARCH_COMPARISON = {"gt": "gt", "ge": "ge", "lt": "lt", "le": "le"}
MONITOR_SERVER_FIELDS = {"id", "createdAt", "createdBy", "modifiedAt", "modifiedBy", "parentId", "contentType",
                         "isSystem", "isMutable", "isLocked", "permissions", "status", "warnings", "children"}


@dataclass
class Imported:
    kind: Kind
    remote_id: str
    name: str
    detection_id: str
    files: dict[str, str] = field(default_factory=dict)   # repository-relative path -> text
    body: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class ImportResult:
    imported: list[Imported] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)        # why each object was left out
    adopted_connections: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)


# --- from Sumo objects to files ---------------------------------------------------------------------------------------

def slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100].strip("-")
    return text if len(text) >= 2 else f"imported-{text or 'detection'}"


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=120)


def _query_template(query: str, remote_id: str, kind: str) -> str:
    text = query.strip() + "\n"
    if any(mark in text for mark in ("{{", "{%", "{#")):
        text = "{% raw %}" + text + "{% endraw %}\n"
    return f"{{# Imported from Sumo {kind} {remote_id} by sumoctl import: parametrise it with {{{{ }}}} as needed. #}}\n{text}"


def _payload_template(payload: str) -> str:
    # Payload templates use [[ ]] and [% %]; Sumo's own {{Variables}} need no escaping.
    if any(mark in payload for mark in ("[[", "[%", "[#")):
        return "[% raw %]" + payload + "[% endraw %]"
    return payload


def _techniques(body: dict) -> list[str]:
    text = " ".join([body.get("name") or "", body.get("description") or ""] +
                    [f"{k} {v}" for k, v in (body.get("tags") or {}).items()])
    return list(dict.fromkeys(TECHNIQUE.findall(text)))


def _positive(duration: str) -> str:
    return duration.lstrip("-")


class _Builder:
    def __init__(self, project: Project, env_name: str, connection_names: dict[str, str], techniques: list[str]):
        self.project = project
        self.env_name = env_name
        self.connection_names = connection_names
        self.techniques = techniques
        self.taken = set(project.detections)

    def _id(self, name: str) -> str:
        base = slug(name)
        candidate, n = base, 2
        while candidate in self.taken or (self.project.root / "monitors" / f"{candidate}.yaml").exists():
            candidate, n = f"{base[:95]}-{n}", n + 1
        self.taken.add(candidate)
        return candidate

    def _tags(self, body: dict) -> list[str]:
        found = _techniques(body) or list(self.techniques)
        if not found:
            raise SumoctlError(f"{body.get('name')!r} ({body.get('id')}) names no MITRE ATT&CK technique, which every "
                               f"detection needs: pass --technique T1234 for the objects that name none")
        return ["imported", *found]

    def _connection(self, connection_id: str | None, what: str) -> str:
        name = self.connection_names.get(connection_id or "")
        if name is None:
            raise SumoctlError(f"{what} notifies connection {connection_id}, which does not exist")
        if self.project.environment(self.env_name).connection(name) is None:
            raise SumoctlError(f"{what} notifies connection {name!r}: declare it in environments/{self.env_name}.yaml "
                               f"(name: {name}, url_env: ...) before importing, so that sumoctl adopts it")
        return name

    def monitor(self, body: dict) -> Imported:
        what = f"monitor {body.get('name')!r} ({body.get('id')})"
        if body.get("monitorType") != "Logs":
            raise _Skip(f"{what}: a {body.get('monitorType')} monitor (only Logs monitors are detections)")
        queries = body.get("queries") or []
        if len(queries) != 1:
            raise _Skip(f"{what}: {len(queries)} queries (a detection has one)")
        alerts = [t for t in body.get("triggers") or [] if t.get("triggerType") in SEVERITY]
        if len(alerts) != 1 or alerts[0].get("detectionMethod", "LogsStaticCondition") not in (
                "LogsStaticCondition", "StaticCondition"):
            raise _Skip(f"{what}: needs exactly one Critical or Warning static trigger")
        alert = alerts[0]
        detection_id = self._id(body["name"])
        trigger: dict[str, Any] = {"threshold": float(alert.get("threshold") or 0),
                                   "comparison": COMPARISON.get(alert.get("thresholdType") or "GreaterThanOrEqual", "ge")}
        if alert.get("field"):
            trigger["field"] = alert["field"]
        deploy = {"kind": "monitor", "frequency": alert.get("frequency") or "5m",
                  "time_range": _positive(alert.get("timeRange") or "15m"),
                  "evaluation_delay": body.get("evaluationDelay") or "0m", "trigger": trigger,
                  "group_notifications": bool(body.get("groupNotifications", True)),
                  "notification_group_fields": list(body.get("notificationGroupFields") or [])}
        imported = Imported(Kind.MONITOR, body["id"], body["name"], detection_id, body=body)
        notifications = []
        for index, item in enumerate(body.get("notifications") or []):
            action = item.get("notification") or {}
            if action.get("connectionType") == "Email":
                raise _Skip(f"{what}: e-mail notifications are not managed by sumoctl")
            entry: dict[str, Any] = {"connection": self._connection(action.get("connectionId"), what)}
            for key, suffix in (("payloadOverride", ""), ("resolutionPayloadOverride", ".resolution")):
                if action.get(key):
                    path = f"payloads/imported/{detection_id}{'-' + str(index) if index else ''}{suffix}.json.j2"
                    imported.files[f"templates/{path}"] = _payload_template(action[key])
                    entry["payload" if key == "payloadOverride" else "resolution_payload"] = path
            notifications.append(entry)
        detection = {
            "id": detection_id, "name": body["name"],
            "description": (body.get("description") or body["name"]).strip() + "\n",
            "severity": SEVERITY[alert["triggerType"]], "tags": self._tags(body),
            "query": f"imported/{detection_id}.sumo.j2", "params": {}, "deploy": deploy,
            "notifications": notifications, "enabled": not body.get("isDisabled", False), "tests": [],
        }
        imported.files[f"queries/imported/{detection_id}.sumo.j2"] = _query_template(queries[0]["query"], body["id"], "monitor")
        imported.files[f"monitors/{detection_id}.yaml"] = _dump(detection)
        return imported

    def log_search(self, body: dict) -> Imported:
        what = f"scheduled search {body.get('name')!r} ({body.get('id')})"
        schedule = body.get("schedule")
        if not schedule:
            raise _Skip(f"{what}: not scheduled")
        if schedule.get("scheduleType") == "RealTime":
            raise _Skip(f"{what}: real-time schedules are deprecated by Sumo")
        notification = schedule.get("notification") or {}
        if notification.get("taskType") != "WebhookSearchNotificationSyncDefinition":
            raise _Skip(f"{what}: notifies by {notification.get('taskType')} (sumoctl manages webhooks)")
        threshold = schedule.get("threshold") or {}
        if threshold.get("operator") not in SEARCH_COMPARISON:
            raise _Skip(f"{what}: threshold operator {threshold.get('operator')!r}")
        time_range = (schedule.get("parseableTimeRange") or {}).get("from") or {}
        if time_range.get("type") != "RelativeTimeRangeBoundary":
            raise _Skip(f"{what}: its time range is not relative")
        detection_id = self._id(body["name"])
        imported = Imported(Kind.LOG_SEARCH, body["id"], body["name"], detection_id, body=body)
        entry: dict[str, Any] = {"connection": self._connection(notification.get("webhookId"), what)}
        if notification.get("payload"):
            path = f"payloads/imported/{detection_id}.json.j2"
            imported.files[f"templates/{path}"] = _payload_template(notification["payload"])
            entry["payload"] = path
        deploy: dict[str, Any] = {"kind": "scheduled_search", "schedule": schedule["scheduleType"],
                                  "time_range": time_range["relativeTime"], "time_zone": schedule.get("timeZone") or "UTC",
                                  "trigger": {"threshold": float(threshold.get("count") or 0),
                                              "comparison": SEARCH_COMPARISON[threshold["operator"]]}}
        if schedule.get("cronExpression"):
            deploy["cron"] = schedule["cronExpression"]
        description = strip_marker(body.get("description")) or body["name"]
        detection = {
            "id": detection_id, "name": body["name"], "description": description.strip() + "\n", "severity": "medium",
            "tags": self._tags(body), "query": f"imported/{detection_id}.sumo.j2", "params": {}, "deploy": deploy,
            "notifications": [entry], "enabled": True, "tests": [],
        }
        imported.files[f"queries/imported/{detection_id}.sumo.j2"] = _query_template(body["queryString"], body["id"],
                                                                                     "scheduled search")
        imported.files[f"monitors/{detection_id}.yaml"] = _dump(detection)
        return imported


class _Skip(Exception):
    pass


# --- the three steps --------------------------------------------------------------------------------------------------

def _read_folder(client, from_folder: str) -> tuple[Kind, list[dict]]:
    if from_folder.startswith("/Monitor"):
        found = client.monitors.get_by_path(from_folder)
        if found is None or "children" not in found:
            raise SumoctlError(f"no monitor folder at {from_folder}")
        children = [c for c in found.get("children") or [] if c.get("contentType") != "Folder"]
        thin = [c["id"] for c in children if "queries" not in c]
        if thin:
            full = client.monitors.get_many(thin)
            children = [full.get(c["id"], c) for c in children]
        return Kind.MONITOR, children
    folder = resolve_content_folder(client, from_folder)
    if folder.id is None:
        raise SumoctlError(f"no content folder at {from_folder}")
    return Kind.LOG_SEARCH, [s for s in client.log_searches.list() if s.get("parentId") == folder.id]


def plan_import(client, project: Project, env_name: str, from_folder: str, techniques: list[str]) -> ImportResult:
    """What importing `from_folder` would write (read-only)."""
    connection_names = {c["id"]: c.get("name", "") for c in client.connections.list()}
    kind, bodies = _read_folder(client, from_folder)
    builder = _Builder(project, env_name, connection_names, techniques)
    result = ImportResult()
    for body in bodies:
        marker = (Marker.from_tags(body.get("tags")) if kind == Kind.MONITOR
                  else Marker.from_description(body.get("description")))
        if marker is not None:
            result.skipped.append(f"{body.get('name')!r} ({body['id']}): already managed by sumoctl ({marker.owner})")
            continue
        try:
            result.imported.append(builder.monitor(body) if kind == Kind.MONITOR else builder.log_search(body))
        except _Skip as why:
            result.skipped.append(str(why))
    return result


def write_files(root: Path, result: ImportResult) -> list[Path]:
    """Write every file, or none: an existing file is never overwritten."""
    files = {root / rel: text for item in result.imported for rel, text in item.files.items()}
    clash = [str(p.relative_to(root)) for p in files if p.exists()]
    if clash:
        raise SumoctlError(f"import would overwrite {', '.join(sorted(clash))}: move them away first")
    written: list[Path] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as err:
        for path in written:
            path.unlink(missing_ok=True)
        raise SumoctlError(f"cannot write {err.filename}: {err.strerror}") from None
    return written


def _ensure_folder_ids(client, environment) -> tuple[str, str]:
    """The ids of the managed monitor and content folders, creating what is missing."""
    folder, _ = resolve_monitor_folder(client, environment.monitor_folder)
    parent = folder.parent_id
    for path in folder.missing:
        parent = client.monitors.create(parent, {"type": "MonitorsLibraryFolder", "name": path.rsplit("/", 1)[-1],
                                                 "description": "managed by sumoctl"})["id"]
    monitor_folder_id = folder.id or parent
    content = resolve_content_folder(client, environment.content_folder)
    content_id = content.id or client.folders.create(content.missing[-1].rsplit("/", 1)[-1], content.parent_id,
                                                     "managed by sumoctl")["id"]
    return monitor_folder_id, content_id


def adopt(client, project: Project, env_name: str, secrets: Secrets, result: ImportResult) -> None:
    """Mark the imported objects (and the connections they use) as managed, with digests of their current form."""
    environment = project.environment(env_name)
    desired = desired_state(project, env_name, secrets)  # the repository, imports included, must render
    wanted = {(o.kind, o.key): o for o in desired.objects}
    remote: RemoteState = read_remote(client, environment)
    managed_connections = {o.marker.key for o in remote.of_kind(Kind.CONNECTION)}
    names: dict[str, str] = dict(remote.connection_names)

    used = set()
    for item in result.imported:
        if item.kind == Kind.MONITOR:
            used |= {(n.get("notification") or {}).get("connectionId") for n in item.body.get("notifications") or []}
        else:
            used.add(((item.body.get("schedule") or {}).get("notification") or {}).get("webhookId"))
    for other in remote.other_connections:
        if other.id in used and other.name not in managed_connections and (Kind.CONNECTION, other.name) in wanted:
            want = wanted[(Kind.CONNECTION, other.name)]
            # Sumo masks header values, so adopting a connection sends the environment's values (and its URL).
            body = {"type": "WebhookDefinition", **{k: copy.deepcopy(other.body.get(k)) for k in (
                "name", "url", "customHeaders", "defaultPayload", "resolutionPayload", "webhookType",
                "connectionSubtype") if other.body.get(k) is not None}}
            body["headers"] = want.body["headers"]
            adopted = remote_connection({**other.body, "headers": want.body["headers"]}, env_name)
            state = State(tuple(observed_state(adopted).fields[:-1]) + (want.state.fields[-1],))
            marker = Marker(env_name, other.name, state.encode())
            body["description"] = marker.describe(strip_marker(other.body.get("description")), CONNECTION_DESCRIPTION_MAX)
            client.connections.update(other.id, body)
            names[other.id] = other.name
            result.adopted_connections.append(other.name)

    monitor_folder_id, content_folder_id = _ensure_folder_ids(client, environment)
    for item in result.imported:
        if item.kind == Kind.MONITOR:
            current = client.monitors.get(item.remote_id)
            if current.get("parentId") != monitor_folder_id:
                current = client.monitors.move(item.remote_id, monitor_folder_id)
                result.moved.append(item.name)
            state = State.of(canonical_monitor(current, names), FIELDS[Kind.MONITOR])
            body = {k: v for k, v in current.items() if k not in MONITOR_SERVER_FIELDS}
            body.update(type="MonitorsLibraryMonitorUpdate",
                        tags={**(current.get("tags") or {}), **Marker(env_name, item.detection_id, state.encode()).tags()})
            client.monitors.update(item.remote_id, body)
        else:
            current = client.log_searches.get(item.remote_id)
            state = State.of(canonical_log_search(current, names, strip_marker), FIELDS[Kind.LOG_SEARCH])
            marker = Marker(env_name, item.detection_id, state.encode())
            body = {k: v for k, v in current.items() if k not in ("id", "createdAt", "createdBy", "modifiedAt", "modifiedBy")}
            body["description"] = marker.describe(strip_marker(current.get("description")), LOG_SEARCH_DESCRIPTION_MAX)
            if current.get("parentId") != content_folder_id:
                body["parentId"] = content_folder_id
                result.moved.append(item.name)
            client.log_searches.update(item.remote_id, body)


def import_folder(client, project: Project, env_name: str, from_folder: str, secrets: Secrets,
                  techniques: list[str] = ()) -> ImportResult:
    result = plan_import(client, project, env_name, from_folder, list(techniques))
    if not result.imported:
        return result
    written = write_files(project.root, result)
    try:
        reloaded = load_project(project.root)
        desired_state(reloaded, env_name, secrets)
    except SumoctlError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    adopt(client, reloaded, env_name, secrets, result)
    return result


