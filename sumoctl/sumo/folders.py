"""Content library folders (`/v2/content`): the parents of log searches."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sumoctl.sumo.client import SumoClient


class Folders:
    def __init__(self, client: SumoClient):
        self._c = client

    def personal(self) -> dict:
        """The caller's personal folder (`/Library/Users/<email>`), with children."""
        return self._c.get("v2/content/folders/personal")

    def get(self, id: str) -> dict:
        return self._c.get(f"v2/content/folders/{id}")

    def get_by_path(self, path: str) -> dict | None:
        """The content item at `/Library/...`, or None."""
        return self._c.get_or_none("v2/content/path", {"path": path})

    def find_child(self, parent_id: str, name: str) -> dict | None:
        for child in self.get(parent_id).get("children") or []:
            if child.get("name") == name and child.get("itemType") == "Folder":
                return child
        return None

    def create(self, name: str, parent_id: str, description: str = "") -> dict:
        """Create a folder. Names are unique in a content folder, so a `content:duplicate_content`
        after a lost answer means our earlier attempt made it: `create_safely` then finds it."""
        body = {"name": name, "description": description, "parentId": parent_id}
        return self._c.create_safely("v2/content/folders", body, find=lambda: self.find_child(parent_id, name))
