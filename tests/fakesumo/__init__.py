"""A fake Sumo Logic over real HTTP on 127.0.0.1, for tests and manual tries (`python -m tests.fakesumo`).

    with FakeSumo(faults="429=20%,5xx=10%", seed=1, rate_limit=True) as fake:
        client = SumoClient(fake.endpoint, fake.access_id, fake.access_key)
        ...
        fake.state.monitors          # what the org holds; edit it as the UI would
        fake.calls, fake.count("POST", "/api/v1/monitors")

On exit every exchange is checked against the OpenAPI spec (see `contract.py`); a mismatch fails.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections import Counter

from tests.fakesumo.common import ApiError
from tests.fakesumo.faults import Faults
from tests.fakesumo.ratelimit import RateLimiter
from tests.fakesumo.server import Call, Server
from tests.fakesumo.state import FakeState, SearchOutcome

__all__ = ["Call", "FakeSumo", "FakeState", "Faults", "SearchOutcome"]


class FakeSumo:
    def __init__(self, *, faults: Faults | str | None = None, seed: int | None = None, latency_s: float = 0.0,
                 rate_limit: bool = False, retry_after: str = "sometimes", retry_after_s: int = 1,
                 contract: bool = True, state: FakeState | None = None, access_id: str | None = None,
                 access_key: str | None = None):
        if isinstance(faults, str):
            faults = Faults.parse(faults, seed=seed, retry_after=retry_after, retry_after_s=retry_after_s)
        self.faults = faults
        self.latency_s = latency_s
        self.limiter = RateLimiter() if rate_limit else None
        self.retry_after = faults.retry_after if faults else retry_after
        self.retry_after_s = faults.retry_after_s if faults else retry_after_s
        self.contract = contract
        self.state = state or FakeState()
        self.rng = random.Random(seed)
        self.access_id = access_id or f"su{secrets.token_hex(6)}"
        self.access_key = access_key or secrets.token_urlsafe(48)
        self.calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self._server: Server | None = None

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> FakeSumo:
        self._server = Server(self)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeSumo:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is None and self.contract:
            self.check_contract()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not running"
        return self._server.port

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # -- what happened ------------------------------------------------------------------------------

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests seen, by method and/or exact path (`/api/v1/monitors`)."""
        return sum(1 for c in self.calls if (method is None or c.method == method) and (path is None or c.path == path))

    @property
    def counts(self) -> Counter:
        return Counter(f"{c.method} {c.path}" for c in self.calls)

    def check_contract(self) -> None:
        from tests.fakesumo.contract import assert_calls_conform

        assert_calls_conform(self.calls)

    # -- for the server -----------------------------------------------------------------------------

    def rate_limit_error(self, message: str) -> ApiError:
        send = {"always": True, "never": False}.get(self.retry_after)
        if send is None:
            send = self.faults.send_retry_after() if self.faults else self.rng.random() < 0.5
        headers = {"Retry-After": str(self.retry_after_s)} if send else {}
        return ApiError(429, "rate.limit.exceeded", message, headers=headers)
