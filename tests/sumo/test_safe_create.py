"""Creates never duplicate, whatever the faults (issue 5, "Done when")."""

from __future__ import annotations

from collections import Counter

import pytest

from sumoctl.sumo import SumoConnectionError
from tests.sumo.builders import log_search, logs_monitor, webhook

FAULTS = "429=20%,5xx=10%,reset=5%,lost-response=5%"


@pytest.mark.parametrize("seed", range(20))
def test_100_monitors_under_faults_end_as_exactly_100(fake_sumo, fast_client, seed):
    fake = fake_sumo(faults=FAULTS, seed=seed)
    client = fast_client(fake)
    folder = fake.state.monitor_root_id
    for i in range(100):
        created = client.monitors.create(folder, logs_monitor(f"det-{i:03d}"))
        assert created["name"] == f"det-{i:03d}"

    names = Counter(m["name"] for m in fake.state.monitors_in(folder))
    assert len(names) == 100 and set(names.values()) == {1}
    # the faults did happen, and some creates had to look before trying again
    assert fake.count("POST") > 100
    assert client.stats.lookups_after_unknown > 0
    assert any(c.fault == "lost-response" and c.method == "POST" and c.committed for c in fake.calls)


def test_a_create_whose_answer_is_lost_is_found_not_repeated(fake_sumo, fast_client):
    fake = fake_sumo(faults="lost-response=100%", seed=1)
    client = fast_client(fake, retry_budget_s=0.5)
    # Every answer is lost, lookups included: the client gives up rather than create again and again.
    with pytest.raises(SumoConnectionError):
        client.monitors.create(fake.state.monitor_root_id, logs_monitor("only-once"))
    assert len(fake.state.monitors_named("only-once")) == 1


@pytest.mark.parametrize("seed", range(3))
def test_connections_log_searches_and_folders_are_not_duplicated(fake_sumo, fast_client, seed):
    fake = fake_sumo(faults="5xx=15%,reset=10%,lost-response=15%", seed=seed)
    client = fast_client(fake)
    personal = fake.state.personal_folder_id
    for i in range(15):
        client.connections.create(webhook(f"hook-{i}"))
        folder = client.folders.create(f"folder-{i}", personal)
        client.log_searches.create(log_search(f"search {i}", folder["id"]))
    conns = Counter(c["name"] for c in fake.state.connections.values())
    folders = Counter(f["name"] for f in fake.state.content.values() if f["parentId"] == personal)
    searches = Counter(s["name"] for s in fake.state.log_searches.values())
    assert set(conns.values()) == {1} and len(conns) == 15
    assert set(folders.values()) == {1} and len(folders) == 15
    assert set(searches.values()) == {1} and len(searches) == 15


def test_a_create_that_times_out_but_still_commits_is_found_after_the_wait(fake_sumo, fast_client):
    """The slow fault commits only after the client has given up waiting: the client must wait before it
    looks, or it would not see the monitor and would create it twice."""
    from sumoctl.sumo import Backoff

    fake = fake_sumo(faults="slow=30%", seed=5)
    fake.faults.slow_s = 0.12
    # waits before a lookup are 0.5-1 s: far longer than the 0.12 s the fake still needs to commit
    client = fast_client(fake, timeout_s=(1.0, 0.06), backoff=Backoff(base_s=1.0, cap_s=1.0))
    for i in range(10):
        client.monitors.create(fake.state.monitor_root_id, logs_monitor(f"slow-{i}"))
    names = Counter(m["name"] for m in fake.state.monitors_in(fake.state.monitor_root_id))
    assert len(names) == 10 and set(names.values()) == {1}
    assert client.stats.recovered_creates >= 1
