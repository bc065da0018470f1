"""Monitors library (`/v1/monitors`): monitors and monitor folders, rooted at `/Monitor`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sumoctl.sumo.errors import SumoApiError
from sumoctl.sumo.models import SumoModel, to_body

if TYPE_CHECKING:
    from sumoctl.sumo.client import SumoClient

BULK_GET_MAX = 1000  # ids per `GET /v1/monitors?ids=`
SEARCH_PAGE = 1000


class Monitors:
    def __init__(self, client: SumoClient):
        self._c = client

    def root(self) -> dict:
        """The root folder (`/Monitor`) with its children."""
        return self._c.get("v1/monitors/root")

    def get(self, id: str) -> dict:
        """A monitor, or a folder with its children."""
        return self._c.get(f"v1/monitors/{id}")

    def get_many(self, ids: Iterable[str]) -> dict[str, dict]:
        ids = list(dict.fromkeys(ids))
        found: dict[str, dict] = {}
        for i in range(0, len(ids), BULK_GET_MAX):
            found.update(self._c.get("v1/monitors", {"ids": ",".join(ids[i:i + BULK_GET_MAX])}) or {})
        return found

    def get_by_path(self, path: str) -> dict | None:
        """The monitor or folder at `/Monitor/...`, or None when nothing is there."""
        return self._c.get_or_none("v1/monitors/path", {"path": path})

    def path_of(self, id: str) -> str:
        return self._c.get(f"v1/monitors/{id}/path")["path"]

    def search(self, query: str, *, limit: int = SEARCH_PAGE, offset: int = 0) -> list[dict]:
        """One page of `[{"item": ..., "path": ...}]`."""
        return self._c.get("v1/monitors/search", {"query": query, "limit": limit, "offset": offset}) or []

    def search_all(self, query: str, *, page_size: int = SEARCH_PAGE) -> Iterator[dict]:
        """Every match, page after page (the API pages by offset; a short page is the last)."""
        offset = 0
        while True:
            page = self.search(query, limit=page_size, offset=offset)
            yield from page
            if len(page) < page_size:
                return
            offset += len(page)

    def children(self, folder_id: str) -> list[dict]:
        return self.get(folder_id).get("children") or []

    def find_child(self, parent_id: str, name: str, type_: str) -> dict | None:
        """The child of `parent_id` with this name and type. When several match (monitor names are
        not unique in Sumo), the newest: a create that lost its answer made the newest one."""
        matches = [c for c in self.children(parent_id)
                   if c.get("name") == name and _base_type(c.get("type")) == _base_type(type_)]
        if not matches:
            return None
        return max(matches, key=lambda c: c.get("createdAt") or "")

    def create(self, parent_id: str, body: SumoModel | dict[str, Any]) -> dict:
        """Create a monitor or folder (`type` `MonitorsLibraryMonitor`/`...Folder`) under `parent_id`."""
        data = to_body(body)
        return self._c.create_safely(
            "v1/monitors", data, params={"parentId": parent_id},
            find=lambda: self.find_child(parent_id, data.get("name"), data.get("type", "MonitorsLibraryMonitor")))

    def create_folder(self, parent_id: str, name: str, description: str = "") -> dict:
        return self.create(parent_id, {"type": "MonitorsLibraryFolder", "name": name, "description": description})

    def update(self, id: str, body: SumoModel | dict[str, Any]) -> dict:
        """Replace a monitor or folder. `body` carries `type: ...Update` and the current `version`."""
        data = to_body(body)
        sent_version = data.get("version")

        def applied_earlier(err: SumoApiError) -> dict:
            # A retry refused after a lost answer: if the stored version moved past ours, the lost
            # attempt is what moved it.
            current = self.get(id)
            if sent_version is not None and isinstance(current.get("version"), int) and current["version"] > sent_version:
                return current
            raise err

        return self._c.put(f"v1/monitors/{id}", data, after_unknown=applied_earlier)

    def delete(self, id: str) -> None:
        self._c.delete(f"v1/monitors/{id}")

    def move(self, id: str, parent_id: str) -> dict:
        return self._c.call("POST", f"v1/monitors/{id}/move", params={"parentId": parent_id})


def _base_type(type_: str | None) -> str:
    return (type_ or "").removesuffix("Update").removesuffix("Response")
