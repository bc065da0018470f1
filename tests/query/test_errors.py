"""Malformed queries are rejected with QuerySyntaxError at the right line and column."""

from __future__ import annotations

import pytest

from sumoctl.query import QuerySyntaxError, parse

S = "_sourceCategory=aws "

# (query, line, column, words the message must contain)
MALFORMED = [
    (S + "| where", 1, 28, "expected"),
    (S + "| where x =", 1, 32, "end of stage"),
    (S + '| where x = "a" and', 1, 40, "end of stage"),
    (S + '| where (x = "a"', 1, 29, "never closed"),
    (S + '| where x = "a")', 1, 36, "unbalanced ')'"),
    (S + '| where x in ("a", )', 1, 40, "unexpected ')'"),
    (S + '| where x in "a"', 1, 34, "expected '('"),
    (S + "| where x matches", 1, 38, "a /regex/"),
    (S + "| where x not", 1, 34, "'in' or 'matches'"),
    (S + "| where x = = 1", 1, 33, "unexpected '='"),
    (S + '| where x = "a" and and', 1, 41, "expected a field name"),
    ('"unterminated | count', 1, 1, "unterminated string"),
    (S + '| parse "a*b" as', 1, 37, "end of stage"),
    (S + '| parse "a*b*c" as x', 1, 29, "2 '*' but 1 field"),
    (S + '| parse "a**b" as x, y', 1, 29, "adjacent '**'"),
    (S + "| parse regex", 1, 34, "a quoted string"),
    (S + '| parse regex field= "(?<a>.)"', 1, 42, "expected a name"),
    (S + '| parse regex "(?<a>.)" nodrop extra', 1, 52, "unexpected 'extra'"),
    (S + "| json", 1, 23, "at least one"),
    (S + '| json "a", "b" as x', 1, 23, "2 path(s) but 1 name(s)"),
    (S + '| json "a..b"', 1, 28, "expected a key after '.'"),
    (S + '| json "a[x]"', 1, 28, "[n], [*] or ['key']"),
    (S + '| json "a[0" as x', 1, 28, "never closed"),
    (S + '| json keys "a"', 1, 23, "only valid with 'json auto'"),
    (S + '''| json "$['a']*b" as x''', 1, 28, "expected '.' or '[' after '*'"),
    (S + '''| json "$['a']**" as x''', 1, 28, "expected '.' or '[' after '*'"),
    (S + "| fillmissing timeslice with 0", 1, 51, "expected 'for'"),
    (S + "| fillmissing timeslice with for x", 1, 50, "a number or a quoted string"),
    (S + "| fillmissing timeslice with 5m for x", 1, 50, "a number, a quoted string or null"),
    (S + "| fillmissing timeslice with 0 for x,", 1, 58, "end of stage"),
    (S + "| fillmissing timeslice with 0 for", 1, 55, "expected a name"),
    (S + '| fillmissing values("a") in t takelast', 1, 52, "needs a timeslice generator"),
    (S + "| fillmissing timeslice takelast with 0 for x", 1, 54, "unexpected 'with'"),
    (S + '| json "a" as x nodrop field', 1, 49, "expected '='"),
    (S + "| count by", 1, 31, "expected a name"),
    (S + "| count by x,", 1, 34, "expected a name"),
    (S + "| count_distinct(x) as", 1, 43, "expected a name"),
    (S + "| sum(x) y by z", 1, 30, "unexpected 'y'"),
    (S + "| sort by x sideways", 1, 33, "unexpected 'sideways'"),
    (S + "| top x by y", 1, 27, "expected a number"),
    (S + "| limit ten", 1, 29, "expected a number"),
    (S + "| limit 1.5", 1, 29, "whole number"),
    (S + "| timeslice 5 minutes", 1, 33, "needs a duration"),
    (S + "| timeslice 5 buckets 3", 1, 43, "unexpected '3'"),
    (S + "| timeslice 1h as", 1, 38, "expected a name"),
    (S + "| lookup country_code from on ip=src_ip", 1, 48, "lookup source"),
    (S + "| lookup country_code from geo://location on", 1, 65, "expected a name"),
    (S + "| lookup from geo://location on ip=src_ip", 1, 35, "'from'"),
    (S + "| fields", 1, 29, "end of stage"),
    (S + "| fields a,,b", 1, 32, "unexpected"),
    (S + "| transpose row _timeslice", 1, 47, "'column'"),
    ("_sourceCategory=aws\n| where x = 1\n| | count", 3, 1, "empty stage"),
    (S + '| "lit"', 1, 23, "'as <field>'"),
    (S + "| if(x, 1, 2) as", 1, 37, "expected a name"),
    (S + "| concat(a b) as c", 1, 32, "unexpected"),
    (S + "| where x matches /abc", 1, 39, "unterminated regular expression"),
    (S + "/* never closed | count", 1, 21, "unterminated /* comment"),
    (S + '| where x = "a" | count by (x', 1, 48, "never closed"),
    ("_sourceCategory=aws) | count", 1, 20, "unbalanced ')'"),
    ("_sourceCategory= | count", 1, 17, "a value"),
    ("(_sourceCategory=aws OR) | count", 1, 24, "unexpected ')'"),
    ("_sourceCategory=aws AND | count", 1, 24, "end of stage"),
    ("NOT | count", 1, 4, "end of stage"),
    (S + "| csv _raw extract", 1, 39, "end of stage"),
    (S + "| save", 1, 27, "a /path"),
    (S + "| compare with", 1, 35, "'timeshift'"),
    (S + "| outlier", 1, 30, "expected a name"),
    (S + '| parse "a*" as x | where x > 5 ?', 1, 54, "end of stage"),
    ('_sourceCategory=aws\n| json field=_raw "eventName" as event_name\n| where event_name = "ConsoleLogin" and',
     3, 40, "end of stage"),
    ("_sourceCategory=aws\n  | parse regex \"(?<raw>{.*)\"\n  | timeslice 1h\n  | count by _timeslice,\n", 4, 25,
     "expected a name"),
    ("_sourceCategory=aws // a comment | not a pipe\n| where\tx ==", 2, 13, "end of stage"),
]


@pytest.mark.parametrize("query,line,column,words", MALFORMED, ids=[q for q, *_ in MALFORMED])
def test_malformed_query_is_rejected_at_its_position(query, line, column, words):
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    err = info.value
    assert (err.line, err.column) == (line, column), err.message
    assert words in err.message


def test_table_is_large_enough():
    assert len(MALFORMED) >= 40


def test_error_renders_one_line_and_a_caret_excerpt():
    with pytest.raises(QuerySyntaxError) as info:
        parse("_sourceCategory=aws\n| where x in \"a\"")
    err = info.value
    assert str(err) == "line 2, column 14: unexpected '\"a\"': expected '('"
    assert "\n" not in str(err)
    assert err.excerpt() == '| where x in "a"\n             ^'


def test_excerpt_keeps_tabs_so_the_caret_lines_up():
    with pytest.raises(QuerySyntaxError) as info:
        parse("x\n|\twhere y ==")
    # the caret sits under column 13: one space for '|', the tab kept, ten spaces for "where y =="
    assert info.value.excerpt().splitlines()[1] == " \t" + " " * 10 + "^"


def test_positions_count_from_the_substituted_text():
    with pytest.raises(QuerySyntaxError) as info:
        parse("{{src}} | limit {{n}}", placeholders={"src": "_sourceCategory=aws", "n": "ten"})
    assert (info.value.line, info.value.column) == (1, 29)


def test_absurd_nesting_is_a_syntax_error_not_a_recursion_error():
    with pytest.raises(QuerySyntaxError) as info:
        parse("x | where a" + " + a" * 5000)
    assert "nested more than" in info.value.message
    # parentheses alone do not nest nodes, and a long flat scope is fine
    assert parse("x | where " + "(" * 300 + "a" + ")" * 300).stages[0].condition.name == "a"
    assert len(parse("a " * 5000).scope.items) == 5000
