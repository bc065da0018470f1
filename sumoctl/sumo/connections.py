"""Connections (`/v1/connections`): webhooks that monitors and scheduled searches notify.
Requests say `WebhookDefinition`, answers say `WebhookConnection`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sumoctl.sumo.models import SumoModel, to_body

if TYPE_CHECKING:
    from sumoctl.sumo.client import SumoClient

PAGE = 100


class Connections:
    def __init__(self, client: SumoClient):
        self._c = client

    def _register_secrets(self, body: dict) -> None:
        # The webhook URL and authorization header values must never show up in an error.
        self._c.redact.add(body.get("url"))
        for header in body.get("headers") or []:
            self._c.redact.add(header.get("value"))

    def list(self, *, page_size: int = PAGE) -> Iterator[dict]:
        """Every connection, following `next` tokens."""
        return self._c.pages("v1/connections", items="data", next_token="next", page_size=page_size)

    def get(self, id: str, type: str = "WebhookConnection") -> dict:
        return self._c.get(f"v1/connections/{id}", {"type": type})

    def find_by_name(self, name: str, type: str = "WebhookConnection") -> dict | None:
        """The connection with this name; the newest when several have it (names are not unique in
        Sumo, and a create that lost its answer made the newest one)."""
        matches = [c for c in self.list() if c.get("name") == name and c.get("type") == type]
        return max(matches, key=lambda c: c.get("createdAt") or "") if matches else None

    def create(self, body: SumoModel | dict[str, Any]) -> dict:
        data = to_body(body)
        self._register_secrets(data)
        answer_type = data.get("type", "WebhookDefinition").replace("Definition", "Connection")
        return self._c.create_safely("v1/connections", data,
                                     find=lambda: self.find_by_name(data.get("name"), answer_type))

    def update(self, id: str, body: SumoModel | dict[str, Any]) -> dict:
        data = to_body(body)
        self._register_secrets(data)
        return self._c.put(f"v1/connections/{id}", data)

    def delete(self, id: str, type: str = "WebhookConnection") -> None:
        self._c.delete(f"v1/connections/{id}", {"type": type})
