"""`lookup ... from /shared/...`: lookup tables from CSV copies, with Sumo's join semantics."""

from __future__ import annotations

import pytest

from sumoctl.engine import (
    CsvLookupTables, LookupTable, NoLookupTables, QueryInvalid, QueryNotSupported, Runner, StaticLookupTables,
    compile_query, run_query,
)
from sumoctl.engine.tables import table_path
from sumoctl.errors import SumoctlError
from sumoctl.events import Metadata
from tests.engine.helpers import RECORD, record

J = '_sourceCategory=aws/cloudtrail | json "eventName", "userIdentity.userName", "userIdentity.accountId" as event_name, user, account nodrop '
ADMIN_ROWS = [
    {"user_name": "Alice", "account_id": "111122223333", "role": "admin", "team": "platform"},
    {"user_name": "bob", "account_id": "444455556666", "role": "break-glass", "team": None},
    {"user_name": "bob", "account_id": "111122223333", "role": "ops", "team": "sre"},
]
# The same rows as a classic table (a saved file, by path) and as a Lookup Table (path://).
ADMINS = StaticLookupTables({
    "/shared/admins": ADMIN_ROWS,
    "/Library/admins": ADMIN_ROWS,
    "/Library/Users/me@example.com/Risky Countries": [{"country_code": "RO", "risk": "high"}],
})
CAROL = record(userIdentity={"userName": "carol", "accountId": "111122223333"})
BOB = record(userIdentity={"userName": "BOB", "accountId": "111122223333"})


def rows(query: str, records=None, tables=ADMINS, prefilter=True):
    return run_query(J + query, records if records is not None else [RECORD], tables=tables, prefilter=prefilter)


@pytest.mark.parametrize(
    "lookup, records, expected",
    [
        # a match: the asked columns, as written in the query
        ("| lookup role from /shared/admins on user_name = user and account_id = account", [RECORD], [{"role": "admin"}]),
        # no match: the message keeps going, the looked-up fields null
        ("| lookup role from /shared/admins on user_name = user, account_id = account", [CAROL], [{"role": None}]),
        # a Lookup Table's values and column names compare case-insensitively (Sumo's lookup page); the output
        # keeps the cell's case
        ('| lookup ROLE from path://"/Library/admins" on USER_NAME = user, account_id = account', [BOB], [{"ROLE": "ops"}]),
        # a classic table's values compare case-sensitively (the "lookup (Classic)" page), its column names not
        ("| lookup ROLE from /shared/admins on USER_NAME = user, account_id = account", [BOB], [{"ROLE": None}]),
        ("| lookup role from /shared/admins on user_name = user, account_id = account",
         [record(userIdentity={"userName": "bob", "accountId": "111122223333"})], [{"role": "ops"}]),
        # every `on` pair must match: bob exists, but not in this account for this row
        ("| lookup role from /shared/admins on user_name = user and account_id = account",
         [record(userIdentity={"userName": "bob", "accountId": "999999999999"})], [{"role": None}]),
        # aliases
        ("| lookup role as admin_role, team as admin_team from /shared/admins on user_name = user, account_id = account",
         [RECORD], [{"admin_role": "admin", "admin_team": "platform"}]),
        # an empty cell is null
        ("| lookup team from /shared/admins on user_name = user, account_id = account",
         [record(userIdentity={"userName": "bob", "accountId": "444455556666"})], [{"team": None}]),
        # a pair may be written either way round (Sumo's own examples do both)
        ("| lookup role from /shared/admins on user = user_name, account = account_id", [RECORD], [{"role": "admin"}]),
        # path:// sources, with spaces in the table's name
        ('| json "sourceIPAddress" as ip | "RO" as country_code | lookup risk from path://"/Library/Users/me@example.com/Risky Countries" on country_code = country_code',
         [RECORD], [{"risk": "high"}]),
        # a null event value matches nothing
        ("| lookup role from /shared/admins on user_name = user, account_id = account",
         [record(userIdentity={"accountId": "111122223333"})], [{"role": None}]),
    ],
)
def test_lookup_table_joins(lookup, records, expected):
    names = list(expected[0])
    got = rows(lookup + " | fields " + ", ".join(names), records)
    assert [{k: r.get(k) for k in names} for r in got] == expected


def test_lookup_star_gives_every_column_in_the_header_spelling():
    tables = StaticLookupTables({"/shared/t": [{"User": "Alice", "Role": "admin", "Since": "2021"}]})
    got = rows("| lookup * from /shared/t on user = user | fields user, role, since", tables=tables)
    assert [(k, v) for k, v in got[0].items() if not k.startswith("_")] == [("user", "Alice"), ("Role", "admin"), ("Since", "2021")]


def test_a_miss_overwrites_a_field_of_the_same_name_with_null():
    """`lookup country_code from ... on country_code=country_code | where !isEmpty(country_code)` (a Sumo app's
    risky-country search) relies on a miss nulling the field."""
    tables = StaticLookupTables({"/shared/risky": [{"country_code": "KP"}]})
    query = '| "RO" as country_code | lookup country_code from /shared/risky on country_code = country_code | where !isEmpty(country_code)'
    assert rows(query, tables=tables) == []
    tables = StaticLookupTables({"/shared/risky": [{"country_code": "RO"}]})
    assert [r["country_code"] for r in rows(query, tables=tables)] == ["RO"]


def test_numbers_match_the_text_of_a_cell():
    tables = StaticLookupTables({"/shared/accounts": [{"account_id": "3", "owner": "payments"}]})
    got = rows('| json "additionalEventData.count" as n | lookup owner from /shared/accounts on account_id = n | fields owner', tables=tables)
    assert got[0]["owner"] == "payments"


def test_after_an_aggregate_the_lookup_runs_on_the_rows():
    got = rows("| count by user, account | lookup role from /shared/admins on user_name = user, account_id = account",
               [RECORD, RECORD, CAROL])
    assert sorted((r["user"], r["_count"], r["role"]) for r in got) == [("Alice", 2, "admin"), ("carol", 1, None)]


@pytest.mark.parametrize(
    "query, message, at",
    [
        ("| lookup role from /shared/nope on user_name = user", "lookup table /shared/nope has no local copy:", "lookup"),
        ("| lookup role, salary from /shared/admins on user_name = user", "has no field 'salary' (it has user_name, account_id, role, team)", "salary"),
        ("| lookup role from /shared/admins on login = user", "has no column 'login' or 'user' to join on", "login"),
        ("| lookup role from /shared/admins on user_name = user, account_id = nobody", "field 'nobody' not found", "account_id ="),
        ("| lookup role from /shared/admins", "needs `on <column> = <field>`", "lookup"),
    ],
)
def test_errors_name_the_table_and_the_place(query, message, at):
    with pytest.raises((QueryInvalid, QueryNotSupported)) as err:
        compile_query(J + query, tables=ADMINS)
    assert message in err.value.message
    assert (err.value.line, err.value.column) == (1, len(J) + query.index(at) + 1)


def test_without_a_copy_the_error_says_which_file_to_add():
    query = J + "| lookup role from /shared/aws/cloudtrail/admin_users on user_name = user"
    with pytest.raises(QueryNotSupported) as err:
        compile_query(query)  # no provider: NoLookupTables
    assert "add lookups/shared/aws/cloudtrail/admin_users.csv" in err.value.message
    assert (err.value.line, err.value.column) == (1, query.index("lookup") + 1)
    with pytest.raises(QueryNotSupported) as err:
        compile_query(query, tables=CsvLookupTables(__import__("pathlib").Path("/nonexistent")))
    assert err.value.message.endswith("has no local copy: add lookups/shared/aws/cloudtrail/admin_users.csv")


@pytest.mark.parametrize(
    "source, path",
    [
        ("/shared/aws/cloudtrail/admin_users", "/shared/aws/cloudtrail/admin_users"),
        ("shared/statusupdates", "/shared/statusupdates"),
        ("path:///Library/Users/me@example.com/Suspicious Users", "/Library/Users/me@example.com/Suspicious Users"),
        # a classic CSV on an HTTPS server: never its credentials (Sumo allows basic auth in the address)
        ("https://USER:PASSWORD@Example.com/lists/risky.csv", "https://example.com/lists/risky.csv"),
        ("geo://location", None),
        ("sumo://threat/cs", None),
        ("http://example.com/t.csv", None),  # Sumo does not load a CSV over plain HTTP
    ],
)
def test_table_paths(source, path):
    assert table_path(source) == path


def test_an_https_table_has_its_copy_under_lookups_https_and_no_credentials_in_messages():
    query = J + "| lookup risk from https://svc:hunter2@example.com/lists/risky.csv on country_code = user"
    with pytest.raises(QueryNotSupported) as err:
        compile_query(query)
    assert err.value.message == ("lookup table https://example.com/lists/risky.csv has no local copy: add "
                                 "lookups/https/example.com/lists/risky.csv (a CSV copy of the table) to a detections repository")
    assert "hunter2" not in str(err.value)
    tables = StaticLookupTables({"https://example.com/lists/risky.csv": [{"country_code": "Alice", "risk": "high"}]})
    assert rows("| lookup risk from https://svc:hunter2@example.com/lists/risky.csv on country_code = user | fields risk",
                tables=tables)[0]["risk"] == "high"


def test_other_sources_are_not_tables():
    with pytest.raises(QueryNotSupported, match="lookup from http://example.com/t.csv is not supported offline"):
        compile_query(J + "| lookup a from http://example.com/t.csv on a = user", tables=ADMINS)
    with pytest.raises(QueryNotSupported) as err:
        compile_query(J + "| lookup a from http://svc:hunter2@example.com/t.csv on a = user", tables=ADMINS)
    assert "lookup from http://(sensitive)@example.com/t.csv is not supported" in err.value.message
    assert compile_query(J + "| lookup threat from sumo://threat/cs on threat = user", tables=NoLookupTables())


# --- CSV copies ---------------------------------------------------------------------------------------------------------


def _csv(tmp_path, text: bytes | str, path="shared/aws/cloudtrail/admin_users.csv"):
    file = tmp_path / "lookups" / path
    file.parent.mkdir(parents=True, exist_ok=True)
    (file.write_bytes if isinstance(text, bytes) else file.write_text)(text)
    return CsvLookupTables(tmp_path / "lookups")


def test_csv_copy_at_the_tables_path(tmp_path):
    tables = _csv(tmp_path, '\ufeff user_name , role,team\r\n"alice","admin",\r\n\r\n"Bob, Jr.",ops,"sre\nnight"\r\n'.encode())
    table = tables.table("/shared/aws/cloudtrail/admin_users")
    assert table.columns == ("user_name", "role", "team")  # header trimmed, byte-order mark dropped
    assert table.rows == (("alice", "admin", None), ("Bob, Jr.", "ops", "sre\nnight"))
    assert table.origin == "lookups/shared/aws/cloudtrail/admin_users.csv"
    assert tables.table("/shared/aws/cloudtrail/admin_users") is table  # read once
    got = run_query(J + "| lookup role from /shared/aws/cloudtrail/admin_users on user_name = user | fields role",
                    [record(userIdentity={"userName": "alice"})], tables=tables)
    assert got[0]["role"] == "admin"


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("user_name,role\nalice\n", "row has 1 cell(s) but the header has 2 column(s)", 2),
        ("user_name,User_Name\n", "column 'User_Name' appears twice in the header", 1),
        ("user_name,,role\n", "a column in the header has no name", 1),
        ("", "empty file: the first line must name the columns", None),
        (b"user_name,role\n\xffalice,admin\n", "not UTF-8 text", None),
        ('user_name,role\n"alice,admin\n', "not valid CSV", 2),
    ],
)
def test_a_malformed_csv_is_an_error_naming_file_and_line(tmp_path, text, message, line):
    tables = _csv(tmp_path, text)
    with pytest.raises(SumoctlError) as err:
        tables.table("/shared/aws/cloudtrail/admin_users")
    assert message in err.value.message
    assert (err.value.path, err.value.line) == ("lookups/shared/aws/cloudtrail/admin_users.csv", line)


@pytest.mark.parametrize(
    "source, user, role",
    [
        ('path://"/Library/admins"', "alice", "auditor"),  # case-insensitive: the last of Alice and ALICE
        ("/shared/admins", "Alice", "admin"),
        ("/shared/admins", "ALICE", "auditor"),
    ],
)
def test_of_rows_with_one_key_the_last_is_used(source, user, role):
    """The classic page: "The last value associated with a duplicated key will be used"."""
    rows_ = [{"user_name": "Alice", "role": "admin"}, {"user_name": "bob", "role": "ops"}, {"user_name": "ALICE", "role": "auditor"}]
    tables = StaticLookupTables({"/shared/admins": rows_, "/Library/admins": rows_})
    got = rows(f"| lookup role from {source} on user_name = user | fields role", [record(userIdentity={"userName": user})], tables=tables)
    assert got[0]["role"] == role


def test_a_table_path_cannot_leave_the_lookups_folder(tmp_path):
    (tmp_path / "secret.csv").write_text("a,b\n1,2\n")
    tables = CsvLookupTables(tmp_path / "lookups")
    with pytest.raises(QueryNotSupported, match="has no place for a CSV copy under lookups/"):
        compile_query(J + "| lookup b from /shared/../../secret on a = user", tables=tables)


def test_static_tables_take_lookup_tables_too():
    table = LookupTable(("k", "v"), (("x", "1"),))
    tables = StaticLookupTables({"shared/t": table})
    assert tables.table("/shared/t") is table


# --- the prefilter's fast path sees the same join -----------------------------------------------------------------------


@pytest.mark.parametrize("on", ["user_name = user and account_id = account", "user = user_name, account = account_id"])
def test_the_fast_path_reads_the_event_field_either_way_round(tmp_path, on):
    """The prefilter seeds only the fields a query's stages read; it must see `user` as the field read, however
    the pair is written. Run over a file (the path that seeds) and compared with no prefilter."""
    import orjson

    events = [record(userIdentity={"userName": n, "accountId": "111122223333"}) for n in ("alice", "carol", "Alice")]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    query = (J + f'| where event_name = "CreateUser" | lookup role from path://"/Library/admins" on {on} | count by role')
    results = []
    for prefilter in (True, False):
        runner = Runner([compile_query(query, tables=ADMINS)], Metadata(source_category="aws/cloudtrail"), prefilter=prefilter)
        runner.run_files([path])
        results.append(sorted((r["role"] or "", r["_count"]) for r in runner.results()[0]))
    assert results[0] == results[1] == [("", 1), ("admin", 2)]


def test_an_https_tables_copy_is_read_from_lookups_https(tmp_path):
    tables = _csv(tmp_path, "country_code,risk\nKP,high\n", path="https/example.com/lists/risky.csv")
    query = '| "KP" as cc | lookup risk from https://example.com/lists/risky.csv on country_code = cc | fields risk'
    assert rows(query, tables=tables)[0]["risk"] == "high"
    with pytest.raises(QueryNotSupported, match=r"no \?, # or"):
        compile_query(J + "| lookup risk from https://example.com/risky?v=csv on country_code = user", tables=tables)


def test_a_table_is_indexed_once_per_shape_of_lookup():
    tables = StaticLookupTables({"/shared/admins": ADMIN_ROWS})
    query = "| lookup role from /shared/admins on user_name = user, account_id = account"
    compile_query(J + query, tables=tables)
    compile_query(J + query + " | count by role", tables=tables)
    compile_query(J + "| lookup team from /shared/admins on user_name = user, account_id = account", tables=tables)
    assert len(tables.table("/shared/admins").indexes) == 2
