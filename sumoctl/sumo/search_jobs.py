"""Search jobs (`/v1/search/jobs`): run a query on Sumo's engine. Not in the OpenAPI spec; the session's
cookies tie follow-up calls to the node that holds the job."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sumoctl.sumo.models import SearchJobStatus

if TYPE_CHECKING:
    from sumoctl.sumo.client import SumoClient

PAGE_MAX = 10000


def _timestamp(value: datetime | int | str) -> int | str:
    """Epoch milliseconds from a datetime (naive = UTC); ints and ISO strings pass through."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1000)
    return value


class SearchJobs:
    def __init__(self, client: SumoClient):
        self._c = client

    def create(self, query: str, from_: datetime | int | str, to: datetime | int | str, time_zone: str = "UTC",
               by_receipt_time: bool = False) -> str:
        """Start a job and return its id. Retried like any call: a duplicate job from a lost answer is
        never polled, and Sumo cancels unpolled jobs after ~30 s."""
        body: dict[str, Any] = {"query": query, "from": _timestamp(from_), "to": _timestamp(to),
                                "timeZone": time_zone, "byReceiptTime": by_receipt_time}
        return self._c.call("POST", "v1/search/jobs", body=body)["id"]

    def status(self, id: str) -> SearchJobStatus:
        return SearchJobStatus.model_validate(self._c.get(f"v1/search/jobs/{id}"))

    def messages(self, id: str, offset: int = 0, limit: int = 1000) -> dict:
        return self._c.get(f"v1/search/jobs/{id}/messages", {"offset": offset, "limit": min(limit, PAGE_MAX)})

    def records(self, id: str, offset: int = 0, limit: int = 1000) -> dict:
        return self._c.get(f"v1/search/jobs/{id}/records", {"offset": offset, "limit": min(limit, PAGE_MAX)})

    def delete(self, id: str) -> None:
        self._c.delete(f"v1/search/jobs/{id}")
