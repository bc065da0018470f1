"""Log searches (`/v1/logSearches`): saved searches, scheduled when they carry a `schedule`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sumoctl.sumo.models import SumoModel, to_body

if TYPE_CHECKING:
    from sumoctl.sumo.client import SumoClient

PAGE = 100  # the API's maximum


class LogSearches:
    def __init__(self, client: SumoClient):
        self._c = client

    def list(self, *, page_size: int = PAGE) -> Iterator[dict]:
        """Every log search the caller can see, following `token`s."""
        return self._c.pages("v1/logSearches", items="logSearches", next_token="token", page_size=page_size)

    def get(self, id: str) -> dict:
        return self._c.get(f"v1/logSearches/{id}")

    def find(self, parent_id: str, name: str) -> dict | None:
        for item in self.list():
            if item.get("parentId") == parent_id and item.get("name") == name:
                return item
        return None

    def create(self, body: SumoModel | dict[str, Any]) -> dict:
        """Create a log search; `body` carries `parentId`, a content-library folder id."""
        data = to_body(body)
        return self._c.create_safely("v1/logSearches", data,
                                     find=lambda: self.find(data.get("parentId"), data.get("name")))

    def update(self, id: str, body: SumoModel | dict[str, Any]) -> dict:
        """Full replacement: fields left out are reset by the server."""
        return self._c.put(f"v1/logSearches/{id}", to_body(body))

    def delete(self, id: str) -> None:
        self._c.delete(f"v1/logSearches/{id}")
