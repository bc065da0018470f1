"""run_search: the whole life of a search job against the fake."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sumoctl.errors import SumoctlError
from sumoctl.sumo import SearchQueryError, SumoApiError, parse_time, run_search
from tests.fakesumo import SearchOutcome

FROM = datetime(2026, 11, 1, tzinfo=timezone.utc)
TO = datetime(2026, 11, 2, tzinfo=timezone.utc)


def test_records_are_fetched_in_pages_up_to_the_limit_and_the_job_is_deleted(fake_sumo, fast_client):
    fake = fake_sumo()
    fake.state.search_outcomes["x | count by ip"] = SearchOutcome(records=[{"ip": str(i), "_count": "1"} for i in range(25)])
    client = fast_client(fake)
    result = run_search(client, "x | count by ip", FROM, TO, limit=20, poll_interval_s=0)
    assert result.kind == "records" and len(result.rows) == 20 and result.truncated
    assert result.fields == ["ip", "_count"] and result.record_count == 25
    [job] = fake.state.search_jobs.values()
    assert job.deleted


def test_messages_for_a_non_aggregate_query(fake_sumo, fast_client):
    fake = fake_sumo()
    fake.state.search_outcomes["error"] = SearchOutcome(messages=[{"_raw": f"line {i}"} for i in range(3)])
    result = run_search(fast_client(fake), "error", FROM, TO, poll_interval_s=0)
    assert result.kind == "messages" and [r["_raw"] for r in result.rows] == ["line 0", "line 1", "line 2"]
    assert not result.truncated


def test_a_query_error_raises_after_deleting_the_job(fake_sumo, fast_client):
    fake = fake_sumo()
    with pytest.raises(SearchQueryError) as info:
        run_search(fast_client(fake), 'x | parse "a*', FROM, TO, poll_interval_s=0)
    assert info.value.errors[0].startswith("Parse error")
    assert all(j.deleted for j in fake.state.search_jobs.values())


def test_a_job_that_never_finishes_times_out_and_is_deleted(fake_sumo, fast_client):
    fake = fake_sumo()
    fake.state.search_outcomes["slow"] = SearchOutcome(polls_until_done=10**6)
    ticks = iter(range(0, 10**6, 10))
    with pytest.raises(SumoApiError, match="did not finish"):
        run_search(fast_client(fake), "slow", FROM, TO, poll_interval_s=0, timeout_s=30, clock=lambda: next(ticks))
    assert all(j.deleted for j in fake.state.search_jobs.values())


def test_the_job_is_created_with_epoch_milliseconds(fake_sumo, fast_client):
    import json

    fake = fake_sumo()
    run_search(fast_client(fake), "x", FROM, TO, poll_interval_s=0)
    create = next(c for c in fake.calls if c.method == "POST")
    body = json.loads(create.request_body)
    assert body["from"] == 1793491200000 and body["to"] == 1793577600000 and body["timeZone"] == "UTC"


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("now", NOW), ("-24h", datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)),
    ("-1d12h", datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)), ("-2w", datetime(2026, 11, 14, 12, 0, tzinfo=timezone.utc)),
    ("-30m", datetime(2026, 11, 28, 11, 30, tzinfo=timezone.utc)),
    ("2026-11-01T00:00:00Z", datetime(2026, 11, 1, tzinfo=timezone.utc)),
    ("2026-11-01T00:00:00", datetime(2026, 11, 1, tzinfo=timezone.utc)),
    ("1793491200000", datetime(2026, 11, 1, tzinfo=timezone.utc)),
])
def test_times_a_user_types(text, expected):
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "24h", "-24x", "", "2026-13-01"])
def test_bad_times_are_errors_naming_the_option(text):
    with pytest.raises(SumoctlError, match="--from"):
        parse_time(text, NOW, option="--from")
