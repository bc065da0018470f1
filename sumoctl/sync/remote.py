"""Reading what the managed folders of one environment hold in Sumo.

The cost grows with folders and pages, not with detections: one GET of the managed monitor folder returns its
monitors as children, connections and log searches are listed page by page (100 a page), and only the log searches
whose parent is the managed content folder are kept. Nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sumoctl.errors import SumoctlError
from sumoctl.models import Environment
from sumoctl.sync.markers import Marker, fingerprint_salt, secret_fingerprint, strip_marker
from sumoctl.sync.normalise import canonical_connection, canonical_log_search, canonical_monitor
from sumoctl.sync.objects import Kind, RemoteObject

MONITOR_ROOT = "/Monitor"
MASK_CHARS = "*"


@dataclass
class Folder:
    """A managed folder: where it is, its id when it exists, and what is missing on the way to it."""

    path: str
    id: str | None = None
    parent_id: str | None = None     # of the first missing component, when it can be known
    missing: list[str] = field(default_factory=list)  # paths of components to create, outermost first


@dataclass
class RemoteState:
    environment: str
    monitor_folder: Folder
    content_folder: Folder
    objects: list[RemoteObject] = field(default_factory=list)          # marked for this environment
    unmarked: list[RemoteObject] = field(default_factory=list)         # in a managed folder, without our marker
    other_connections: list[RemoteObject] = field(default_factory=list)  # connections sumoctl does not manage here
    connection_names: dict[str, str] = field(default_factory=dict)     # id -> name, for every connection

    def of_kind(self, kind: Kind) -> list[RemoteObject]:
        return [o for o in self.objects if o.kind == kind]


def _is_masked(value: Any) -> bool:
    return isinstance(value, str) and value != "" and set(value) <= set(MASK_CHARS)


def _marker_for(environment: str, marker: Marker | None) -> Marker | None:
    return marker if marker and marker.environment == environment else None


# --- folders --------------------------------------------------------------------------------------------------------

def _components(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def resolve_monitor_folder(client, path: str) -> tuple[Folder, dict | None]:
    """The managed monitor folder (with its children), or what must be created to have it."""
    found = client.monitors.get_by_path(path)
    if found is not None:
        if found.get("contentType", "Folder") != "Folder" and "children" not in found:
            raise SumoctlError(f"{path} is a monitor, not a folder: choose another monitor_folder")
        return Folder(path, id=found["id"]), found
    # Walk down from the root to find the deepest folder that exists.
    node = client.monitors.root()
    names = _components(path)[1:]  # the root folder is `/Monitor`
    walked = MONITOR_ROOT
    for index, name in enumerate(names):
        child = next((c for c in node.get("children") or []
                      if c.get("name") == name and c.get("contentType", "Folder") == "Folder"), None)
        if child is None:
            missing = [MONITOR_ROOT + "/" + "/".join(names[: i + 1]) for i in range(index, len(names))]
            return Folder(path, parent_id=node["id"], missing=missing), None
        walked += "/" + name
        node = client.monitors.get(child["id"])
    return Folder(path, id=node["id"]), node


def resolve_content_folder(client, where: str) -> Folder:
    """`/Library/...` paths are looked up as such; a plain name is a folder under the caller's personal folder."""
    if where.startswith("/Library/"):
        found = client.folders.get_by_path(where)
        if found is not None:
            return Folder(where, id=found["id"])
        parent_path = where.rsplit("/", 1)[0]
        parent = client.folders.get_by_path(parent_path)
        if parent is None:
            raise SumoctlError(f"content folder {parent_path} does not exist: create it in Sumo, or choose another "
                               f"content_folder")
        return Folder(where, parent_id=parent["id"], missing=[where])
    personal = client.folders.personal()
    child = next((c for c in personal.get("children") or []
                  if c.get("name") == where and c.get("itemType") == "Folder"), None)
    display = f"(personal folder)/{where}"
    if child is not None:
        return Folder(display, id=child["id"])
    return Folder(display, parent_id=personal["id"], missing=[display])


# --- objects --------------------------------------------------------------------------------------------------------

def remote_connection(body: dict, environment: str) -> RemoteObject:
    marker = _marker_for(environment, Marker.from_description(body.get("description")))
    canonical = canonical_connection(body, strip_marker)
    url = body.get("url")
    observed = {"url": isinstance(url, str) and not _is_masked(url), "headerValues": False}
    canonical["url"] = secret_fingerprint(url, fingerprint_salt(environment)) if observed["url"] else None
    canonical["headerValues"] = None  # Sumo masks authorization header values: never observable
    return RemoteObject(Kind.CONNECTION, body["id"], body.get("name", ""), body, marker, canonical,
                        location="connections", observed=observed)


def remote_monitor(body: dict, environment: str, connection_names: dict[str, str], location: str) -> RemoteObject:
    marker = _marker_for(environment, Marker.from_tags(body.get("tags")))
    return RemoteObject(Kind.MONITOR, body["id"], body.get("name", ""), body, marker,
                        canonical_monitor(body, connection_names), location=location)


def remote_log_search(body: dict, environment: str, connection_names: dict[str, str], location: str) -> RemoteObject:
    marker = _marker_for(environment, Marker.from_description(body.get("description")))
    return RemoteObject(Kind.LOG_SEARCH, body["id"], body.get("name", ""), body, marker,
                        canonical_log_search(body, connection_names, strip_marker), location=location)


def add(state: RemoteState, obj: RemoteObject) -> None:
    """File an object read in a managed folder (or a connection) where it belongs."""
    if obj.kind == Kind.CONNECTION:
        state.connection_names[obj.id] = obj.marker.key if obj.marker else obj.name
        (state.objects if obj.marker else state.other_connections).append(obj)
    else:
        (state.objects if obj.marker else state.unmarked).append(obj)


def read_remote(client, environment: Environment) -> RemoteState:
    env_name = environment.name or ""
    monitor_folder, folder_body = resolve_monitor_folder(client, environment.monitor_folder)
    content_folder = resolve_content_folder(client, environment.content_folder)
    state = RemoteState(env_name, monitor_folder, content_folder)

    for body in client.connections.list():
        add(state, remote_connection(body, env_name))

    if folder_body is not None:
        children = [c for c in folder_body.get("children") or [] if c.get("contentType") != "Folder"]
        # Children are full monitors on the servers we know; fetch in bulk (1000 a call) where they are not.
        thin = [c["id"] for c in children if "queries" not in c]
        if thin:
            full = client.monitors.get_many(thin)
            children = [full.get(c["id"], c) for c in children]
        for body in children:
            add(state, remote_monitor(body, env_name, state.connection_names, monitor_folder.path))

    if content_folder.id is not None:
        for body in client.log_searches.list():
            if body.get("parentId") != content_folder.id:
                continue
            add(state, remote_log_search(body, env_name, state.connection_names, content_folder.path))
    return state
