"""Canonical forms of Sumo objects: what is left of a monitor, log search or connection once everything the server
rewrites on its own has been undone, so that desired and remote objects compare equal after a fresh apply.

The server canonicalises durations (`60m` -> `1h`) and flips the sign of time ranges (`-15m` <-> `15m`), fills
defaults (`evaluationDelay`, `resolutionWindow`, `groupNotifications`), masks authorization header values,
re-serialises JSON payloads and may return triggers in another order (sumo-api.md §2.4, §4). The same function is
applied to a body sumoctl builds and to the object read back, and only the fields sumoctl manages are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*-?\s*((?:\d+\s*[smhdw]\s*)+)$")
_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")


def duration_seconds(value: Any) -> Any:
    """`-15m`, `15m`, `900s` -> 900. Sumo rewrites the unit and the sign, never the length; other values pass."""
    if not isinstance(value, str):
        return value
    match = _DURATION.match(value)
    if not match:
        return value.strip()
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(match.group(1)))


def duration(value: Any) -> Any:
    """A duration in one spelling, unsigned and in its largest whole unit: `-60m`, `1h`, `3600s` -> `1h`.
    Equal lengths give equal text, and the text still reads as a duration in a plan."""
    seconds = duration_seconds(value)
    if not isinstance(seconds, int):
        return seconds
    if seconds == 0:
        return "0m"
    for unit, size in sorted(_UNIT_SECONDS.items(), key=lambda kv: -kv[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# Sumo's alert variables, e.g. {{TriggerType}}, {{ResultsJson}}, {{Payload.field}}.
_SUMO_VARIABLE = re.compile(r"\{\{[A-Za-z0-9_.]+\}\}")
_BARE_MARK = "\u0001sumo-variable:"


def _quote_bare_variables(text: str) -> str:
    """Turn variables standing where a JSON value goes (`"results": {{ResultsJson}}`) into marked strings, and leave
    those inside string literals alone, so the payload parses as JSON without changing what it means."""
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            i += 1
            continue
        if ch == '"':
            in_string = True
            out.append(ch)
            i += 1
            continue
        match = _SUMO_VARIABLE.match(text, i)
        if match:
            out.append(json.dumps(_BARE_MARK + match.group(0)))
            i = match.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def payload_text(payload: Any) -> Any:
    """A webhook payload in one stable spelling: parsed as JSON and dumped with sorted keys and no blanks.
    Text that is not JSON (Sumo allows plain payloads for some webhook types) only has its blanks trimmed."""
    if not isinstance(payload, str):
        return payload
    try:
        parsed = json.loads(_quote_bare_variables(payload))
    except ValueError:
        return payload.strip()
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def readable_payload(canonical: str) -> str:
    """A normalised payload laid out on several lines for a plan, Sumo variables back in place."""
    try:
        parsed = json.loads(canonical)
    except ValueError:
        return canonical
    text = json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False)
    # json.dumps escapes the control character that marks a bare variable as \u0001.
    return re.sub(r'"\\u0001sumo-variable:(\{\{[A-Za-z0-9_.]+\}\})"', r"\1", text)


def _text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value)


# --- monitors -----------------------------------------------------------------------------------------------------

MONITOR_FIELDS = (
    "name", "description", "query", "triggers", "notifications", "evaluationDelay", "isDisabled",
    "groupNotifications", "notificationGroupFields", "playbook",
)


def _unique(taken: dict, key: str) -> str:
    n, candidate = 2, key
    while candidate in taken:
        candidate, n = f"{key}#{n}", n + 1
    return candidate


def _trigger(trigger: Mapping[str, Any]) -> dict[str, Any]:
    time_range = duration(trigger.get("timeRange"))
    out = {
        "detectionMethod": trigger.get("detectionMethod") or "LogsStaticCondition",
        "timeRange": time_range,
        "frequency": duration(trigger.get("frequency")),
        "threshold": float(trigger.get("threshold") or 0),
        "thresholdType": trigger.get("thresholdType") or "GreaterThanOrEqual",
        "field": trigger.get("field") or None,
    }
    if str(trigger.get("triggerType")).startswith("Resolved"):
        # The resolution window defaults to the trigger's own time range (sumo-api.md §2.3).
        window = trigger.get("resolutionWindow")
        out["resolutionWindow"] = duration(window) if window not in (None, "") else time_range
    return out


def _monitor_notification(item: Mapping[str, Any]) -> dict[str, Any]:
    action = item.get("notification") or {}
    return {
        "connectionType": action.get("connectionType") or "Webhook",
        "payloadOverride": payload_text(action.get("payloadOverride")) or None,
        "resolutionPayloadOverride": payload_text(action.get("resolutionPayloadOverride")) or None,
        "runForTriggerTypes": sorted(item.get("runForTriggerTypes") or []),
    }


def canonical_monitor(body: Mapping[str, Any], connection_names: Mapping[str, str]) -> dict[str, Any]:
    """The fields sumoctl manages on a Logs monitor, normalised. `connection_names` maps connection ids (and the
    placeholders of connections not yet created) to connection names."""
    queries = body.get("queries") or []
    # Triggers are keyed by type and notifications by connection (by the name sumoctl manages it under: ids
    # change when a connection is re-created): order does not matter, and a plan can name what changed inside.
    triggers: dict[str, Any] = {}
    for trigger in body.get("triggers") or []:
        triggers[_unique(triggers, str(trigger.get("triggerType")))] = _trigger(trigger)
    notifications: dict[str, Any] = {}
    for item in body.get("notifications") or []:
        connection_id = (item.get("notification") or {}).get("connectionId")
        name = connection_names.get(connection_id, f"id:{connection_id}")
        notifications[_unique(notifications, name)] = _monitor_notification(item)
    return {
        "name": _text(body.get("name")),
        "description": _text(body.get("description")),
        "query": "\n".join(_text(q.get("query")) for q in sorted(queries, key=lambda q: q.get("rowId") or "")),
        "triggers": triggers,
        "notifications": notifications,
        "evaluationDelay": duration(body.get("evaluationDelay") or "0m"),
        "isDisabled": bool(body.get("isDisabled", False)),
        "groupNotifications": bool(body.get("groupNotifications", True)),
        "notificationGroupFields": sorted(body.get("notificationGroupFields") or []),
        "playbook": _text(body.get("playbook")),
    }


# --- log searches ---------------------------------------------------------------------------------------------------

LOG_SEARCH_FIELDS = ("name", "description", "query", "timeRange", "schedule", "notification", "threshold")


def _time_range(value: Any) -> Any:
    """A `BeginBoundedTimeRange` with a relative start, as seconds; anything else as sorted JSON."""
    if isinstance(value, Mapping) and value.get("type") == "BeginBoundedTimeRange":
        start = value.get("from") or {}
        if start.get("type") == "RelativeTimeRangeBoundary" and not value.get("to"):
            return duration(start.get("relativeTime"))
    return json.loads(json.dumps(value, sort_keys=True)) if value is not None else None


def canonical_log_search(body: Mapping[str, Any], connection_names: Mapping[str, str],
                         strip_marker=lambda text: text) -> dict[str, Any]:
    schedule = body.get("schedule") or {}
    notification = schedule.get("notification") or {}
    threshold = schedule.get("threshold") or {}
    webhook = notification.get("webhookId")
    return {
        "name": _text(body.get("name")),
        "description": _text(strip_marker(body.get("description") or "")),
        "query": _text(body.get("queryString")),
        "timeRange": _time_range(body.get("timeRange")),
        "schedule": {
            "scheduleType": schedule.get("scheduleType"),
            "cronExpression": schedule.get("cronExpression") or None,
            "timeRange": _time_range(schedule.get("parseableTimeRange")),
            "timeZone": schedule.get("timeZone") or "UTC",
        } if schedule else None,
        "notification": {
            "taskType": notification.get("taskType"),
            "connection": connection_names.get(webhook, f"id:{webhook}") if webhook else None,
            "payload": payload_text(notification.get("payload")) or None,
            "itemizeAlerts": bool(notification.get("itemizeAlerts", False)),
        } if notification else None,
        "threshold": {"operator": threshold.get("operator"), "count": threshold.get("count")} if threshold else None,
    }


# --- connections ----------------------------------------------------------------------------------------------------

# `url` and the header values are secrets: they are compared through fingerprints, never by value (see markers.py).
CONNECTION_FIELDS = ("name", "description", "webhookType", "defaultPayload", "resolutionPayload", "headerNames",
                     "customHeaders")


def canonical_connection(body: Mapping[str, Any], strip_marker=lambda text: text) -> dict[str, Any]:
    return {
        "name": _text(body.get("name")),
        "description": _text(strip_marker(body.get("description") or "")),
        "webhookType": body.get("webhookType") or "Webhook",
        "defaultPayload": payload_text(body.get("defaultPayload")),
        "resolutionPayload": payload_text(body.get("resolutionPayload")) or None,
        "headerNames": sorted(h.get("name", "") for h in body.get("headers") or []),
        "customHeaders": sorted([h.get("name", ""), h.get("value", "")] for h in body.get("customHeaders") or []),
    }
