"""`/v1/search/jobs`: the legacy Search Job API (sumo-api.md §5, §9.9). Errors use the flat shape;
follow-up calls need the session cookie set at create."""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.fakesumo.common import ApiError, Request, Response
from tests.fakesumo.state import FakeState, SearchJob, is_aggregate

COOKIE = "JSESSIONID"
PAGE_MAX = 10000


def _fail(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, f"searchjob.{code}", message, flat=True)


def _timestamp(value, which: str, tz: ZoneInfo) -> int:
    if isinstance(value, bool):
        raise _fail(400, f"invalid.timestamp.{which}", f"The '{which}' field is not a valid timestamp.")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(400, f"invalid.timestamp.{which}",
                        f"The '{which}' field must be ISO 8601 or epoch milliseconds, not {value!r}.") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=tz)
        return int(parsed.timestamp() * 1000)
    raise _fail(400, f"invalid.timestamp.{which}", f"The '{which}' field is missing.")


def create(state: FakeState, req: Request) -> Response:
    body = req.body if isinstance(req.body, dict) else {}
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _fail(400, "no.query", "No query was given.")
    zone = body.get("timeZone", body.get("timezone"))
    if not zone:
        raise _fail(400, "empty.timezone", "The time zone is empty.")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(400, "unknown.timezone", f"Unknown time zone {zone!r}.") from None
    start, end = _timestamp(body.get("from"), "from", tz), _timestamp(body.get("to"), "to", tz)
    if end < start:
        raise _fail(400, "to.smaller.than.from", "'to' is before 'from'.")
    outcome = state.search_outcomes.get(query) or state.search_outcome(query)
    job = SearchJob(id=state.new_id(), query=query, outcome=outcome, cookie=secrets.token_hex(8))
    state.search_jobs[job.id] = job
    href = f"/api/v1/search/jobs/{job.id}"
    return Response(202, {"id": job.id, "link": {"rel": "self", "href": href}},
                    {"Location": href, "Set-Cookie": f"{COOKIE}={job.cookie}; Path=/api; HttpOnly"})


def _job(state: FakeState, req: Request, id: str) -> SearchJob:
    job = state.search_jobs.get(id)
    if job is not None and time.monotonic() - job.last_seen > state.search_job_idle_s:
        job.cancelled = True
    if job is None or job.deleted or job.cancelled or req.cookies.get(COOKIE) != job.cookie:
        # Without the session cookie the request lands on a node that does not know the job; a job left
        # unpolled too long is gone.
        raise _fail(404, "jobid.invalid", f"Job ID {id} is invalid.")
    job.last_seen = time.monotonic()
    return job


def status(state: FakeState, req: Request, id: str) -> Response:
    job = _job(state, req, id)
    job.polls += 1
    done = job.polls >= job.outcome.polls_until_done or job.outcome.error is not None
    fraction = 1.0 if done else job.polls / job.outcome.polls_until_done
    aggregate = is_aggregate(job.query)
    errors = []
    if job.outcome.error and not job.error_reported:
        errors, job.error_reported = [job.outcome.error], True  # a delta: reported once
    body = {
        "state": "DONE GATHERING RESULTS" if done else "GATHERING RESULTS",
        "messageCount": 0 if job.outcome.error else int(len(job.outcome.messages) * fraction),
        "recordCount": 0 if job.outcome.error or not aggregate else (len(job.outcome.records) if done else 0),
        "pendingErrors": errors, "pendingWarnings": [], "histogramBuckets": [],
        "usageDetails": {"dataScannedInBytes": 1024 * job.polls},
    }
    return Response(200, body)


def _page(req: Request) -> tuple[int, int]:
    try:
        offset = int(req.query["offset"])
    except KeyError:
        raise _fail(400, "offset.missing", "The offset is missing.") from None
    except ValueError:
        raise _fail(400, "offset.negative", "The offset is not a number.") from None
    try:
        limit = int(req.query["limit"])
    except KeyError:
        raise _fail(400, "limit.missing", "The limit is missing.") from None
    except ValueError:
        raise _fail(400, "limit.zero", "The limit is not a number.") from None
    if offset < 0:
        raise _fail(400, "offset.negative", "The offset is negative.")
    if limit <= 0:
        raise _fail(400, "limit.zero" if limit == 0 else "limit.negative", "The limit must be positive.")
    return offset, min(limit, PAGE_MAX)


def _fields(rows: list[dict]) -> list[dict]:
    names = list(dict.fromkeys(k.lower() for row in rows for k in row))
    return [{"name": n, "fieldType": "string", "keyField": False} for n in names]


def messages(state: FakeState, req: Request, id: str) -> Response:
    job = _job(state, req, id)
    offset, limit = _page(req)
    rows = [] if job.outcome.error else job.outcome.messages
    page = rows[offset:offset + limit]
    return Response(200, {"fields": _fields(rows), "messages": [{"map": {k.lower(): str(v) for k, v in r.items()}}
                                                                for r in page]})


def records(state: FakeState, req: Request, id: str) -> Response:
    job = _job(state, req, id)
    offset, limit = _page(req)
    if not is_aggregate(job.query):
        raise _fail(400, "no.records.not.an.aggregation.query", "This query is not an aggregation query.")
    rows = [] if job.outcome.error else job.outcome.records
    page = rows[offset:offset + limit]
    return Response(200, {"fields": _fields(rows), "records": [{"map": {k.lower(): str(v) for k, v in r.items()}}
                                                               for r in page]})


def delete(state: FakeState, req: Request, id: str) -> Response:
    job = _job(state, req, id)
    job.deleted = True
    return Response(200, {"id": job.id})


ROUTES = [
    ("POST", r"v1/search/jobs", create),
    ("GET", r"v1/search/jobs/(?P<id>[0-9A-F]{16})", status),
    ("DELETE", r"v1/search/jobs/(?P<id>[0-9A-F]{16})", delete),
    ("GET", r"v1/search/jobs/(?P<id>[0-9A-F]{16})/messages", messages),
    ("GET", r"v1/search/jobs/(?P<id>[0-9A-F]{16})/records", records),
]
