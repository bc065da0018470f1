"""Aggregates with by, null group keys, timeslice, sort/top/limit/fields, and where after an aggregate."""

import pytest

from tests.engine.helpers import record, rows

J = '| json "eventName", "userIdentity.userName", "sourceIPAddress", "additionalEventData.count" as ev, user, ip, n nodrop '


def recs():
    return [
        record(eventName="A", eventTime="2024-05-14T03:05:00Z", additionalEventData={"count": 1}),
        record(eventName="B", eventTime="2024-05-14T03:10:00Z", additionalEventData={"count": 2}),
        record(eventName="A", eventTime="2024-05-14T04:10:00Z", additionalEventData={"count": 5}),
        record(eventName="C", eventTime="2024-05-14T04:20:00Z", additionalEventData={}, userIdentity={"type": "Root"}),
    ]


def test_count_by():
    result = {r["ev"]: r["_count"] for r in rows(J + "| count by ev", recs())}
    assert result == {"A": 2, "B": 1, "C": 1}


def test_count_without_by_is_one_row():
    assert rows(J + "| count", recs()) == [{"_count": 4}]


def test_count_field_skips_nulls_and_count_distinct():
    result = rows(J + "| count(user) as users, count_distinct(ev) as evs, count_distinct(user) as who", recs())
    assert result == [{"users": 3, "evs": 3, "who": 1}]


def test_sum_avg_min_max():
    result = rows(J + "| sum(n) as s, avg(n) as a, min(n) as lo, max(n) as hi", recs())
    assert result == [{"s": 8.0, "a": 8 / 3, "lo": 1.0, "hi": 5.0}]


def test_first_is_newest_last_is_oldest():
    result = rows(J + "| first(ev) as newest, last(ev) as oldest", recs())
    assert result == [{"newest": "C", "oldest": "A"}]


def test_values_sorted_by_code_point_joined_by_newline():
    many = [record(eventName=name) for name in ("b", "B", "a", "A", "b")]
    assert rows(J + "| values(ev) as evs", many) == [{"evs": "A\nB\na\nb"}]


def test_null_group_key_is_a_group_printed_empty():
    result = {r["user"]: r["_count"] for r in rows(J + "| count by user", recs())}
    assert result == {"Alice": 3, "": 1}


def test_timeslice_buckets_in_utc_by_default():
    result = {r["_timeslice"]: r["_count"] for r in rows(J + "| timeslice 1h | count by _timeslice", recs())}
    assert result == {1715655600000: 2, 1715659200000: 2}


def test_timeslice_alias_and_time_zone():
    from sumoctl.engine import Semantics

    q = J + "| timeslice 1d as day | count by day"
    utc = {r["day"] for r in rows(q, recs())}
    tokyo = {r["day"] for r in rows(q, recs(), semantics=Semantics(timezone="Asia/Tokyo"))}
    assert utc == {1715644800000}
    assert tokyo == {1715612400000}  # 2024-05-14 00:00 JST


def test_where_after_aggregate():
    assert [r["ev"] for r in rows(J + "| count by ev | where _count > 1", recs())] == ["A"]


def test_sort_default_descending_and_asc():
    assert [r["ev"] for r in rows(J + "| count by ev | sort by _count, ev asc", recs())][0] == "A"
    assert [r["ev"] for r in rows(J + "| count by ev | sort by ev asc", recs())] == ["A", "B", "C"]
    assert [r["ev"] for r in rows(J + "| count by ev | sort by ev", recs())] == ["C", "B", "A"]


def test_sort_numbers_numerically_strings_as_text():
    many = [record(additionalEventData={"count": c}) for c in (9, 10, 100)]
    assert [r["n"] for r in rows(J + "| num(n) as k | sort by k", many)] == ["100", "10", "9"]
    assert [r["n"] for r in rows(J + "| sort by n", many)] == ["9", "100", "10"]


def test_limit_and_top():
    assert len(rows(J + "| limit 2", recs())) == 2
    assert rows(J + "| top 1 ev", recs()) == [{"ev": "A", "_count": 2}]
    assert [r["ev"] for r in rows(J + "| count as c by ev | top 1 ev by c", recs())] == ["A"]


def test_fields_keeps_or_removes():
    kept = rows(J + "| fields ev", recs()[:1])[0]
    assert "ev" in kept and "user" not in kept and "_messageTime" in kept
    removed = rows(J + "| fields - ev", recs()[:1])[0]
    assert "ev" not in removed and "user" in removed


METADATA_ROW = ["_messageTime", "_receiptTime", "_sourceCategory", "_source", "_collector", "_sourceHost", "_sourceName", "_size"]


@pytest.mark.parametrize("query,columns", [
    (J + "| fields ip, ev", METADATA_ROW + ["ev", "ip"]),                       # the last stage: printed as it drops
    (J + '| fields ip, _sourcehost, ev | where ev = "A"', METADATA_ROW + ["ev", "ip"]),  # a stage like any other
    (J + "| fields - user, _raw", METADATA_ROW + ["ev", "ip", "n"]),
    (J + "| fields ip, ev | sort by ev", METADATA_ROW + ["ev", "ip"]),            # rows collected for the tail
    (J + "| count by ev, user | fields user, _count", ["user", "_count"]),        # over an aggregate's rows
])
def test_fields_rows_keep_the_message_order_streamed_or_collected(query, columns):
    """`fields` drops what it does not name (metadata stays, `_raw` is never printed) and keeps the message's key
    order, not the order it names them in: alike for rows streamed to a sink and rows kept for `finish`."""
    from sumoctl.engine import Runner, compile_query
    from sumoctl.events import RawEvent
    from tests.engine.helpers import GEO, META

    collected = rows(query, recs()[:1])
    streamed: list = []
    runner = Runner([compile_query(query, geo=GEO)], META, on_row=lambda i, row: streamed.append(row))
    runner.feed([RawEvent("<record>", 1, record=recs()[0])])
    streamed += runner.results()[0]
    assert [list(row) for row in collected] == [list(row) for row in streamed] == [columns]
    assert collected == streamed


def test_aggregate_columns_are_by_fields_then_aggregates():
    row = rows(J + "| count as c, values(ip) as ips by user, ev", recs()[:1])[0]
    assert list(row) == ["user", "ev", "c", "ips"]


def test_assignments_and_functions():
    q = J + '| toUpperCase(ev) as up | concat(user, "@", ip) as who | length(user) as len | if(n > 1, "many", "few") as size | toInt(n) as i'
    row = rows(q, recs()[:1])[0]
    assert (row["up"], row["who"], row["len"], row["size"], row["i"]) == ("A", "Alice@92.55.146.245", 5, "few", 1)


def test_bare_cast_writes_back():
    row = rows(J + "| num(n) | n + 1 as m", recs()[1:2])[0]
    assert row["m"] == 3


@pytest.mark.parametrize("names,distinct,values", [
    ([], 0, None),                                   # a group whose field is always null
    (["A"], 1, "A"),
    (["A", "A", "A"], 1, "A"),                       # one value, seen again
    (["B", "A", "B"], 2, "A\nB"),                    # a second value
    ([f"E{i:03d}" for i in range(150)], 150, "\n".join(f"E{i:03d}" for i in range(100))),  # values keeps 100
])
def test_distinct_state_from_one_value_to_many(names, distinct, values):
    recs_ = [record(eventName=n) for n in names] + [record(eventName=None)]
    result = rows('| json "eventName", "eventSource" as ev, src nodrop | count_distinct(ev) as d, values(ev) as v by src', recs_)
    assert result[0]["d"] == distinct
    assert result[0]["v"] == (values if values is not None else "")


def test_values_past_100_keeps_the_smallest_whatever_the_order():
    import random

    from sumoctl.engine.aggregate import _Values

    words = [f"v{i:03d}" for i in range(250)]
    expected = "\n".join(sorted(words)[:100])
    for seed in range(5):
        random.Random(seed).shuffle(words)
        acc = _Values()
        for word in words:
            acc.add(word, None)
        assert acc.result() == expected


def test_values_arriving_largest_first_keep_the_100_smallest():
    """Every value after the 100th is smaller than all kept ones, so each one replaces the largest; repeats of kept
    and of dropped values change nothing."""
    from sumoctl.engine.aggregate import _Values

    words = [f"10.0.{i // 256}.{i % 256:03d}" for i in range(2000)]
    acc = _Values()
    for word in reversed(words):
        acc.add(word, None)
    acc.add(words[0], None)     # kept already
    acc.add(words[-1], None)    # dropped long ago: larger than every kept value
    acc.add(None, None)
    assert acc.result() == "\n".join(words[:100])
    assert acc.values() == set(words[:100])


def test_sum_and_avg_of_decimals_do_not_depend_on_the_order():
    import random
    from fractions import Fraction

    from sumoctl.engine.aggregate import _Avg, _Sum

    values = [random.Random(1).uniform(-1e6, 1e6) for _ in range(2000)] + [0.1] * 10 + ["2.5", 7]
    exact = sum(Fraction(float(v)) if not isinstance(v, int) else Fraction(v) for v in values)
    for seed in range(4):
        random.Random(seed).shuffle(values)
        total, mean = _Sum(), _Avg()
        for v in values:
            total.add(v, None)
            mean.add(v, None)
        assert total.result() == float(exact)  # rounded once, from the exact sum
        assert mean.result() == float(exact / len(values))
