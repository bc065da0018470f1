"""The Sumo Logic REST client core: auth, JSON, throttling, retries with backoff, safe creates, stats."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from sumoctl import __version__
from sumoctl.sumo.credentials import REDACTED, Credentials
from sumoctl.sumo.endpoints import check_endpoint
from sumoctl.sumo.errors import SumoApiError, SumoConnectionError, error_from_body
from sumoctl.sumo.redact import Redactor
from sumoctl.sumo.retry import RETRYABLE_STATUSES, Backoff, parse_retry_after
from sumoctl.sumo.throttle import NoThrottle, Throttle

log = logging.getLogger("sumoctl.sumo")

DEFAULT_TIMEOUT_S = (10.0, 60.0)  # (connect, read)


@dataclass
class ClientStats:
    """What one client did: for tests, benchmarks and the user's `--verbose`."""

    requests_by_method: Counter = field(default_factory=Counter)
    responses_by_status: Counter = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0            # 429 answers seen
    unknown_outcomes: int = 0        # failures after which the server may have applied the request
    lookups_after_unknown: int = 0   # creates that looked for their object before trying again
    recovered_creates: int = 0       # ... and found it
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def requests(self) -> int:
        return sum(self.requests_by_method.values())

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "requests_by_method": dict(self.requests_by_method),
                "responses_by_status": {str(k): v for k, v in self.responses_by_status.items()},
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "unknown_outcomes": self.unknown_outcomes,
                "lookups_after_unknown": self.lookups_after_unknown,
                "recovered_creates": self.recovered_creates,
            }

    def bump(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)


class SumoClient:
    """One authenticated session against one Sumo Logic deployment.

    Resources hang off the client: `monitors`, `connections`, `log_searches`, `folders`, `search_jobs`.
    Every call goes through the throttle and is retried on 429, 5xx and connection errors with
    exponential backoff and jitter (Retry-After wins) until `retry_budget_s` is spent. Creates are never
    retried blindly: see `create_safely`.
    """

    def __init__(self, endpoint: str, access_id: str, access_key: str, *, throttle: bool = True,
                 retry_budget_s: float = 120.0, user_agent: str | None = None,
                 timeout_s: float | tuple[float, float] = DEFAULT_TIMEOUT_S, backoff: Backoff | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None):
        self.endpoint = check_endpoint(endpoint)
        self.credentials = Credentials(access_id, access_key)
        # A copy: the caller's Backoff may be shared by several clients with other budgets.
        self.backoff = replace(backoff or Backoff(), budget_s=retry_budget_s)
        self.timeout_s = timeout_s
        self.stats = ClientStats()
        self._clock = clock
        self._sleep = sleep
        self.throttle = Throttle(clock=clock, sleep=sleep) if throttle else NoThrottle()
        basic = base64.b64encode(f"{access_id}:{access_key}".encode()).decode()
        self.redact = Redactor([access_key, basic])
        # The session keeps cookies between calls, which search jobs require (sumo-api.md §1.3).
        self._session = session or requests.Session()
        self._session.headers.update({
            "Accept": "application/json",
            "User-Agent": user_agent or f"sumoctl/{__version__} (+https://github.com/sumoctl) python-requests/{requests.__version__}",
            "Authorization": f"Basic {basic}",
        })

        from sumoctl.sumo.connections import Connections
        from sumoctl.sumo.folders import Folders
        from sumoctl.sumo.log_searches import LogSearches
        from sumoctl.sumo.monitors import Monitors
        from sumoctl.sumo.search_jobs import SearchJobs

        self.monitors = Monitors(self)
        self.connections = Connections(self)
        self.log_searches = LogSearches(self)
        self.folders = Folders(self)
        self.search_jobs = SearchJobs(self)

    def __repr__(self) -> str:
        return f"SumoClient(endpoint={self.endpoint!r}, access_id={self.credentials.access_id!r}, access_key={REDACTED!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SumoClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one exchange -------------------------------------------------------------------------------

    def _send_once(self, method: str, path: str, params: dict | None, body: Any) -> Any:
        url = self.endpoint + path.lstrip("/")
        with self.throttle.slot():
            with self.stats._lock:
                self.stats.requests_by_method[method] += 1
            try:
                resp = self._session.request(method, url, params=params, json=body, timeout=self.timeout_s,
                                             allow_redirects=False)
            except requests.RequestException as exc:
                log.debug("%s %s -> %s", method, path, type(exc).__name__)
                raise SumoConnectionError(self.redact(f"{type(exc).__name__}: no answer from {self.endpoint}"),
                                          method=method, path=path) from None
        with self.stats._lock:
            self.stats.responses_by_status[resp.status_code] += 1
        log.debug("%s %s -> %s", method, path, resp.status_code)
        if 300 <= resp.status_code < 400:
            where = resp.headers.get("Location", "?")
            raise SumoApiError(resp.status_code, "moved",
                               f"the account lives on another deployment; use the endpoint of {where}",
                               method=method, path=path)
        if resp.status_code == 204 or (200 <= resp.status_code < 300 and not resp.content):
            return None
        try:
            data = resp.json()
        except ValueError:
            if resp.status_code < 400:
                # A 2xx whose body did not arrive whole: the change may have happened.
                raise SumoConnectionError("the answer was not valid JSON", method=method, path=path,
                                          code="response.invalid") from None
            data = None
        if resp.status_code >= 400:
            err = error_from_body(resp.status_code, data, method=method, path=path, redact=self.redact)
            err.retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            raise err
        return data

    def pages(self, path: str, *, items: str, next_token: str, page_size: int) -> Iterator[dict]:
        """Every item of a token-paged list: GET `path?limit=..&token=..`, yield `page[items]`, follow
        `page[next_token]` until it is empty."""
        token = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if token:
                params["token"] = token
            page = self.get(path, params)
            yield from page.get(items) or []
            token = page.get(next_token)
            if not token:
                return

    # -- retries ------------------------------------------------------------------------------------

    @staticmethod
    def _retryable(err: SumoApiError) -> bool:
        return err.status is None or err.status in RETRYABLE_STATUSES

    def _wait_before_retry(self, err: SumoApiError, attempt: int, started: float) -> None:
        """Sleep before the next attempt, or re-raise `err` when the time budget would be exceeded."""
        wait = self.backoff.delay(attempt, err.retry_after)
        if self._clock() - started + wait > self.backoff.budget_s:
            raise err
        self.stats.bump("retries")
        if err.status == 429:
            self.stats.bump("rate_limited")
            self.throttle.delay(wait)  # every thread of this client slows down, not only this one
        self._sleep(wait)

    def call(self, method: str, path: str, *, params: dict | None = None, body: Any = None,
             after_unknown: Callable[[SumoApiError], Any] | None = None) -> Any:
        """Send a request that is safe to repeat (GET, PUT, DELETE, move), retrying retryable failures.

        `after_unknown(err)` is consulted when a retry fails with a 4xx after an earlier attempt whose
        outcome was unknown: it may return a result (the earlier attempt did succeed) or re-raise.
        """
        started = self._clock()
        attempt = 0
        uncertain = False
        while True:
            attempt += 1
            try:
                return self._send_once(method, path, params, body)
            except SumoApiError as err:
                if not self._retryable(err):
                    if uncertain and after_unknown is not None:
                        return after_unknown(err)
                    raise
                if err.unknown_outcome:
                    uncertain = True
                    self.stats.bump("unknown_outcomes")
                self._wait_before_retry(err, attempt, started)

    def create_safely(self, path: str, body: Any, *, find: Callable[[], dict | None],
                      params: dict | None = None) -> Any:
        """POST a create. After a failure whose outcome is unknown (timeout, reset, 5xx, unreadable
        answer) wait the backoff first — a request that timed out may still be running on the server —
        then look the object up with `find()` and return it when it exists; POST again only when it
        does not. A 429 is a refusal, not an unknown outcome: the server applied nothing."""
        started = self._clock()
        attempt = 0
        uncertain = False
        while True:
            attempt += 1
            try:
                return self._send_once("POST", path, params, body)
            except SumoApiError as err:
                if not self._retryable(err):
                    if uncertain:
                        # e.g. a duplicate-name refusal because an earlier attempt did create it
                        found = find()
                        if found is not None:
                            self.stats.bump("recovered_creates")
                            return found
                    raise
                self._wait_before_retry(err, attempt, started)
                if err.unknown_outcome:
                    uncertain = True
                    self.stats.bump("unknown_outcomes")
                    self.stats.bump("lookups_after_unknown")
                    found = find()
                    if found is not None:
                        self.stats.bump("recovered_creates")
                        return found

    # -- verbs --------------------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None) -> Any:
        return self.call("GET", path, params=params)

    def get_or_none(self, path: str, params: dict | None = None) -> Any:
        """GET that answers None on 404 (an object that does not exist is not an error here)."""
        try:
            return self.call("GET", path, params=params)
        except SumoApiError as err:
            if err.status == 404:
                return None
            raise

    def put(self, path: str, body: Any, params: dict | None = None,
            after_unknown: Callable[[SumoApiError], Any] | None = None) -> Any:
        return self.call("PUT", path, params=params, body=body, after_unknown=after_unknown)

    def delete(self, path: str, params: dict | None = None) -> None:
        def gone(err: SumoApiError) -> None:
            # An earlier attempt whose answer was lost did delete it.
            if err.status == 404:
                return None
            raise err

        self.call("DELETE", path, params=params, after_unknown=gone)
