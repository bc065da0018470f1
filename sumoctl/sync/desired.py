"""The desired state of one environment: the Sumo objects its rendered detections and connections call for.

- one Logs monitor per `monitor` detection, in the environment's monitor folder; disabled detections are deployed
  with `isDisabled: true`, so that turning one off keeps its history in Sumo;
- one scheduled log search per enabled `scheduled_search` detection, in the environment's content folder (a log
  search cannot be paused, so a disabled one is not deployed: a deployed one is deleted);
- one webhook connection per connection the environment declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sumoctl.errors import SumoctlError
from sumoctl.models import Connection, Detection, Environment, MonitorDeploy, ScheduledSearchDeploy
from sumoctl.project import Project, RenderedDetection
from sumoctl.project.render import render_payload
from sumoctl.sync.markers import Marker, State, fingerprint_salt, fit_description, secret_fingerprint
from sumoctl.sync.normalise import canonical_connection, canonical_log_search, canonical_monitor
from sumoctl.sync.objects import CONNECTION_REF, FIELDS, DesiredObject, Kind
from sumoctl.sync.secrets import Secrets

CONNECTION_DESCRIPTION_MAX = 1024
LOG_SEARCH_DESCRIPTION_MAX = 255

# Severities map to the two alerting trigger types, each with its resolved pair.
TRIGGER_TYPE = {"critical": "Critical", "high": "Critical", "medium": "Warning", "low": "Warning", "info": "Warning"}
THRESHOLD_TYPE = {"gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual"}
# The resolved trigger fires when the alert condition no longer holds.
RESOLVED_THRESHOLD_TYPE = {"gt": "LessThanOrEqual", "ge": "LessThan", "lt": "GreaterThanOrEqual", "le": "GreaterThan"}

# Characters a log search name may hold (the API's pattern `^[a-zA-Z0-9 +%-@.,_()\\]+$`, where `%-@` is a range).
_LOG_SEARCH_NAME_BAD = re.compile(r"[^a-zA-Z0-9 +%-@.,_()\\]")


def log_search_name(name: str) -> str:
    """A detection name as a valid log search name: characters the API refuses become blanks."""
    return re.sub(r"\s+", " ", _LOG_SEARCH_NAME_BAD.sub(" ", name)).strip()[:255] or "sumoctl search"


def connection_ref(name: str) -> str:
    return CONNECTION_REF + name


def _marker_length(environment: str, key: str, kind: Kind) -> int:
    probe = Marker(environment, key, State(tuple("0" * 6 for _ in FIELDS[kind])).encode())
    return len(probe.line())


def _negative(duration: str) -> str:
    return duration if duration.startswith("-") else f"-{duration}"


@dataclass
class DesiredState:
    environment: Environment
    objects: list[DesiredObject] = field(default_factory=list)
    detections: int = 0          # detections found in the repository (deployed or not)

    @property
    def name(self) -> str:
        return self.environment.name or ""

    def of_kind(self, kind: Kind) -> list[DesiredObject]:
        return [o for o in self.objects if o.kind == kind]

    @property
    def connection_names(self) -> dict[str, str]:
        return {connection_ref(o.key): o.key for o in self.of_kind(Kind.CONNECTION)}


def _payload_for_connection(project: Project, environment: Environment, template: str) -> str:
    """A connection's own default payload: its template, rendered with Sumo's alert variables standing in for the
    detection, since the connection serves every detection that notifies it."""
    stand_in = SimpleNamespace(
        detection=SimpleNamespace(id="{{Id}}", name="{{Name}}", description="{{Description}}", tags=[], techniques=[]),
        severity="{{TriggerType}}",
        environment=environment,
        params=dict(environment.params),
    )
    return render_payload(project.root, template, stand_in)  # type: ignore[arg-type]


def desired_connection(project: Project, environment: Environment, connection: Connection, secrets: Secrets) -> DesiredObject:
    env_name = environment.name or ""
    description = fit_description(connection.description, CONNECTION_DESCRIPTION_MAX,
                                  _marker_length(env_name, connection.name, Kind.CONNECTION))
    body: dict[str, Any] = {
        "type": "WebhookDefinition",
        "name": connection.name,
        "description": description,
        "url": secrets.connection_urls[connection.name],
        "headers": [{"name": n, "value": v} for n, v in secrets.connection_headers.get(connection.name, [])],
        "customHeaders": [],
        "defaultPayload": _payload_for_connection(project, environment, connection.default_payload),
        "webhookType": connection.type,
        "connectionSubtype": "Event",
    }
    if connection.resolution_payload:
        body["resolutionPayload"] = _payload_for_connection(project, environment, connection.resolution_payload)
    canonical = canonical_connection(body)
    salt = fingerprint_salt(env_name)
    canonical["url"] = secret_fingerprint(body["url"], salt)
    canonical["headerValues"] = secret_fingerprint(sorted([h["name"], h["value"]] for h in body["headers"]), salt)
    return DesiredObject(Kind.CONNECTION, connection.name, connection.name, body, canonical,
                         location="connections", source=f"environments/{env_name}.yaml")


def _notification_payloads(rendered: RenderedDetection, connection: Connection, index: int) -> tuple[str, str | None]:
    wanted = rendered.detection.notifications[index]
    payload = rendered.payload(wanted.payload or connection.default_payload)
    resolution = wanted.resolution_payload or connection.resolution_payload
    return payload, rendered.payload(resolution) if resolution else None


def _connection_for(rendered: RenderedDetection, index: int, source: str) -> Connection:
    name = rendered.detection.notifications[index].connection
    connection = rendered.environment.connection(name)
    if connection is None:
        known = ", ".join(c.name for c in rendered.environment.connections) or "none"
        raise SumoctlError(
            f"detection {rendered.id} notifies connection {name!r}, which environment {rendered.environment.name!r} "
            f"does not declare (declared: {known})", source)
    return connection


def desired_monitor(rendered: RenderedDetection, connection_names: dict[str, str], source: str) -> DesiredObject:
    deploy = rendered.detection.deploy
    assert isinstance(deploy, MonitorDeploy)
    alert = TRIGGER_TYPE[rendered.severity]
    time_range = _negative(deploy.time_range)
    common = {"detectionMethod": "LogsStaticCondition", "timeRange": time_range, "frequency": deploy.frequency,
              "threshold": deploy.trigger.threshold}
    if deploy.trigger.field:
        common["field"] = deploy.trigger.field
    triggers = [
        {**common, "triggerType": alert, "thresholdType": THRESHOLD_TYPE[deploy.trigger.comparison]},
        {**common, "triggerType": f"Resolved{alert}", "thresholdType": RESOLVED_THRESHOLD_TYPE[deploy.trigger.comparison],
         "resolutionWindow": time_range},
    ]
    notifications = []
    for index in range(len(rendered.detection.notifications)):
        connection = _connection_for(rendered, index, source)
        payload, resolution = _notification_payloads(rendered, connection, index)
        action: dict[str, Any] = {"connectionType": "Webhook", "connectionId": connection_ref(connection.name),
                                  "payloadOverride": payload}
        if resolution:
            action["resolutionPayloadOverride"] = resolution
        notifications.append({"notification": action, "runForTriggerTypes": [alert, f"Resolved{alert}"]})
    body = {
        "type": "MonitorsLibraryMonitor",
        "name": rendered.detection.name,
        "description": rendered.detection.description.strip(),
        "monitorType": "Logs",
        "queries": [{"rowId": "A", "query": rendered.query.strip()}],
        "triggers": triggers,
        "notifications": notifications,
        "evaluationDelay": deploy.evaluation_delay,
        "isDisabled": not rendered.enabled,
        "groupNotifications": deploy.group_notifications,
        "notificationGroupFields": list(deploy.notification_group_fields),
        "playbook": "",
    }
    return DesiredObject(Kind.MONITOR, rendered.id, body["name"], body, canonical_monitor(body, connection_names),
                         location=rendered.environment.monitor_folder, source=source)


def desired_log_search(rendered: RenderedDetection, connection_names: dict[str, str], source: str) -> DesiredObject:
    deploy = rendered.detection.deploy
    assert isinstance(deploy, ScheduledSearchDeploy)
    env_name = rendered.environment.name or ""
    if len(rendered.detection.notifications) != 1:
        raise SumoctlError(f"detection {rendered.id}: a scheduled search sends exactly one webhook notification "
                           f"(found {len(rendered.detection.notifications)})", source)
    connection = _connection_for(rendered, 0, source)
    payload, _ = _notification_payloads(rendered, connection, 0)
    # An open end (`to`) and no cron expression are left out: the spec declares neither nullable.
    time_range = {"type": "BeginBoundedTimeRange",
                  "from": {"type": "RelativeTimeRangeBoundary", "relativeTime": _negative(deploy.time_range)}}
    operator = {"gt": "gt", "ge": "ge", "lt": "lt", "le": "le"}[deploy.trigger.comparison]
    body = {
        "name": log_search_name(rendered.detection.name),
        "description": fit_description(rendered.detection.description, LOG_SEARCH_DESCRIPTION_MAX,
                                       _marker_length(env_name, rendered.id, Kind.LOG_SEARCH)),
        "queryString": rendered.query.strip(),
        "timeRange": time_range,
        "runByReceiptTime": False,
        "parsingMode": "Manual",
        "queryParameters": [],
        "schedule": {
            "scheduleType": deploy.schedule,
            **({"cronExpression": deploy.cron} if deploy.cron else {}),
            "parseableTimeRange": time_range,
            "timeZone": deploy.time_zone,
            "threshold": {"operator": operator, "count": int(deploy.trigger.threshold)},
            "notification": {"taskType": "WebhookSearchNotificationSyncDefinition",
                             "webhookId": connection_ref(connection.name), "payload": payload,
                             "itemizeAlerts": False, "maxItemizedAlerts": 1},
            "muteErrorEmails": False,
            "parameters": [],
        },
    }
    return DesiredObject(Kind.LOG_SEARCH, rendered.id, body["name"], body, canonical_log_search(body, connection_names),
                         location=rendered.environment.content_folder, source=source)


def desired_state(project: Project, env_name: str, secrets: Secrets) -> DesiredState:
    """Everything the environment should hold in Sumo. Any render error stops here, before anything is read."""
    environment = project.environment(env_name)
    state = DesiredState(environment, detections=len(project.detections))
    for connection in environment.connections:
        state.objects.append(desired_connection(project, environment, connection, secrets))
    names = state.connection_names
    for detection_id in sorted(project.detections):
        detection: Detection = project.detections[detection_id]
        source = project.sources[("detection", detection_id)].display if ("detection", detection_id) in project.sources else ""
        rendered = project.render(detection_id, env_name)
        if isinstance(detection.deploy, MonitorDeploy):
            state.objects.append(desired_monitor(rendered, names, source))
        elif rendered.enabled:
            state.objects.append(desired_log_search(rendered, names, source))
    return state
