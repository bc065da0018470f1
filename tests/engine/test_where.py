"""`where`: comparisons, null, type and case rules, in, matches, contains, boolean logic."""

import pytest

from sumoctl.engine import Semantics
from tests.engine.helpers import rows

J = '| json "eventName", "userIdentity.userName", "additionalEventData.count", "additionalEventData.ratio", "readOnly", "nope" as ev, user, n, ratio, ro, missing nodrop '

# (where condition, does the record pass?)
TABLE = [
    # equality: case-sensitive strings
    ('ev = "CreateUser"', True),
    ('ev == "CreateUser"', True),
    ('ev = "createuser"', False),
    ('ev != "CreateUser"', False),
    ('ev <> "DeleteUser"', True),
    # implicit number casts: a parsed string compares as a number against a number
    ("n = 3", True),
    ("n > 2", True),
    ("n >= 3.0", True),
    ("n < 3", False),
    ('n = "3"', True),
    ("ratio > 1", True),
    ("ratio = 1.5", True),
    # strings that are not numbers compare as text
    ('user > "Aaron"', True),
    ('user < "alice"', True),  # code-point order: upper case sorts first
    # booleans from JSON render as text
    ('ro = "false"', True),
    # null: every comparison is false, ! negates
    ('missing = "x"', False),
    ('missing != "x"', False),
    ('!(missing = "x")', True),
    ("missing > 1", False),
    ('missing in ("x")', False),
    ('missing not in ("x")', False),
    ('missing matches "*"', False),
    ("isNull(missing)", True),
    ("isEmpty(missing)", True),
    ("isBlank(missing)", True),
    ("!isNull(ev)", True),
    # in / not in: string equality, case-sensitive; numbers need a cast
    ('ev in ("DeleteUser", "CreateUser")', True),
    ('ev in ("createuser")', False),
    ('ev not in ("DeleteUser")', True),
    ('ev not in ("CreateUser")', False),
    ("n in (3, 4)", False),
    ("num(n) in (3, 4)", True),
    ('n in ("3")', True),
    # matches: whole-string glob, case-sensitive; regex literals match partially
    ('ev matches "Create*"', True),
    ('ev matches "*User"', True),
    ('ev matches "*eate*"', True),
    ('ev matches "Create"', False),
    ('ev matches "create*"', False),
    ('ev matches "*"', True),
    ("ev matches /eate/", True),
    ("ev matches /^eate/", False),
    ("ev matches /createuser/i", True),
    # a pattern that is an expression: its value in each message is the glob (a null one matches nothing)
    ('ev matches concat("Cre", "*")', True),
    ('ev not matches concat("Cre", "*")', False),
    ('ev matches concat(user, "*")', False),
    ("ev matches missing", False),
    ("ev not matches missing", True),
    ('ev not matches "Delete*"', True),
    # contains (operator and function), case-sensitive
    ('ev contains "User"', True),
    ('ev contains "user"', False),
    ('contains(ev, "eat")', True),
    # boolean logic and precedence
    ('ev = "CreateUser" and user = "Alice"', True),
    ('ev = "x" or user = "Alice"', True),
    ('not ev = "x"', True),
    ('ev = "x" or ev = "y" and user = "Alice"', False),
    ('(ev = "x" or ev = "CreateUser") and user = "Alice"', True),
    # if / ternary inside where
    ('if(n > 2, "big", "small") = "big"', True),
    ('(n > 5 ? "big" : "small") = "small"', True),
]


@pytest.mark.parametrize("condition, passes", TABLE)
def test_where(condition, passes):
    result = rows(J + "| where " + condition)
    assert (len(result) == 1) is passes


@pytest.mark.parametrize("condition, passes", TABLE)
def test_where_without_prefilter_agrees(condition, passes):
    assert (len(rows(J + "| where " + condition, prefilter=False)) == 1) is passes


def test_null_comparisons_switch_treats_null_as_empty_string():
    lenient = Semantics(null_comparisons_false=False)
    assert len(rows(J + '| where missing != "x"', semantics=lenient)) == 1
    assert len(rows(J + '| where missing = ""', semantics=lenient)) == 1
    assert len(rows(J + '| where missing != "x"')) == 0


def test_successive_wheres_are_and():
    assert len(rows(J + '| where ev = "CreateUser" | where user = "Bob"')) == 0
    assert len(rows(J + '| where ev = "CreateUser" | where user = "Alice"')) == 1


def test_boolean_field_as_condition():
    q = J + '| isPublicIP(_sourceIp) as pub' if False else J + '| isNull(missing) as gone | where gone'
    assert len(rows(q)) == 1
    assert len(rows(J + "| isNull(ev) as gone | where gone")) == 0


@pytest.mark.parametrize("condition, read", [
    ('ev = "CreateUser"', {"ev"}),
    ("toUpperCase(User) = concat(a, b, 1)", {"user", "a", "b"}),        # call arguments, case-folded
    ("!(n > 2) and -ratio < x", {"n", "ratio", "x"}),                   # unary and binary operators
    ('ev in ("A", other, "C")', {"ev", "other"}),                       # the operand and the items of in
    ('user matches "a*" or ev not matches /x/i', {"user", "ev"}),
    ("isNull(a) ? b : if(c, d, 2)", {"a", "b", "c", "d"}),             # each part of a ternary
    ('"constant" = "constant"', set()),
])
def test_references_are_every_field_an_expression_reads(condition, read):
    """What the prefilter and the partial evaluator rely on: a field left out would let them skip lines a
    query wants."""
    from sumoctl.engine.expr import ExprCompiler
    from sumoctl.query import parse

    where = parse(f"_sourceCategory=x | where {condition}").stages[0]
    assert ExprCompiler.references(where.condition) == read
