"""`/v2/content`: content-library folders (the parents of log searches), and paths under `/Library`."""

from __future__ import annotations

import copy

from tests.fakesumo.common import USER_ID, ApiError, Request, Response, now_rfc3339, require
from tests.fakesumo.state import FakeState


def _folder(state: FakeState, id: str) -> dict:
    folder = state.content.get(id)
    if folder is None:
        raise ApiError(404, "content:not_found", "Content with the given ID does not exist.")
    return folder


def _children(state: FakeState, parent_id: str) -> list[dict]:
    items = [copy.deepcopy(f) for f in state.content.values() if f["parentId"] == parent_id]
    for s in state.log_searches.values():
        if s["parentId"] == parent_id:
            items.append({"id": s["id"], "name": s["name"], "description": s.get("description", ""),
                          "itemType": "Search", "parentId": parent_id, "isScheduled": s.get("schedule") is not None,
                          "createdAt": s["createdAt"], "createdBy": s["createdBy"], "modifiedAt": s["modifiedAt"],
                          "modifiedBy": s["modifiedBy"], "permissions": ["View", "Edit", "Manage"]})
    return items


def render(state: FakeState, folder: dict) -> dict:
    return {**copy.deepcopy(folder), "children": _children(state, folder["id"])}


def path_of(state: FakeState, item_id: str) -> str:
    names = []
    item = state.content.get(item_id) or state.log_searches.get(item_id)
    while item is not None:
        names.append(item["name"])
        item = state.content.get(item["parentId"])
    return "/" + "/".join(reversed(names))


def name_taken(state: FakeState, parent_id: str, name: str, *, except_id: str | None = None) -> bool:
    return any(c["name"] == name and c["id"] != except_id for c in _children(state, parent_id))


def personal(state: FakeState, req: Request) -> Response:
    return Response(200, render(state, state.content[state.personal_folder_id]))


def get_one(state: FakeState, req: Request, id: str) -> Response:
    return Response(200, render(state, _folder(state, id)))


def create(state: FakeState, req: Request) -> Response:
    body = req.body
    require(isinstance(body, dict), "api.invalid.body", "The body must be a JSON object.")
    name, parent_id = body.get("name"), body.get("parentId")
    require(isinstance(name, str) and 1 <= len(name) <= 128, "api.invalid.field", "name must be 1 to 128 characters.")
    description = body.get("description", "")
    require(isinstance(description, str) and len(description) <= 255, "api.invalid.field",
            "description must be at most 255 characters.")
    if parent_id not in state.content:
        raise ApiError(400, "content:parent_not_found", "Parent object not found.")
    require(not name_taken(state, parent_id, name), "content:duplicate_content",
            f"A content item named {name} already exists in the folder.")
    stamp = now_rfc3339()
    folder = {"id": state.new_id(), "name": name, "description": description, "parentId": parent_id,
              "itemType": "Folder", "createdAt": stamp, "createdBy": USER_ID, "modifiedAt": stamp,
              "modifiedBy": USER_ID, "permissions": ["View", "GrantView", "Edit", "GrantEdit", "Manage", "GrantManage"]}
    state.content[folder["id"]] = folder
    return Response(200, render(state, folder))


def by_path(state: FakeState, req: Request) -> Response:
    path = (req.query.get("path") or "").rstrip("/")
    require(bool(path), "api.missing.parameter", "Query parameter path is required.")
    for folder in state.content.values():
        if path_of(state, folder["id"]) == path:
            return Response(200, {**copy.deepcopy(folder)})
    for s in state.log_searches.values():
        if path_of(state, s["id"]) == path:
            item = next(c for c in _children(state, s["parentId"]) if c["id"] == s["id"])
            return Response(200, item)
    raise ApiError(404, "content:path_not_found", f"No content at path {path}.")


ROUTES = [
    ("GET", r"v2/content/folders/personal", personal),
    ("POST", r"v2/content/folders", create),
    ("GET", r"v2/content/folders/(?P<id>[0-9A-F]{16})", get_one),
    ("GET", r"v2/content/path", by_path),
]
