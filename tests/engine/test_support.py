"""What the engine cannot run fails loudly, naming the operator and its position; geo lookups; functions."""

import pytest

from sumoctl.engine import QueryInvalid, QueryNotSupported, StaticGeoProvider, compile_query, run_query
from sumoctl.engine.geo import GeoIP2FastProvider
from tests.engine.helpers import RECORD, one, rows

J = '| json "eventName", "sourceIPAddress", "userIdentity.userName" as ev, ip, user '


@pytest.mark.parametrize(
    "query, name, column",
    [
        ('_sourceCategory=x\n| json "a" as a\n| transpose row a column b', "transpose", 3),
        ('_sourceCategory=x | json "a" as a | accum a', "accum", 37),
        ('_sourceCategory=x | json "a" as a | count by a | compare with timeshift 1d', "compare", 50),
        ('_sourceCategory=x | json auto', "json auto", 21),
        ('_sourceCategory=x | lookup asn from asn://default on ip=ip', "asn://default", 21),
        ('_sourceCategory=x | json "a" as a | pct(a, 95) by a', "pct", 37),
        ('_sourceCategory=x | json "a" as a | base64Decode(a) as b', "base64Decode", 37),
        ('_sourceCategory=x | timeslice 100 buckets', "buckets", 21),
    ],
)
def test_unsupported_operators_name_themselves_and_their_position(query, name, column):
    with pytest.raises(QueryNotSupported) as caught:
        compile_query(query)
    assert name in caught.value.message
    assert caught.value.column == column
    if "\n" in query:
        assert caught.value.line == 3


def test_unknown_field_is_an_error_not_a_null():
    with pytest.raises(QueryInvalid, match="nope"):
        compile_query('_sourceCategory=x | json "a" as a | where nope = "x"')


def test_fields_only_exist_after_an_aggregate_if_it_made_them():
    with pytest.raises(QueryInvalid, match="ip"):
        compile_query('_sourceCategory=x | json "a", "ip" as a, ip | count by a | where ip = "1"')


def test_geo_lookup_with_a_stub():
    geo = StaticGeoProvider({"92.55.146.245": {"country_code": "RO", "city": "Bucharest"}})
    result = run_query(J + "| lookup country_code, city, latitude from geo://location on ip = ip", [RECORD], geo=geo)
    assert (result[0]["country_code"], result[0]["city"], result[0]["latitude"]) == ("RO", "Bucharest", None)


def test_geo_lookup_miss_gives_nulls_and_keeps_the_message():
    result = run_query(J + "| lookup country_code from geo://location on ip = ip", [dict(RECORD, sourceIPAddress="ec2.amazonaws.com")], geo=StaticGeoProvider({}))
    assert len(result) == 1 and result[0]["country_code"] is None


def test_geo_lookup_alias():
    geo = StaticGeoProvider({"92.55.146.245": {"country_code": "RO"}})
    assert run_query(J + "| lookup country_code as cc from geo://location on ip = ip", [RECORD], geo=geo)[0]["cc"] == "RO"


@pytest.mark.parametrize(
    "ip, country",
    [
        ("92.55.146.245", "RO"),
        ("200.58.83.179", "BO"),
        ("71.253.251.71", "US"),
        ("10.1.2.3", None),               # private
        ("225.01.00.16", None),           # reserved (and scrambled with leading zeros)
        ("ec2.amazonaws.com", None),      # a service name
        ("81.2.69.142, 192.168.10.10", None),
        ("not an ip", None),
    ],
)
def test_packaged_geoip_dataset(ip, country):
    found = GeoIP2FastProvider().lookup(ip)
    assert found.get("country_code") == country
    assert "city" not in found and "latitude" not in found  # the packaged dataset has countries only


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("toLowerCase(ev)", "createuser"),
        ("toUpperCase(user)", "ALICE"),
        ('concat(ev, ":", user)', "CreateUser:Alice"),
        ('concat(ev, nothing)', "CreateUser"),
        ("length(user)", 5),
        ("length(nothing)", 0),
        ('replace(ev, "User", "Role")', "CreateRole"),
        ('replace(ev, /(Create)(\\w+)/, "$2-$1")', "User-Create"),
        ('replace(ev, /create/i, "Make")', "MakeUser"),
        ("substring(ev, 0, 6)", "Create"),
        ("substring(ev, 6)", "User"),
        ("isPrivateIP(ip)", False),
        ("isPublicIP(ip)", True),
        ('isPrivateIP("10.0.0.1")', True),
        # Sumo: isValidIP "checks if the value is a valid IP address", isValidIPv4/isValidIPv6 one version each.
        ('isValidIP("10.255.255.255")', True),
        ('isValidIP("127.0.500.1")', False),
        ('isValidIP("2001:db8::8a2e:370:7334")', True),
        ('isValidIPv4("2001:db8::8a2e:370:7334")', False),
        ('isValidIPv4("192.168.0.1")', True),
        ('isValidIPv6("2001:db8::8a2e:370:7334")', True),
        ('isValidIPv6("::ffff:192.0.2.128")', True),
        ('isValidIPv6("2001:db8:85a3::8a2e::7334")', False),
        ('isValidIPv6("192.168.0.1")', False),
        ("isValidIPv6(nothing)", False),
        ('ipv4ToNumber("192.168.1.2")', 3232235778),
        ('ipv4ToNumber("2001:db8::1")', None),
        ('ipv4ToNumber("127.0.500.1")', None),
        ("ipv4ToNumber(nothing)", None),
        ("toLowerCase(nothing)", None),
        ("round(2.5)", 3),
        ("round(3.14159, 2)", 3.14),
        ("floor(2.7)", 2),
        ("ceil(2.1)", 3),
        ("abs(-4)", 4),
        ("pow(2, 10)", 1024.0),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("7 % 4", 3.0),
        ("1 / 0", None),
        ('formatDate(1715655911000, "yyyy-MM-dd HH:mm:ss")', "2024-05-14 03:05:11"),
        ('formatDate(1715655911000, "yyyy-MM-dd HH:mm", "Asia/Tokyo")', "2024-05-14 12:05"),
        ('formatDate(1715655911000, "EEE dd/MM/yy")', "Tue 14/05/24"),
        ('formatDate(1715698811123, "h:mm a, d.M.yyyy SSS HH")', "3:00 PM, 14.5.2024 123 15"),  # 12-hour clock
        ('formatDate(1715655911000, "h:m:s d H")', "3:5:11 14 3"),                           # one letter: unpadded
        ("toLong(\"42\")", 42),
        ('num("x")', None),
    ],
)
def test_functions(expr, expected):
    q = J + '| json "nope" as nothing nodrop | ' + expr + " as out"
    assert one(q, "out") == expected
