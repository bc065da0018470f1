"""pytest fixtures other test packages can import:

    from tests.fakesumo.fixtures import fake_sumo, fast_client  # noqa: F401  (in a conftest.py)

`fake_sumo` is a factory: `fake = fake_sumo(faults="5xx=10%", seed=3)` starts a fake that is stopped (and
contract-checked) when the test ends. `fast_client(fake)` is a SumoClient with no throttle and
millisecond backoff, for tests that are not about timing."""

from __future__ import annotations

import pytest

from sumoctl.sumo import Backoff, SumoClient
from tests.fakesumo import FakeSumo


def make_fast_client(fake: FakeSumo, **kw) -> SumoClient:
    kw.setdefault("throttle", False)
    kw.setdefault("retry_budget_s", 30.0)
    kw.setdefault("backoff", Backoff(base_s=0.001, cap_s=0.01))
    return SumoClient(fake.endpoint, fake.access_id, fake.access_key, **kw)


@pytest.fixture
def fake_sumo():
    started: list[FakeSumo] = []

    def start(**kw) -> FakeSumo:
        kw.setdefault("retry_after_s", 0)
        fake = FakeSumo(**kw).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
    for fake in started:
        if fake.contract:
            fake.check_contract()


@pytest.fixture
def fast_client():
    clients: list[SumoClient] = []

    def make(fake: FakeSumo, **kw) -> SumoClient:
        client = make_fast_client(fake, **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
