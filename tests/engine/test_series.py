"""Operators over aggregate rows: smooth, rollingstd, backshift (windows per group), topk, transpose."""

import math

import pytest

from sumoctl.engine import QueryInvalid
from tests.engine.helpers import record, rows

J = '| json "eventName", "userIdentity.userName" as e, u nodrop | timeslice 1h '


def recs():
    spec = [  # (hour, user, event, how many)
        (1, "x", "A", 1), (2, "x", "A", 3), (3, "x", "A", 5), (4, "x", "A", 10),
        (2, "y", "B", 2), (3, "y", "A", 4),
    ]
    out = []
    for hour, user, event, n in spec:
        out += [record(eventName=event, eventTime=f"2024-05-14T{hour:02d}:05:00Z", userIdentity={"userName": user})] * n
    return out


def by_user(result, user, field):
    return [r[field] for r in result if r["u"] == user]


def test_smooth_is_a_moving_average_per_group():
    result = rows(J + "| count by _timeslice, u | sort by _timeslice asc | smooth _count, 2 by u", recs())
    assert by_user(result, "x", "_smooth") == [1.0, 2.0, 4.0, 7.5]
    assert by_user(result, "y", "_smooth") == [2.0, 3.0]


def test_smooth_default_window_and_alias():
    result = rows(J + "| count by _timeslice, u | sort by _timeslice asc | smooth _count by u as avg", recs())
    assert by_user(result, "x", "avg") == [1.0, 2.0, 3.0, 4.75]  # window 10 covers the whole series


def test_rollingstd_is_the_sample_deviation_of_the_window():
    result = rows(J + "| count by _timeslice, u | sort by _timeslice asc | rollingstd _count, 3 by u", recs())
    x = by_user(result, "x", "_rollingstd")
    assert x[0] == 0.0 and x[1] == pytest.approx(math.sqrt(2)) and x[3] == pytest.approx(math.sqrt(13))


def test_backshift_is_the_value_shift_rows_before():
    result = rows(J + "| count by _timeslice, u | sort by _timeslice asc | backshift _count by u", recs())
    assert by_user(result, "x", "_backshift") == [None, 1, 3, 5]
    result = rows(J + "| count by _timeslice, u | sort by _timeslice asc | backshift _count, 2 by u as before", recs())
    assert by_user(result, "x", "before") == [None, None, 1, 3]


def test_topk_ranks_within_each_group():
    result = rows(J + "| count by u, e | topk(1, _count) by u", recs())
    assert sorted((r["u"], r["e"], r["_rank"]) for r in result) == [("x", "A", 1), ("y", "A", 1)]


def test_transpose_pivots_the_value_field():
    result = rows(J + "| count by _timeslice, e | sort by _timeslice asc | transpose row _timeslice column e", recs())
    assert [(r["A"], r["B"]) for r in result] == [(1, None), (3, 2), (9, None), (10, None)]


@pytest.mark.parametrize(
    "query, message",
    [
        (J + "| smooth _count", "works on the rows of an aggregate"),
        (J + "| count by u | smooth", "smooth expects"),
        (J + "| count by u, e | topk(1, nope) by u", "not found"),
        (J + "| count as n, count_distinct(e) as d by u | transpose row u column e", "field 'e' not found"),
    ],
)
def test_errors(query, message):
    with pytest.raises(Exception) as caught:
        rows(query, recs())
    assert message in str(caught.value)


def test_rollingstd_alias_before_by_as_the_corpus_writes_it():
    result = rows(J + "| count by _timeslice, u | sort by _timeslice asc | rollingstd _count, 3 as spread by u", recs())
    assert by_user(result, "y", "spread") == [0.0, pytest.approx(math.sqrt(2))]
