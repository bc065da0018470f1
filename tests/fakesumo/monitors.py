"""`/v1/monitors`: the monitors library, as sumo-api.md §2 and §9.5 describe it."""

from __future__ import annotations

import copy
from typing import Any

from tests.fakesumo.common import USER_ID, ApiError, Request, Response, int_param, now_rfc3339, require
from tests.fakesumo.durations import canonical
from tests.fakesumo.state import FakeState

# Sent by clients, owned by the server: ignored on write.
READ_ONLY = {"id", "version", "createdAt", "createdBy", "modifiedAt", "modifiedBy", "parentId", "contentType",
             "isSystem", "isMutable", "isLocked", "permissions", "status", "warnings", "children"}
MONITOR_DEFAULTS = {"description": "", "evaluationDelay": "0m", "notifications": [], "groupNotifications": True,
                    "isDisabled": False, "playbook": "", "automatedPlaybookIds": [], "notificationGroupFields": []}
DETECTION_METHODS = {"StaticCondition", "LogsStaticCondition", "MetricsStaticCondition", "LogsOutlierCondition",
                     "MetricsOutlierCondition", "LogsMissingDataCondition", "MetricsMissingDataCondition",
                     "SloSliCondition", "SloBurnRateCondition", "LogsAnomalyCondition", "MetricsAnomalyCondition"}
TRIGGER_TYPES = {"Critical", "Warning", "MissingData", "ResolvedCritical", "ResolvedWarning", "ResolvedMissingData"}
# The stale-version answer is not documented (sumo-api.md §2.5); this is the fake's choice.
VERSION_CONFLICT = (409, "content:version_mismatch")


def _get(state: FakeState, id: str) -> dict[str, Any]:
    item = state.monitors.get(id)
    if item is None:
        raise ApiError(404, "notfound", f"Monitor or folder with id {id} does not exist.")
    return item


def _is_folder(item: dict) -> bool:
    return item["contentType"] == "Folder"


def _path(state: FakeState, item: dict) -> str:
    names = []
    while item is not None:
        names.append(item["name"])
        item = state.monitors.get(item["parentId"])
    return "/" + "/".join(reversed(names))


def render(state: FakeState, item: dict, *, children: bool = True) -> dict:
    out = copy.deepcopy(item)
    if _is_folder(item):
        out["children"] = ([render(state, c, children=False) | {"permissions": []}
                            for c in state.monitors.values() if c["parentId"] == item["id"]] if children else [])
    return out


def _check_name(name: Any) -> None:
    require(isinstance(name, str) and name.strip() != "", "api.invalid.field", "name must not be empty.")
    require(name == name.strip(), "api.invalid.field", "name must not start or end with a space.")
    require("/" not in name, "api.invalid.field", "name must not contain '/'.")
    require(len(name) <= 255, "api.invalid.field", "name is longer than 255 characters.")


def _definition(state: FakeState, body: Any, *, monitor: bool) -> dict:
    """Validate a monitor definition and return it as the server stores it: defaults filled, durations
    canonicalised, unknown fields (e.g. `tags`) kept."""
    out = {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY}
    _check_name(out.get("name"))
    if not monitor:
        return {"description": "", **{k: out[k] for k in ("name", "description") if k in out}}
    require(out.get("monitorType") in ("Logs", "Metrics", "Slo"), "api.invalid.field",
            "monitorType must be one of Logs, Metrics, Slo.")
    queries = out.get("queries")
    require(isinstance(queries, list) and queries, "api.invalid.field", "queries must not be empty.")
    for q in queries:
        require(isinstance(q, dict) and q.get("rowId") and isinstance(q.get("query"), str) and q["query"].strip(),
                "api.invalid.field", "each query needs a rowId and a query.")
    triggers = out.get("triggers")
    require(isinstance(triggers, list) and triggers, "api.invalid.field", "triggers must not be empty.")
    for t in triggers:
        require(isinstance(t, dict) and t.get("triggerType") in TRIGGER_TYPES, "api.invalid.field",
                f"triggerType must be one of {', '.join(sorted(TRIGGER_TYPES))}.")
        t.setdefault("detectionMethod", "StaticCondition")
        require(t["detectionMethod"] in DETECTION_METHODS, "api.invalid.field", "unknown detectionMethod.")
        if t["detectionMethod"] == "LogsStaticCondition":
            require(isinstance(t.get("timeRange"), str), "api.invalid.field", "timeRange is required.")
            t.setdefault("threshold", 0.0)
            t.setdefault("thresholdType", "GreaterThanOrEqual")
            t["threshold"] = float(t["threshold"])
        if isinstance(t.get("timeRange"), str):
            t["timeRange"] = canonical(t["timeRange"], negative=True)
        for key in ("resolutionWindow", "frequency"):
            if isinstance(t.get(key), str):
                t[key] = canonical(t[key])
    for n in out.get("notifications") or []:
        action = n.get("notification") if isinstance(n, dict) else None
        require(isinstance(action, dict) and action.get("connectionType"), "api.invalid.field",
                "each notification needs a notification.connectionType.")
        require(isinstance(n.get("runForTriggerTypes"), list), "api.invalid.field", "runForTriggerTypes is required.")
        if action["connectionType"] != "Email":
            conn = action.get("connectionId")
            require(conn in state.connections, "connection:not_found", f"Connection {conn} does not exist.")
    if isinstance(out.get("evaluationDelay"), str):
        out["evaluationDelay"] = canonical(out["evaluationDelay"])
    return {**copy.deepcopy(MONITOR_DEFAULTS), **out}


def _stored(state: FakeState, parent_id: str, definition: dict, *, monitor: bool) -> dict:
    stamp = now_rfc3339()
    item = {"id": state.new_id(), **definition, "version": 0, "createdAt": stamp, "createdBy": USER_ID,
            "modifiedAt": stamp, "modifiedBy": USER_ID, "parentId": parent_id,
            "contentType": "Monitor" if monitor else "Folder",
            "type": "MonitorsLibraryMonitorResponse" if monitor else "MonitorsLibraryFolderResponse",
            "isSystem": False, "isMutable": True, "isLocked": False,
            "permissions": ["Create", "Read", "Update", "Delete", "Manage"]}
    if monitor:
        item["status"] = ["Disabled"] if item.get("isDisabled") else ["Normal"]
    return item


def _folder_for_parent(state: FakeState, parent_id: str | None) -> dict:
    require(bool(parent_id), "api.missing.parameter", "Query parameter parentId is required.")
    parent = state.monitors.get(parent_id)
    if parent is None or not _is_folder(parent):
        raise ApiError(400, "content:parent_not_found", "Parent object not found.")
    return parent


def create(state: FakeState, req: Request) -> Response:
    parent = _folder_for_parent(state, req.query.get("parentId"))
    body = req.body
    require(isinstance(body, dict), "api.invalid.body", "The body must be a JSON object.")
    kind = body.get("type")
    require(kind in ("MonitorsLibraryMonitor", "MonitorsLibraryFolder"), "api.invalid.field",
            "type must be MonitorsLibraryMonitor or MonitorsLibraryFolder.")
    monitor = kind == "MonitorsLibraryMonitor"
    item = _stored(state, parent["id"], _definition(state, body, monitor=monitor), monitor=monitor)
    state.monitors[item["id"]] = item
    return Response(200, render(state, item))


def update(state: FakeState, req: Request, id: str) -> Response:
    item = _get(state, id)
    body = req.body
    require(isinstance(body, dict), "api.invalid.body", "The body must be a JSON object.")
    expected = "MonitorsLibraryFolderUpdate" if _is_folder(item) else "MonitorsLibraryMonitorUpdate"
    require(body.get("type") == expected, "api.invalid.field", f"type must be {expected}.")
    require(item["isMutable"], "content:not_mutable", "This item cannot be changed.", 403)
    require(isinstance(body.get("version"), int), "api.invalid.field", "version is required.")
    if body["version"] != item["version"]:
        status, code = VERSION_CONFLICT
        raise ApiError(status, code, f"The version {body['version']} is not the latest version {item['version']}.")
    definition = _definition(state, body, monitor=not _is_folder(item))
    kept = {k: item[k] for k in READ_ONLY | {"type", "id"} if k in item}
    item.clear()
    item.update(definition, **kept)
    item["version"] += 1
    item["modifiedAt"] = now_rfc3339()
    if not _is_folder(item):
        item["status"] = ["Disabled"] if item.get("isDisabled") else ["Normal"]
    return Response(200, render(state, item))


def delete(state: FakeState, req: Request, id: str) -> Response:
    _get(state, id)  # 404 when it does not exist
    require(id != state.monitor_root_id, "content:cannot_delete", "The root folder cannot be deleted.")
    doomed = [id]
    while doomed:
        current = doomed.pop()
        doomed.extend(c["id"] for c in state.monitors.values() if c["parentId"] == current)
        state.monitors.pop(current, None)
    return Response(204)


def get_one(state: FakeState, req: Request, id: str) -> Response:
    return Response(200, render(state, _get(state, id)))


def root(state: FakeState, req: Request) -> Response:
    return Response(200, render(state, state.monitors[state.monitor_root_id]))


def bulk_get(state: FakeState, req: Request) -> Response:
    ids = [i for i in (req.query.get("ids") or "").split(",") if i]
    require(bool(ids), "api.missing.parameter", "Query parameter ids is required.")
    require(len(ids) <= 1000, "api.invalid.parameter", "At most 1000 ids.")
    skip = req.query.get("skipChildren") == "true"
    return Response(200, {i: render(state, _get(state, i), children=not skip) for i in ids})


def by_path(state: FakeState, req: Request) -> Response:
    path = req.query.get("path")
    require(bool(path), "api.missing.parameter", "Query parameter path is required.")
    for item in state.monitors.values():
        if _path(state, item) == path.rstrip("/"):
            return Response(200, render(state, item))
    raise ApiError(404, "notfound", f"No monitor or folder at path {path}.")


def path_of(state: FakeState, req: Request, id: str) -> Response:
    item = _get(state, id)
    chain = []
    while item is not None:
        chain.append(item)
        item = state.monitors.get(item["parentId"])
    chain.reverse()
    return Response(200, {"path": _path(state, chain[-1]),
                          "pathItems": [{"id": i["id"], "name": i["name"], "description": i.get("description", "")}
                                        for i in chain]})


def search(state: FakeState, req: Request) -> Response:
    """Free text matches name or description; `type:folder|monitor` filters."""
    query = req.query.get("query") or ""
    limit = int_param(req, "limit", 1000, 1, 5000)
    offset = int_param(req, "offset", 0, 0, 10**9)
    skip = req.query.get("skipChildren") == "true"
    words, kind = [], None
    for token in query.split():
        if token.lower().startswith("type:"):
            kind = token.split(":", 1)[1].lower()
        else:
            words.append(token.lower())
    hits = []
    for item in state.monitors.values():
        if item["id"] == state.monitor_root_id:
            continue
        if kind and item["contentType"].lower() != kind:
            continue
        text = f"{item['name']} {item.get('description', '')}".lower()
        if all(w in text for w in words):
            hits.append({"item": render(state, item, children=not skip), "path": _path(state, item)})
    return Response(200, hits[offset:offset + limit])


def move(state: FakeState, req: Request, id: str) -> Response:
    item = _get(state, id)
    parent = _folder_for_parent(state, req.query.get("parentId"))
    walk = parent
    while walk is not None:
        require(walk["id"] != id, "content:invalid_move", "A folder cannot be moved into itself.")
        walk = state.monitors.get(walk["parentId"])
    item["parentId"] = parent["id"]
    item["modifiedAt"] = now_rfc3339()
    return Response(200, render(state, item))


ROUTES = [
    ("GET", r"v1/monitors/root", root),
    ("GET", r"v1/monitors/path", by_path),
    ("GET", r"v1/monitors/search", search),
    ("GET", r"v1/monitors", bulk_get),
    ("POST", r"v1/monitors", create),
    ("GET", r"v1/monitors/(?P<id>[0-9A-F]{16})", get_one),
    ("PUT", r"v1/monitors/(?P<id>[0-9A-F]{16})", update),
    ("DELETE", r"v1/monitors/(?P<id>[0-9A-F]{16})", delete),
    ("GET", r"v1/monitors/(?P<id>[0-9A-F]{16})/path", path_of),
    ("POST", r"v1/monitors/(?P<id>[0-9A-F]{16})/move", move),
]
