"""The real limits of Sumo's API (4 requests/s per user, 10 concurrent per access key) as a token bucket
and a counter of requests in flight."""

from __future__ import annotations

import threading
import time
from collections import defaultdict


class RateLimiter:
    def __init__(self, rate: float = 4.0, burst: float = 4.0, concurrency: int = 10, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self.concurrency = concurrency
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = defaultdict(lambda: burst)
        self._stamp: dict[str, float] = {}
        self._in_flight: dict[str, int] = defaultdict(int)

    def enter(self, user: str) -> str | None:
        """Admit a request (returns None) or say why not ("rate" or "concurrency")."""
        with self._lock:
            now = self._clock()
            last = self._stamp.get(user, now)
            self._stamp[user] = now
            tokens = min(self.burst, self._tokens[user] + (now - last) * self.rate)
            if self._in_flight[user] >= self.concurrency:
                self._tokens[user] = tokens
                return "concurrency"
            if tokens < 1:
                self._tokens[user] = tokens
                return "rate"
            self._tokens[user] = tokens - 1
            self._in_flight[user] += 1
            return None

    def leave(self, user: str) -> None:
        with self._lock:
            self._in_flight[user] -= 1
