"""Client-side throttle that keeps to Sumo's documented limits: 4 requests/s per user, 10 in flight per key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

REQUESTS_PER_SECOND = 4.0
MAX_CONCURRENT = 10


class Throttle:
    """Spaces request starts at least 1/rate apart (shared by all threads of one client) and caps the
    number of requests in flight. Spacing rather than a burst bucket: the server's own window is not
    documented, and evenly spaced starts cannot trip any window of the same rate."""

    def __init__(self, rate: float = REQUESTS_PER_SECOND, concurrency: int = MAX_CONCURRENT, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / rate
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._clock = clock
        self._sleep = sleep

    def _reserve(self) -> float:
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
            return start - now

    def delay(self, seconds: float) -> None:
        """Push the next start back (after a 429: the server says we are too fast)."""
        with self._lock:
            self._next_start = max(self._next_start, self._clock() + seconds)

    @contextmanager
    def slot(self):
        with self._slots:
            wait = self._reserve()
            if wait > 0:
                self._sleep(wait)
            yield


class NoThrottle:
    """Used when throttling is switched off (tests against a fake without a rate limiter)."""

    def delay(self, seconds: float) -> None:
        pass

    @contextmanager
    def slot(self):
        yield
