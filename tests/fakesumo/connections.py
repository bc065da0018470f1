"""`/v1/connections`: `WebhookDefinition` in, `WebhookConnection` out, authorization header values masked."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.fakesumo.common import USER_ID, ApiError, Request, Response, int_param, now_rfc3339, require
from tests.fakesumo.state import FakeState

MASK = "********"
WEBHOOK_TYPES = {"AWSLambda", "Azure", "Datadog", "HipChat", "Jira", "NewRelic", "Opsgenie", "PagerDuty", "Slack",
                 "MicrosoftTeams", "ServiceNow", "SumoCloudSOAR", "Webhook"}


def _get(state: FakeState, id: str) -> dict:
    conn = state.connections.get(id)
    if conn is None:
        raise ApiError(404, "connection:not_found", "Connection with given ID does not exist.")
    return conn


def render(conn: dict) -> dict:
    out = copy.deepcopy(conn)
    for header in out["headers"]:
        header["value"] = MASK
    return out


def _definition(body: Any) -> dict:
    require(isinstance(body, dict), "api.invalid.body", "The body must be a JSON object.")
    require(body.get("type") == "WebhookDefinition", "api.invalid.field",
            "type must be WebhookDefinition (the fake serves webhooks only).")
    name = body.get("name")
    require(isinstance(name, str) and 1 <= len(name) <= 127, "api.invalid.field", "name must be 1 to 127 characters.")
    description = body.get("description", "")
    require(isinstance(description, str) and len(description) <= 1024, "api.invalid.field",
            "description must be at most 1024 characters.")
    url = body.get("url")
    require(isinstance(url, str) and url.startswith(("https://", "http://")), "api.invalid.field",
            "url must be an http(s) URL.")
    for key in ("defaultPayload", "resolutionPayload"):
        payload = body.get(key)
        if payload is None and key == "resolutionPayload":
            continue
        require(isinstance(payload, str) and payload.strip() != "", "api.invalid.field", f"{key} is required.")
        try:
            json.loads(payload)
        except ValueError:
            raise ApiError(400, "connection:invalid_payload", f"{key} is not valid JSON.") from None
    headers = body.get("headers") or []
    custom = body.get("customHeaders") or []
    for h in [*headers, *custom]:
        require(isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str),
                "api.invalid.field", "each header needs a name and a value.")
    require(len(custom) <= 5, "api.invalid.field", "at most 5 custom headers.")
    webhook_type = body.get("webhookType", "Webhook")
    require(webhook_type in WEBHOOK_TYPES, "api.invalid.field", "unknown webhookType.")
    out = {"name": name, "description": description, "url": url, "headers": copy.deepcopy(headers),
           "customHeaders": copy.deepcopy(custom), "defaultPayload": body["defaultPayload"],
           "webhookType": webhook_type, "connectionSubtype": body.get("connectionSubtype", "Event")}
    if body.get("resolutionPayload") is not None:
        out["resolutionPayload"] = body["resolutionPayload"]
    return out


def create(state: FakeState, req: Request) -> Response:
    stamp = now_rfc3339()
    conn = {"type": "WebhookConnection", "id": state.new_id(), **_definition(req.body), "createdAt": stamp,
            "createdBy": USER_ID, "modifiedAt": stamp, "modifiedBy": USER_ID}
    state.connections[conn["id"]] = conn
    return Response(200, render(conn))


def list_(state: FakeState, req: Request) -> Response:
    limit = int_param(req, "limit", 100, 1, 1000)
    token = req.query.get("token")
    start = 0
    if token:
        try:
            start = int(token, 16)
        except ValueError:
            raise ApiError(400, "api.invalid.parameter", "Invalid token.") from None
    items = list(state.connections.values())
    page = items[start:start + limit]
    nxt = f"{start + limit:08x}" if start + limit < len(items) else None
    return Response(200, {"data": [render(c) for c in page], "next": nxt})


def _check_type(req: Request, *, required: bool) -> None:
    kind = req.query.get("type")
    if kind is None:
        require(not required, "api.missing.parameter", "Query parameter type is required.")
        return
    require(kind in ("WebhookConnection", "ServiceNowConnection"), "api.invalid.parameter",
            "type must be either `WebhookConnection` or `ServiceNowConnection`.")
    if kind != "WebhookConnection":
        raise ApiError(404, "connection:not_found", "Connection with given ID does not exist.")


def get_one(state: FakeState, req: Request, id: str) -> Response:
    _check_type(req, required=False)
    return Response(200, render(_get(state, id)))


def update(state: FakeState, req: Request, id: str) -> Response:
    conn = _get(state, id)
    conn.update(_definition(req.body))
    if req.body.get("resolutionPayload") is None:
        conn.pop("resolutionPayload", None)
    conn["modifiedAt"] = now_rfc3339()
    return Response(200, render(conn))


def delete(state: FakeState, req: Request, id: str) -> Response:
    _check_type(req, required=True)
    _get(state, id)
    del state.connections[id]
    return Response(204)


ROUTES = [
    ("GET", r"v1/connections", list_),
    ("POST", r"v1/connections", create),
    ("GET", r"v1/connections/(?P<id>[0-9A-F]{16})", get_one),
    ("PUT", r"v1/connections/(?P<id>[0-9A-F]{16})", update),
    ("DELETE", r"v1/connections/(?P<id>[0-9A-F]{16})", delete),
]
