"""fillmissing, outlier and the threat-intel lookup (sumo://threat/cs), table-driven with null and edge cases."""

import pytest

from sumoctl.engine import QueryInvalid, QueryNotSupported, StaticThreatProvider, run_query
from tests.engine.helpers import META, record, rows

H = 3_600_000
T0 = 1715644800000  # 2024-05-14T00:00:00Z
J = '| json "eventName", "userIdentity.userName", "sourceIPAddress" as e, u, ip nodrop '


def at(hour, event="A", user="x", ip="92.55.146.245", n=1):
    return [record(eventName=event, eventTime=f"2024-05-14T{hour:02d}:05:00Z", userIdentity={"userName": user},
                   sourceIPAddress=ip)] * n


# --- fillmissing -----------------------------------------------------------------------------------------------------

FILL = [
    # (records, query tail, expected rows as sets of (field, value) tuples)
    pytest.param(at(1) + at(3, n=2), "| timeslice 1h | count by _timeslice | fillmissing timeslice(1h)",
                 {(T0 + 1 * H, 1), (T0 + 2 * H, 0), (T0 + 3 * H, 2)}, id="timeslice-gap-gets-a-zero-count"),
    pytest.param(at(1) + at(3), "| timeslice 1h | count by _timeslice | fillmissing timeslice",
                 {(T0 + 1 * H, 1), (T0 + 2 * H, 0), (T0 + 3 * H, 1)}, id="bare-timeslice-takes-the-stage-size"),
    pytest.param(at(1) + at(2), "| timeslice 1h | count by _timeslice | fillmissing timeslice(1h)",
                 {(T0 + 1 * H, 1), (T0 + 2 * H, 1)}, id="no-gap-adds-nothing"),
    pytest.param(at(1) + at(3), "| timeslice 30m | count by _timeslice | fillmissing timeslice(1h)",
                 {(T0 + 1 * H, 1), (T0 + 2 * H, 0), (T0 + 3 * H, 1)}, id="generator-size-wins"),
]


@pytest.mark.parametrize("records,tail,expected", FILL)
def test_fillmissing_timeslice(records, tail, expected):
    result = rows(J + tail, records)
    assert {(r["_timeslice"], r["_count"]) for r in result} == expected


def test_fillmissing_values_fills_each_series_with_the_product():
    records = at(1, "A", "x") + at(2, "B", "y", n=2)
    result = rows(J + '| count by u, e | fillmissing values("A", "B", "C") in e', records)
    assert sorted((r["u"], r["e"], r["_count"]) for r in result) == [
        ("x", "A", 1), ("x", "B", 0), ("x", "C", 0), ("y", "A", 0), ("y", "B", 2), ("y", "C", 0)]


def test_fillmissing_two_generators_and_non_count_columns_null():
    records = at(1, "Success")
    result = rows(J + '| timeslice 1h | count, values(u) as who, count_distinct(u) by _timeslice, e '
                  '| fillmissing timeslice(1h), values("Success", "Failure") in e', records)
    by_event = {r["e"]: r for r in result}
    assert set(by_event) == {"Success", "Failure"}
    assert by_event["Failure"]["_count"] == 0 and by_event["Failure"]["_count_distinct"] == 0
    assert by_event["Failure"]["who"] is None
    assert by_event["Success"]["who"] == "x"


def test_fillmissing_over_no_rows():
    # No row: the timeslice generator has no range, the values generator still gives its rows.
    assert rows(J + '| where e = "nope" | count by e | fillmissing values("A") in e') == [{"e": "A", "_count": 0}]
    assert rows(J + '| where e = "nope" | timeslice 1h | count by _timeslice | fillmissing timeslice(1h)') == []


def test_fillmissing_null_group_key_is_its_own_series():
    records = at(1, "A", user=None) + at(1, "B", "x")
    result = rows(J + '| count by u, e | fillmissing values("A", "B") in e', records)
    assert sorted((r["u"], r["e"], r["_count"]) for r in result) == [("", "A", 1), ("", "B", 0), ("x", "A", 0), ("x", "B", 1)]


FILL_WITH = [
    # (query tail after `count, values(u) as who by e | fillmissing values("A", "B") in e`, the added row B)
    pytest.param("", {"e": "B", "_count": 0, "who": None}, id="no-with-keeps-the-defaults"),
    pytest.param(" with -1 for _count", {"e": "B", "_count": -1, "who": None}, id="negative-number"),
    pytest.param(' with 0.5 for _count, "nobody" for who', {"e": "B", "_count": 0.5, "who": "nobody"},
                 id="double-and-string"),
    pytest.param(" with null for _count", {"e": "B", "_count": None, "who": None}, id="null"),
    pytest.param(" WITH 7 FOR %\"WHO\"", {"e": "B", "_count": 0, "who": 7}, id="keywords-and-field-any-case"),
]


@pytest.mark.parametrize("with_clause,added", FILL_WITH)
def test_fillmissing_with_sets_the_non_key_fields_of_added_rows(with_clause, added):
    result = rows(J + '| count, values(u) as who by e | fillmissing values("A", "B") in e' + with_clause, at(1, "A"))
    assert len(result) == 2 and result[1] == added
    assert (result[0]["e"], result[0]["_count"]) == ("A", 1)  # a row that was there keeps its values


@pytest.mark.parametrize("tail,error", [
    ('| fillmissing values("A") in e', QueryInvalid),                                 # no aggregate
    ('| count by e | fillmissing values("A") in u', QueryInvalid),                    # not a field of the aggregate
    ('| count by _timeslice | fillmissing timeslice', QueryInvalid),                  # no size anywhere
    ('| count by e | fillmissing values all in e', QueryNotSupported),                # needs Sumo's field index
    ('| count by e | fillmissing values("A") in e with 0 for e', QueryInvalid),       # `with` on a key field
    ('| count by e | fillmissing values("A") in e with 0 for u', QueryInvalid),       # not a field of the rows
    ('| timeslice 1h | count by _timeslice | fillmissing timeslice(1h) takelast', QueryNotSupported),  # not offline
])
def test_fillmissing_errors(tail, error):
    with pytest.raises(error):
        rows(J + ("| timeslice 1h " if "_timeslice" in tail and "fillmissing timeslice" not in tail else "") + tail)


def test_fillmissing_takelast_is_refused_at_the_stage():
    with pytest.raises(QueryNotSupported) as info:
        rows("| timeslice 1h\n| count by _timeslice\n| fillmissing timeslice(1h) takelast")
    assert "takelast" in str(info.value) and (info.value.pos.line, info.value.pos.column) == (3, 3)


# --- outlier ---------------------------------------------------------------------------------------------------------

def series(counts, user="x"):
    out = []
    for hour, n in enumerate(counts):
        out += at(hour, user=user, n=n) if n else []
    return out


def outlier(counts, options="", by="", user="x"):
    tail = f"| timeslice 1h | count by _timeslice, u | sort by _timeslice asc | outlier _count {options} {by}"
    return [r for r in rows(J + tail, series(counts, user)) if r["u"] == user]


def test_outlier_flags_a_spike_outside_the_band():
    result = outlier([2, 3, 2, 3, 2, 30])
    assert [r["_count_indicator"] for r in result] == [0, 0, 0, 0, 0, 1]
    last = result[-1]
    assert last["_count_error"] == pytest.approx(30 - 2.4)
    mean, sd = 2.4, (0.3) ** 0.5
    assert last["_count_upper"] == pytest.approx(mean + 3 * sd)
    assert last["_count_lower"] == pytest.approx(mean - 3 * sd)
    assert last["_count_violation"] == 1


def test_outlier_has_no_band_before_two_earlier_values():
    result = outlier([5, 500])
    assert [r["_count_upper"] for r in result] == [None, None]
    assert [r["_count_indicator"] for r in result] == [0, 0]


@pytest.mark.parametrize("counts,options,indicators", [
    ([2, 3, 2, 3, 2, 30], "direction=-", [0, 0, 0, 0, 0, 0]),          # a spike up is not watched
    ([20, 21, 20, 21, 20, 1], "direction=-", [0, 0, 0, 0, 0, 1]),      # a drop is
    ([20, 21, 20, 21, 20, 1], "direction=+", [0, 0, 0, 0, 0, 0]),
    ([2, 3, 2, 3, 2, 30], "threshold=100", [0, 0, 0, 0, 0, 0]),        # a wide band
    ([100, 100, 2, 3, 2, 3, 30], "window=3", [0, 0, 1, 0, 0, 0, 1]),   # only the last 3 earlier values count
])
def test_outlier_options(counts, options, indicators):
    assert [r["_count_indicator"] for r in outlier(counts, options)] == indicators


def test_outlier_consecutive_needs_a_run_of_indicators():
    result = outlier([2, 3, 2, 3, 2, 30, 60], "window=5, consecutive=2")
    assert [r["_count_indicator"] for r in result][-2:] == [1, 1]
    assert [r["_count_violation"] for r in result][-2:] == [0, 1]


def test_outlier_by_keeps_one_history_per_group():
    records = series([2, 3, 2, 3, 2, 30], "x") + series([30, 31, 30, 31, 30, 31], "y")
    tail = "| timeslice 1h | count by _timeslice, u | sort by _timeslice asc | outlier _count by u"
    result = rows(J + tail, records)
    assert [r["_count_indicator"] for r in result if r["u"] == "y"] == [0] * 6
    assert [r["_count_indicator"] for r in result if r["u"] == "x"][-1] == 1


def test_outlier_skips_values_that_are_not_numbers():
    tail = ('| timeslice 1h | count by _timeslice | sort by _timeslice asc '
            '| if(_count > 5, _count, "") as big | outlier big')
    result = rows(J + tail, series([6, 7, 1, 6, 7, 6, 40]))
    assert [r["big_indicator"] for r in result] == [0, 0, 0, 0, 0, 0, 1]
    assert result[2]["big_error"] is None


@pytest.mark.parametrize("tail", [
    "| outlier _count",                                          # no aggregate
    "| count by e | outlier nope",                               # unknown field
    "| count by e | outlier _count window=0",
    "| count by e | outlier _count direction=up",
    "| count by e | outlier _count window=abc",
])
def test_outlier_errors(tail):
    with pytest.raises(QueryInvalid):
        rows(J + tail)


# --- threat intel ----------------------------------------------------------------------------------------------------

INTEL = StaticThreatProvider({"92.55.146.245": {"type": "IP_ADDRESS", "actor": "FANCY", "raw": "{}", "threatlevel": "high"}})
LOOKUP = "| lookup type, actor, raw, threatlevel as malicious_confidence from sumo://threat/cs on threat=ip "


def threat(query, records, provider=INTEL):
    return run_query(query, records, META, threat=provider)


@pytest.mark.parametrize("on", ["on threat=ip", "on ip=threat", "on THREAT = ip"])
def test_threat_lookup_both_join_spellings(on):
    query = J + f"| lookup type, actor, raw, threatlevel as malicious_confidence from sumo://threat/cs {on} | fields ip, type, actor, malicious_confidence"
    result = threat(query, at(1))
    assert result[0]["malicious_confidence"] == "high" and result[0]["actor"] == "FANCY"


@pytest.mark.parametrize("ip,expected", [
    ("92.55.146.245", "high"),
    ("10.0.0.1", None),             # not an indicator: null, message kept
    ("ec2.amazonaws.com", None),    # a service name
    (None, None),                   # no address at all
])
def test_threat_lookup_values(ip, expected):
    result = threat(J + LOOKUP, at(1, ip=ip))
    assert len(result) == 1
    assert result[0]["malicious_confidence"] == expected


def test_the_default_provider_knows_no_indicator():
    result = run_query(J + LOOKUP + "| where !isNull(malicious_confidence)", at(1), META)
    assert result == []
    kept = run_query(J + LOOKUP, at(1), META)
    assert len(kept) == 1 and kept[0]["type"] is None and kept[0]["malicious_confidence"] is None


def test_threat_lookup_star_and_errors():
    result = threat(J + "| lookup * from sumo://threat/cs on threat=ip", at(1))
    assert result[0]["threatlevel"] == "high"
    with pytest.raises(QueryInvalid):
        threat(J + "| lookup score from sumo://threat/cs on threat=ip", at(1))
    with pytest.raises(QueryInvalid):
        threat(J + "| lookup type from sumo://threat/cs on threat=nope", at(1))
    with pytest.raises(QueryInvalid):
        threat(J + "| lookup type from sumo://threat/cs on a=ip", at(1))


def test_threat_field_is_the_matched_indicator():
    query = J + "| lookup threatlevel as malicious_confidence, threat from sumo://threat/cs on src_ip=threat"
    assert threat(query.replace("src_ip", "ip"), at(1))[0]["threat"] is None  # the table has no `threat` key
    provider = StaticThreatProvider({"92.55.146.245": {"threat": "92.55.146.245", "threatlevel": "high"}})
    assert threat(query.replace("src_ip", "ip"), at(1), provider)[0]["threat"] == "92.55.146.245"


def test_fillmissing_fills_a_field_assigned_after_the_aggregate():
    result = rows(J + '| count by e | "Events" as type | fillmissing values("Events", "Other") in type', at(1, "A"))
    assert sorted((r["e"], r["type"], r["_count"]) for r in result) == [("A", "Events", 1), ("A", "Other", 0)]


@pytest.mark.parametrize("placeholder,count", [("*", 2), ("x", 1), ("nobody", 0)])
def test_true_and_false_are_constants_where_no_field_has_the_name(placeholder, count):
    query = J + f'| where if("{placeholder}" = "*", true, u matches "{placeholder}") and !false | count'
    result = rows(query, at(1, user="x") + at(2, user="y"))
    assert (result[0]["_count"] if result else 0) == count
