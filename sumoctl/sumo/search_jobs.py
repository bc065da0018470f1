"""Search jobs (`/v1/search/jobs`): run a query on Sumo's engine. Not in the OpenAPI spec; the session's
cookies tie follow-up calls to the node that holds the job."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sumoctl.sumo.errors import SumoApiError
from sumoctl.sumo.models import SearchJobState, SearchJobStatus

if TYPE_CHECKING:
    from sumoctl.sumo.client import SumoClient

PAGE_MAX = 10000
log = logging.getLogger("sumoctl.sumo")


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


# -- running a query to the end -----------------------------------------------------------------------

class SearchQueryError(SumoApiError):
    """The job reported errors for the query (e.g. a parse error) in `pendingErrors`."""

    def __init__(self, errors: list[str]):
        super().__init__(400, "searchjob.query.error", "; ".join(errors))
        self.errors = errors

    def __str__(self) -> str:
        return f"Sumo Logic rejected the query: {self.message}"


@dataclass
class SearchResult:
    """What a finished job found: `kind` is "records" for aggregate queries, else "messages"."""

    job_id: str
    state: str
    kind: str
    fields: list[str]
    rows: list[dict[str, str]]
    message_count: int
    record_count: int
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False


def run_search(client: SumoClient, query: str, from_: datetime | int | str, to: datetime | int | str, *,
               time_zone: str = "UTC", by_receipt_time: bool = False, limit: int = 1000,
               poll_interval_s: float = 1.0, timeout_s: float = 3600.0,
               on_status: Callable[[SearchJobStatus], None] | None = None,
               sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> SearchResult:
    """Create a job, poll it until it stops gathering, fetch up to `limit` rows, and delete the job on
    every way out (errors and Ctrl-C included). `pendingErrors` and `pendingWarnings` are deltas between
    polls (sumo-api.md §5), so they are collected across polls."""
    jobs = client.search_jobs
    job_id = jobs.create(query, from_, to, time_zone=time_zone, by_receipt_time=by_receipt_time)
    try:
        errors: list[str] = []
        warnings: list[str] = []
        started = clock()
        while True:
            status = jobs.status(job_id)
            errors += status.pendingErrors
            warnings += status.pendingWarnings
            if on_status is not None:
                on_status(status)
            if errors:
                raise SearchQueryError(errors)
            if status.finished:
                break
            if clock() - started > timeout_s:
                raise SumoApiError(None, "searchjob.timeout", f"the search job did not finish within {timeout_s:.0f} s")
            sleep(poll_interval_s)
        if status.state == SearchJobState.CANCELLED:
            raise SumoApiError(None, "searchjob.cancelled", "Sumo Logic cancelled the search job")
        kind = "records" if status.recordCount > 0 else "messages"
        total = status.recordCount if kind == "records" else status.messageCount
        rows: list[dict[str, str]] = []
        fields: list[str] = []
        fetch = jobs.records if kind == "records" else jobs.messages
        while len(rows) < min(total, limit):
            page = fetch(job_id, offset=len(rows), limit=min(limit - len(rows), PAGE_MAX))
            fields = fields or [f["name"] for f in page.get("fields") or []]
            got = [item.get("map", {}) for item in page.get(kind) or []]
            if not got:
                break
            rows += got
        return SearchResult(job_id, status.state, kind, fields, rows, status.messageCount, status.recordCount,
                            warnings, truncated=total > len(rows))
    finally:
        _delete_quietly(client, job_id)


def _delete_quietly(client: SumoClient, job_id: str) -> None:
    # Cleanup must not hide the error (or Ctrl-C) that got us here; an undeleted job expires by itself
    # once it is no longer polled.
    try:
        client.search_jobs.delete(job_id)
    except SumoApiError:
        log.warning("could not delete search job %s; Sumo cancels it after ~30 s without polls", job_id)
