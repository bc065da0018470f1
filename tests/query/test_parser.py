"""Valid Sumo syntax parses into the expected AST nodes, and renders back to an equal AST."""

from __future__ import annotations

import pytest

from sumoctl.query import ast as a
from sumoctl.query import parse


def stage(text: str):
    """The single stage of ``x | <text>``."""
    q = parse("x | " + text)
    assert len(q.stages) == 1
    return q.stages[0]


def where(text: str):
    return stage("where " + text).condition


F = a.FieldRef
S = a.StringLit
N = a.NumberLit


# ------------------------------------------------------------------------------------------ scope

@pytest.mark.parametrize("text,expected", [
    ("ConsoleLogin", a.Keyword("ConsoleLogin")),
    ("*tachClassicLink", a.Keyword("*tachClassicLink")),
    ("iam.amazonaws.com", a.Keyword("iam.amazonaws.com")),
    ('"\\"eventSource\\":\\"iam.amazonaws.com\\""', a.Phrase('"eventSource":"iam.amazonaws.com"')),
    ("_sourceCategory=aws/*", a.FieldMatch("_sourceCategory", "=", "aws/*")),
    ("_sourceCategory = Labs/AWS/CloudTrail", a.FieldMatch("_sourceCategory", "=", "Labs/AWS/CloudTrail")),
    ('account="12 34"', a.FieldMatch("account", "=", "12 34", quoted=True)),
    ("_index!=sec", a.FieldMatch("_index", "!=", "sec")),
    ('%"x-event-key"=repo:push', a.FieldMatch("x-event-key", "=", "repo:push")),
    ("a b", a.And((a.Keyword("a"), a.Keyword("b")))),
    ("a AND b", a.And((a.Keyword("a"), a.Keyword("b")))),
    ("a or b", a.Or((a.Keyword("a"), a.Keyword("b")))),
    # NOT > AND > OR
    ("a OR b c", a.Or((a.Keyword("a"), a.And((a.Keyword("b"), a.Keyword("c")))))),
    ("NOT a b", a.And((a.Not(a.Keyword("a")), a.Keyword("b")))),
    ("!errorCode x", a.And((a.Not(a.Keyword("errorCode")), a.Keyword("x")))),
    ("(a OR b) c", a.And((a.Or((a.Keyword("a"), a.Keyword("b"))), a.Keyword("c")))),
    ("x [subquery: y | compose z]", a.And((a.Keyword("x"), a.Subquery("subquery: y | compose z")))),
])
def test_scope(text, expected):
    assert parse(text).scope == expected


def test_empty_scope_is_none_and_trailing_pipe_is_harmless():
    q = parse("| count |")
    assert q.scope is None
    assert q.stages == (a.Aggregate((a.AggCall("count"),)),)


# ------------------------------------------------------------------------------------------ lexing traps

def test_comments_are_ignored_but_not_inside_strings_uris_or_wildcards():
    q = parse(
        "_sourceCategory=aws/* // scope comment | not a stage\n"
        "/* block\n | comment */\n"
        '| where x = "http://a//b"  // trailing\n'
        "| lookup country_code from geo://location on ip=src_ip\n"
        "| where y matches /a\\/\\/b|c/i\n"
        "| count //EoQ"
    )
    assert q.scope == a.FieldMatch("_sourceCategory", "=", "aws/*")
    assert [type(s) for s in q.stages] == [a.Where, a.Lookup, a.Where, a.Aggregate]
    assert q.stages[0].condition.right == S("http://a//b")
    assert q.stages[1].source == "geo://location"
    assert q.stages[2].condition.pattern == a.RegexLit("a\\/\\/b|c", "i")


def test_pipes_inside_strings_brackets_and_parens_do_not_split_stages():
    q = parse('x | parse regex "(?<a>x|y)" | where a in ("|") | count')
    assert len(q.stages) == 3


def test_escaped_quotes_decode_and_other_escapes_stay():
    assert stage('parse "\\"eventName\\":\\"*\\"" as e').pattern == '"eventName":"*"'
    assert stage('parse regex "(?<ip>\\d+\\.\\d+)"').patterns == ("(?<ip>\\d+\\.\\d+)",)


def test_percent_quoted_field_names():
    assert where('%"odd field" = 1') == a.BinaryOp("=", F("odd field"), N("1"))
    assert where('%"say \\"hi\\"" = 1').left == F('say "hi"')


@pytest.mark.parametrize("kwargs,expected", [
    ({"placeholders": {"src": "aws/cloudtrail"}}, a.FieldMatch("_sourceCategory", "=", "aws/cloudtrail")),
    ({"default_placeholder": "*"}, a.FieldMatch("_sourceCategory", "=", "*")),
    ({}, a.FieldMatch("_sourceCategory", "=", "{{src}}")),
])
def test_placeholders(kwargs, expected):
    assert parse("_sourceCategory={{src}}", **kwargs).scope == expected
    if kwargs:
        assert parse("_sourceCategory={{ src }}", **kwargs).scope == expected


def test_older_placeholder_forms():
    q = parse("_sourceCategory=$$Cat **TO_REPLACE**", placeholders={"Cat": "aws"}, default_placeholder="*")
    assert q.scope == a.And((a.FieldMatch("_sourceCategory", "=", "aws"), a.Keyword("*")))


# ------------------------------------------------------------------------------------------ expressions

@pytest.mark.parametrize("text,expected", [
    ('x = "a"', a.BinaryOp("=", F("x"), S("a"))),
    ('x == "a"', a.BinaryOp("=", F("x"), S("a"))),
    ('x <> "a"', a.BinaryOp("!=", F("x"), S("a"))),
    ("x >= 400", a.BinaryOp(">=", F("x"), N("400"))),
    ("a = 1 and b = 2 or c = 3", a.BinaryOp("or", a.BinaryOp("and", a.BinaryOp("=", F("a"), N("1")),
                                                               a.BinaryOp("=", F("b"), N("2"))),
                                           a.BinaryOp("=", F("c"), N("3")))),
    ("a && b or c", a.BinaryOp("or", a.BinaryOp("and", F("a"), F("b")), F("c"))),
    ("!isNull(x)", a.UnaryOp("not", a.Call("isNull", (F("x"),)))),
    ("not x in (1)", a.UnaryOp("not", a.InList(F("x"), (N("1"),)))),
    ('x in ("a", "b")', a.InList(F("x"), (S("a"), S("b")))),
    ('x not in ("a")', a.InList(F("x"), (S("a"),), negated=True)),
    ('x matches "fail*"', a.Matches(F("x"), S("fail*"))),
    ("x matches /create/i", a.Matches(F("x"), a.RegexLit("create", "i"))),
    ('x not matches "*a"', a.Matches(F("x"), S("*a"), negated=True)),
    ('x matches ("a*")', a.Matches(F("x"), S("a*"))),
    ('x contains "a"', a.BinaryOp("contains", F("x"), S("a"))),
    ("a + b * c", a.BinaryOp("+", F("a"), a.BinaryOp("*", F("b"), F("c")))),
    ("(a + b) * -c % 2", a.BinaryOp("%", a.BinaryOp("*", a.BinaryOp("+", F("a"), F("b")),
                                                    a.UnaryOp("-", F("c"))), N("2"))),
    ("a / 1e3 > 1.5", a.BinaryOp(">", a.BinaryOp("/", F("a"), N("1e3")), N("1.5"))),
    ('if(isEmpty(x), "n/a", toLowerCase(x)) = "a"',
     a.BinaryOp("=", a.Call("if", (a.Call("isEmpty", (F("x"),)), S("n/a"), a.Call("toLowerCase", (F("x"),)))),
                S("a"))),
    ("replace(x, /\\s+/, \" \") = y", a.BinaryOp("=", a.Call("replace", (F("x"), a.RegexLit("\\s+"), S(" "))),
                                               F("y"))),
    ("t1.a = t2.b", a.BinaryOp("=", F("t1.a"), F("t2.b"))),
])
def test_where_expressions(text, expected):
    assert where(text) == expected


# ------------------------------------------------------------------------------------------ stages

@pytest.mark.parametrize("text,expected", [
    ('parse regex "(?<raw>{.*)"', a.ParseRegex(("(?<raw>{.*)",))),
    ('parse regex field=msg "(?<a>x)", "(?<b>y)" multi nodrop',
     a.ParseRegex(("(?<a>x)", "(?<b>y)"), field="msg", nodrop=True, multi=True)),
    ('extract field=f "(?<a>x)"', a.Extract(("(?<a>x)",), field="f")),
    ('parse field=arn "arn:aws:iam::*:*" as acct, res nodrop',
     a.ParseAnchor((a.AnchorPattern("arn:aws:iam::*:*", ("acct", "res")),), field="arn", nodrop=True)),
    ('parse "a=*," as a, "b=*," as b',
     a.ParseAnchor((a.AnchorPattern("a=*,", ("a",)), a.AnchorPattern("b=*,", ("b",))))),
    ('parse "a=* b=*" as (x, y)', a.ParseAnchor((a.AnchorPattern("a=* b=*", ("x", "y")),))),
    ('json field=_raw "eventName", "userIdentity.arn" as e, arn nodrop',
     a.Json((a.JsonPath("eventName", (a.JsonKey("eventName"),)),
             a.JsonPath("userIdentity.arn", (a.JsonKey("userIdentity"), a.JsonKey("arn")))),
            ("e", "arn"), field="_raw", nodrop=True)),
    ('json auto maxdepth 2 extractarrays', a.Json(auto=True, maxdepth=2, extractarrays=True)),
    ('json auto keys "a", "b" refonly as x, y',
     a.Json((a.JsonPath("a", (a.JsonKey("a"),)), a.JsonPath("b", (a.JsonKey("b"),))), ("x", "y"), auto=True,
            refonly=True)),
    ('lookup country_code, city as town from geo://location on ip = src_ip',
     a.Lookup((a.LookupField("country_code"), a.LookupField("city", "town")), "geo://location",
              (a.LookupOn("ip", "src_ip"),))),
    ('lookup type, threatlevel as conf from sumo://threat/cs on threat=ip',
     a.Lookup((a.LookupField("type"), a.LookupField("threatlevel", "conf")), "sumo://threat/cs",
              (a.LookupOn("threat", "ip"),))),
    ('lookup asn, organization from asn://default on ip=src_ip',
     a.Lookup((a.LookupField("asn"), a.LookupField("organization")), "asn://default", (a.LookupOn("ip", "src_ip"),))),
    ('lookup * from /shared/lookups/users on user=user_name, acct=account nodrop',
     a.Lookup((), "/shared/lookups/users", (a.LookupOn("user", "user_name"), a.LookupOn("acct", "account")),
              nodrop=True, all_fields=True)),
    ('lookup owner from path://"/Library/Users/a b" on id=id',
     a.Lookup((a.LookupField("owner"),), "path:///Library/Users/a b", (a.LookupOn("id", "id"),))),
    # `and` between pairs (Sumo's lookup page, for a table with a composite primary key); a relative table path
    ('lookup role from /shared/admins on user_name=user and acct = account',
     a.Lookup((a.LookupField("role"),), "/shared/admins", (a.LookupOn("user_name", "user"), a.LookupOn("acct", "account")))),
    ('lookup * from shared/statusupdates on status = code',
     a.Lookup((), "shared/statusupdates", (a.LookupOn("status", "code"),), all_fields=True)),
    ("timeslice 1h", a.Timeslice("1h")),
    ("timeslice by 5m as bucket", a.Timeslice("5m", alias="bucket")),
    ("timeslice 150 buckets", a.Timeslice(buckets=150)),
    ("count", a.Aggregate((a.AggCall("count"),))),
    ("Count by a, %\"b c\"", a.Aggregate((a.AggCall("count"),), ("a", "b c"))),
    ("count x, y", a.Aggregate((a.AggCall("count"),), ("x", "y"))),
    ("count as n user", a.Aggregate((a.AggCall("count", alias="n"),), ("user",))),
    ("count(*) as n", a.Aggregate((a.AggCall("count", alias="n"),))),
    ("count as failures, count_distinct(event_name) as methods group by user",
     a.Aggregate((a.AggCall("count", alias="failures"), a.AggCall("count_distinct", (F("event_name"),), "methods")),
                 ("user",))),
    ("count_frequent a, b", a.Aggregate((a.AggCall("count_frequent", (F("a"), F("b"))),))),
    ("pct(latency, 95) as p95, values(x), stddev(y) by h",
     a.Aggregate((a.AggCall("pct", (F("latency"), N("95")), "p95"), a.AggCall("values", (F("x"),)),
                  a.AggCall("stddev", (F("y"),))), ("h",))),
    ("sum(bytes) as b, avg(t), min(t), max(t), first(t), last(t)",
     a.Aggregate((a.AggCall("sum", (F("bytes"),), "b"), a.AggCall("avg", (F("t"),)), a.AggCall("min", (F("t"),)),
                  a.AggCall("max", (F("t"),)), a.AggCall("first", (F("t"),)), a.AggCall("last", (F("t"),))))),
    ("sort by _count desc, user asc", a.Sort((a.SortKey(F("_count")), a.SortKey(F("user"), ascending=True)))),
    ("order +user", a.Sort((a.SortKey(F("user"), ascending=True),))),
    ("sort _timeslice", a.Sort((a.SortKey(F("_timeslice")),))),
    ("top 10 src_ip by _count", a.Top(10, ("src_ip",), ("_count",))),
    ("top 10 port by records, port asc",
     a.Top(10, ("port",), ("records", "port"), (a.SortKey(F("records")), a.SortKey(F("port"), True)))),
    ("limit 100", a.Limit(100)),
    ("fields a, b", a.Fields(("a", "b"))),
    ("fields - a", a.Fields(("a",), remove=True)),
    ("transpose row _timeslice column src", a.Transpose(("_timeslice",), ("src",))),
    ('fillmissing timeslice(1h), values("a", "b") in region',
     a.Fillmissing((a.FillmissingItem(a.Call("timeslice", (N("1h"),))),
                    a.FillmissingItem(a.Call("values", (S("a"), S("b"))), "region")))),
    # fillmissing's constants for non-key fields (`with`) and `takelast`, as Sumo's fillmissing page writes them
    ("fillmissing timeslice(1h) with 0 for login_failures",
     a.Fillmissing((a.FillmissingItem(a.Call("timeslice", (N("1h"),))),),
                   (a.FillmissingDefault(N("0"), "login_failures"),))),
    ('fillmissing values("web", "api") in type\n  with -1 for _count, "n/a" for who, null for %"odd one", 0.5 for r',
     a.Fillmissing((a.FillmissingItem(a.Call("values", (S("web"), S("api"))), "type"),),
                   (a.FillmissingDefault(N("-1"), "_count"), a.FillmissingDefault(S("n/a"), "who"),
                    a.FillmissingDefault(None, "odd one"), a.FillmissingDefault(N("0.5"), "r")))),
    ("fillmissing timeslice, values all in sweets takelast",
     a.Fillmissing((a.FillmissingItem(a.Call("timeslice")), a.FillmissingItem(a.Call("values"), "sweets", "all")),
                   take_last=True)),
    ("FillMissing timeslice(15m) WITH 0 FOR _count TakeLast",
     a.Fillmissing((a.FillmissingItem(a.Call("timeslice", (N("15m"),))),), (a.FillmissingDefault(N("0"), "_count"),),
                   take_last=True)),
    ("compare with timeshift 1d 7 avg as week", a.Compare((a.CompareShift("1d", 7, "avg", "week"),))),
    ("outlier _count window=5, threshold=3, consecutive=2, direction=+- by host",
     a.Outlier("_count", (("window", "5"), ("threshold", "3"), ("consecutive", "2"), ("direction", "+-")),
               ("host",))),
    ("csv _raw extract 1 as a, 2 as b", a.Csv("_raw", (a.ExtractItem("a", 1), a.ExtractItem("b", 2)))),
    ("split url delim='?' extract 1 as path, 2 as qs",
     a.Split("url", (a.ExtractItem("path", 1), a.ExtractItem("qs", 2)), (("delim", "'?'"),))),
    ("save append /shared/x", a.Save("/shared/x", append=True)),
    ('if(x = "a", 1, 0) as flag', a.Assign(a.Call("if", (a.BinaryOp("=", F("x"), S("a")), N("1"), N("0"))), "flag")),
    ('x > 5 ? "big" : "small" as size',
     a.Assign(a.Ternary(a.BinaryOp(">", F("x"), N("5")), S("big"), S("small")), "size")),
    ("concat(a, \"-\", b) as c", a.Assign(a.Call("concat", (F("a"), S("-"), F("b"))), "c")),
    ('"literal" as x', a.Assign(S("literal"), "x")),
    ("_sourceHost as host", a.Assign(F("_sourceHost"), "host")),
    ("(a + b) / 2 as avg", a.Assign(a.BinaryOp("/", a.BinaryOp("+", F("a"), F("b")), N("2")), "avg")),
    ("count / 1000 as k", a.Assign(a.BinaryOp("/", F("count"), N("1000")), "k")),
    ("num(bytes)", a.Assign(a.Call("num", (F("bytes"),)))),
    ('formatDate(_messageTime, "yyyy-MM-dd") as day',
     a.Assign(a.Call("formatDate", (F("_messageTime"), S("yyyy-MM-dd"))), "day")),
    ("dedup by user", a.GenericStage("dedup", "by user")),
    ("kv \"a\",  \"b\"", a.GenericStage("kv", '"a", "b"')),
    ("parse xml \"/a/b\" as x", a.GenericStage("parse", 'xml "/a/b" as x')),
])
def test_stage(text, expected):
    got = stage(text)
    assert got == expected
    assert parse("x | " + text) == parse(parse("x | " + text).to_sumo())


def test_json_path_segments():
    path = stage("json \"a.b[0]['odd.key'][*].c\"").paths[0]
    assert path.text == "a.b[0]['odd.key'][*].c"
    assert path.segments == (a.JsonKey("a"), a.JsonKey("b"), a.JsonIndex(0), a.JsonKey("odd.key", bracketed=True),
                             a.JsonWildcard(), a.JsonKey("c"))


K = a.JsonKey
W = a.JsonWildcard


@pytest.mark.parametrize("path,segments", [
    ("a[*].b", (K("a"), W(), K("b"))),
    # JSONPath's `*` as a segment of its own: after a '.', at the start, or straight after a ']' (the Dropbox
    # app's `$['actor']*['email']`: the email of whichever member of actor has one)
    ("a.*.b", (K("a"), W(bracketed=False), K("b"))),
    ("*.b", (W(bracketed=False), K("b"))),
    ("$['actor']*['email']", (K("actor", bracketed=True), W(bracketed=False), K("email", bracketed=True))),
    ("$['actor']*.email", (K("actor", bracketed=True), W(bracketed=False), K("email"))),
    ("a[0]*", (K("a"), a.JsonIndex(0), W(bracketed=False))),
    ("a*b", (K("a*b"),)),  # a star inside a key is part of the key
])
def test_json_path_wildcards(path, segments):
    got = stage(f'json "{path}" as v')
    assert got.paths[0].segments == segments
    assert got.paths[0].text == path
    assert parse("x | " + f'json "{path}" as v') == parse(parse("x | " + f'json "{path}" as v').to_sumo())


def test_join_with_subqueries():
    s = stage('join (parse "a=*" as a) as t1, (parse "b=*" as b) as t2 on t1.a = t2.b timewindow 5m')
    assert isinstance(s, a.Join)
    assert [i.alias for i in s.inputs] == ["t1", "t2"]
    assert s.inputs[0].query.stages == (a.ParseAnchor((a.AnchorPattern("a=*", ("a",)),)),)
    assert s.on == a.BinaryOp("=", F("t1.a"), F("t2.b"))
    assert s.timewindow == "5m"


def test_positions_point_at_the_source():
    q = parse('_sourceCategory=aws\n| json "a" as x\n| where x = "b"')
    where_stage = q.stages[1]
    assert (where_stage.pos.line, where_stage.pos.column) == (3, 3)
    assert (where_stage.condition.left.pos.line, where_stage.condition.left.pos.column) == (3, 9)
    assert q.stages[0].paths[0].pos.column == 8


def test_positions_do_not_take_part_in_equality():
    assert parse("x | where a = 1") == parse("x\n\n|   where    a=1")


def test_ast_pickles_and_deep_copies_with_plain_strings():
    import copy
    import pickle

    q = parse('x | json "a" as b | b as c | count by c')
    for clone in (pickle.loads(pickle.dumps(q)), copy.deepcopy(q)):
        assert clone == q
        assert type(clone.stages[1].alias) is str


@pytest.mark.parametrize("node,text", [
    (a.Limit(5), "limit 5"),
    (a.BinaryOp("=", F("x"), a.Subquery("subquery: y")), "x = [subquery: y]"),
    (a.And((a.Keyword("k"), a.Or((a.Keyword("a"), a.Keyword("b"))))), "k AND (a OR b)"),
    (a.BinaryOp("-", F("a"), a.BinaryOp("-", F("b"), F("c"))), "a - (b - c)"),
    (a.Assign(a.Ternary(F("c"), S("a"), S("b")), "x"), 'c ? "a" : "b" as x'),
    (a.Where(a.BinaryOp("=", F("and"), F("odd name"))), 'where %"and" = %"odd name"'),
])
def test_render_single_nodes(node, text):
    from sumoctl.query.render import render

    assert render(node) == text
