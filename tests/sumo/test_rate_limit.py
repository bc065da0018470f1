"""The client keeps to Sumo's limits under the fake's real rate limiter."""

from __future__ import annotations

import threading
import time

from sumoctl.sumo import Backoff, SumoClient
from tests.fakesumo.ratelimit import RateLimiter


def test_a_throttled_client_alone_never_sees_a_429_and_runs_at_4_per_second(fake_sumo):
    fake = fake_sumo(rate_limit=True)
    client = SumoClient(fake.endpoint, fake.access_id, fake.access_key)  # the production throttle
    root = client.monitors.root()["id"]
    threads = [threading.Thread(target=lambda: [client.monitors.get(root) for _ in range(4)]) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.stats.rate_limited == 0
    assert not any(c.status == 429 for c in fake.calls)
    # the rate at which requests reach the server: 13 arrivals span 12 intervals
    arrivals = [c.received_at for c in fake.calls]
    assert len(arrivals) == 13
    assert abs(12 / (arrivals[-1] - arrivals[0]) - 4.0) <= 0.4  # within 10% of 4 requests/s


def test_an_unthrottled_burst_is_refused_and_the_client_recovers(fake_sumo):
    fake = fake_sumo(rate_limit=True, retry_after="always", retry_after_s=1)
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        time.sleep(s)

    client = SumoClient(fake.endpoint, fake.access_id, fake.access_key, throttle=False, sleep=sleep,
                        backoff=Backoff(base_s=0.01))
    for _ in range(6):
        client.monitors.root()
    assert client.stats.rate_limited >= 1
    assert sum(1 for c in fake.calls if c.status == 429) == client.stats.rate_limited
    assert sleeps and all(s == 1.0 for s in sleeps)  # Retry-After honoured


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_fake_limiter_is_a_4_per_second_bucket_per_user():
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    admitted = []
    for _ in range(6):
        refused = limiter.enter("u")
        admitted.append(refused is None)
        if refused is None:
            limiter.leave("u")
    assert admitted == [True] * 4 + [False] * 2
    assert limiter.enter("other") is None  # per user
    limiter.leave("other")
    clock.now += 0.25
    assert limiter.enter("u") is None


def test_the_fake_limiter_caps_10_in_flight_per_key():
    clock = Clock()
    limiter = RateLimiter(rate=1000, burst=1000, clock=clock)
    assert all(limiter.enter("u") is None for _ in range(10))
    assert limiter.enter("u") == "concurrency"
    limiter.leave("u")
    assert limiter.enter("u") is None
