"""`/v1/logSearches`: saved searches with an optional schedule (sumo-api.md §3.1, §9.7)."""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.fakesumo import content
from tests.fakesumo.common import USER_ID, ApiError, Request, Response, int_param, now_rfc3339, require
from tests.fakesumo.state import FakeState

NAME = re.compile(r"^[a-zA-Z0-9 +%-@.,_()\\]+$")
SCHEDULE_TYPES = {"RealTime", "15Minutes", "1Hour", "2Hours", "4Hours", "6Hours", "8Hours", "12Hours", "1Day",
                  "1Week", "Custom"}
TASK_TYPES = {"WebhookSearchNotificationSyncDefinition", "EmailSearchNotificationSyncDefinition",
              "AlertSearchNotificationSyncDefinition", "SaveToViewNotificationSyncDefinition",
              "SaveToLookupNotificationSyncDefinition", "ServiceNowSearchNotificationSyncDefinition",
              "CseSignalNotificationSyncDefinition"}
DEFAULTS = {"description": "", "runByReceiptTime": False, "parsingMode": "Manual", "queryParameters": [],
            "intervalTimeType": "messageTime"}
READ_ONLY = {"id", "createdAt", "createdBy", "modifiedAt", "modifiedBy"}


def _get(state: FakeState, id: str) -> dict:
    item = state.log_searches.get(id)
    if item is None:
        raise ApiError(404, "logsearch:not_found", f"Log search with id {id} does not exist.")
    return item


def _definition(state: FakeState, body: Any, *, except_id: str | None = None) -> dict:
    require(isinstance(body, dict), "api.invalid.body", "The body must be a JSON object.")
    out = {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY}
    name = out.get("name")
    require(isinstance(name, str) and 1 <= len(name) <= 255 and bool(NAME.match(name)), "api.invalid.field",
            "name must be 1 to 255 characters of letters, digits, space and + % - @ . , _ ( ) \\.")
    require(len(out.get("description") or "") <= 255, "api.invalid.field", "description must be at most 255 characters.")
    query = out.get("queryString")
    require(isinstance(query, str) and query.strip() != "" and len(query) <= 15000, "api.invalid.field",
            "queryString must be 1 to 15000 characters.")
    require(isinstance(out.get("timeRange"), dict) and out["timeRange"].get("type"), "api.invalid.field",
            "timeRange is required.")
    parent_id = out.get("parentId")
    if parent_id not in state.content:
        raise ApiError(400, "content:parent_not_found", "Parent object not found.")
    require(not content.name_taken(state, parent_id, name, except_id=except_id), "content:duplicate_content",
            f"A content item named {name} already exists in the folder.")
    schedule = out.get("schedule")
    if schedule is not None:
        require(isinstance(schedule, dict) and schedule.get("scheduleType") in SCHEDULE_TYPES, "api.invalid.field",
                f"scheduleType must be one of {', '.join(sorted(SCHEDULE_TYPES))}.")
        require(schedule["scheduleType"] != "RealTime", "logsearch:realtime_deprecated",
                "Real-time scheduled searches are deprecated and can no longer be created.")
        if schedule["scheduleType"] == "Custom":
            require(bool(schedule.get("cronExpression")), "api.invalid.field", "Custom schedules need a cronExpression.")
        require(bool(schedule.get("timeZone")) and isinstance(schedule.get("parseableTimeRange"), dict),
                "api.invalid.field", "schedule needs timeZone and parseableTimeRange.")
        notification = schedule.get("notification")
        require(isinstance(notification, dict) and notification.get("taskType") in TASK_TYPES, "api.invalid.field",
                "schedule.notification.taskType is required.")
        if notification["taskType"] == "WebhookSearchNotificationSyncDefinition":
            require(notification.get("webhookId") in state.connections, "connection:not_found",
                    f"Connection {notification.get('webhookId')} does not exist.")
        schedule.setdefault("muteErrorEmails", False)
        schedule.setdefault("parameters", [])
    return {**DEFAULTS, **out}


def create(state: FakeState, req: Request) -> Response:
    stamp = now_rfc3339()
    item = {"id": state.new_id(), **_definition(state, req.body), "createdAt": stamp, "createdBy": USER_ID,
            "modifiedAt": stamp, "modifiedBy": USER_ID}
    state.log_searches[item["id"]] = item
    return Response(200, copy.deepcopy(item))


def update(state: FakeState, req: Request, id: str) -> Response:
    item = _get(state, id)
    body = dict(req.body) if isinstance(req.body, dict) else req.body
    if isinstance(body, dict):
        body.setdefault("parentId", item["parentId"])
    definition = _definition(state, body, except_id=id)
    kept = {k: item[k] for k in READ_ONLY}
    item.clear()
    item.update(kept, **definition)
    item["modifiedAt"] = now_rfc3339()
    return Response(200, copy.deepcopy(item))


def get_one(state: FakeState, req: Request, id: str) -> Response:
    return Response(200, copy.deepcopy(_get(state, id)))


def delete(state: FakeState, req: Request, id: str) -> Response:
    _get(state, id)
    del state.log_searches[id]
    return Response(204)


def list_(state: FakeState, req: Request) -> Response:
    limit = int_param(req, "limit", 50, 1, 100)
    token = req.query.get("token")
    try:
        start = int(token, 16) if token else 0
    except ValueError:
        raise ApiError(400, "api.invalid.parameter", "Invalid token.") from None
    items = list(state.log_searches.values())
    nxt = f"{start + limit:08x}" if start + limit < len(items) else None
    return Response(200, {"logSearches": copy.deepcopy(items[start:start + limit]), "token": nxt})


ROUTES = [
    ("GET", r"v1/logSearches", list_),
    ("POST", r"v1/logSearches", create),
    ("GET", r"v1/logSearches/(?P<id>[0-9A-F]{16})", get_one),
    ("PUT", r"v1/logSearches/(?P<id>[0-9A-F]{16})", update),
    ("DELETE", r"v1/logSearches/(?P<id>[0-9A-F]{16})", delete),
]
