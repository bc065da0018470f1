"""Judging a `where` condition when only some of the fields it reads are known.

The prefilter knows a line's `eventName` long before it knows anything else, and most conditions are settled
by it: `(event_name matches "AddPermission*" and principal = "*") or (...)` is false for `DescribeInstances`
whatever `principal` holds. `partial(condition)` returns a function of the known fields that answers True or
False when they settle the condition, and None when they do not.

Why this agrees with the engine: the engine combines `and`, `or` and `!` as `truth(left) and truth(right)`,
`truth(left) or truth(right)` and `not truth(operand)` (sumoctl/engine/expr.py). Here every other node is a leaf,
compiled by the same ExprCompiler and evaluated only when all the fields it reads are known, with their values;
an unknown leaf may be true or false, and the connectives propagate that exactly as three-valued logic does. A
leaf that raises is treated as unknown, so a verdict is never made from an error.
"""

from __future__ import annotations

from collections.abc import Callable

from sumoctl.engine.expr import ExprCompiler
from sumoctl.engine.options import Semantics
from sumoctl.query import ast

Partial = Callable[[dict], "bool | None"]


def partial(condition: ast.Expr, semantics: Semantics) -> Partial:
    """A three-valued judge of `condition` over a dict of the fields known so far (case-folded names)."""
    names = ExprCompiler.references(condition)
    return _build(condition, ExprCompiler(semantics, {n: n for n in names}))


def _build(node: ast.Expr, compiler: ExprCompiler) -> Partial:
    if isinstance(node, ast.BinaryOp) and node.op in ("and", "or"):
        left, right = _build(node.left, compiler), _build(node.right, compiler)
        settles = node.op == "or"  # the value of one side that settles the whole: True for `or`, False for `and`

        def connective(known: dict) -> bool | None:
            a = left(known)
            if a is settles:
                return settles
            b = right(known)
            if b is settles:
                return settles
            return None if a is None or b is None else not settles

        return connective
    if isinstance(node, ast.UnaryOp) and node.op == "not":
        operand = _build(node.operand, compiler)

        def negation(known: dict) -> bool | None:
            value = operand(known)
            return None if value is None else not value

        return negation
    reads = frozenset(ExprCompiler.references(node))
    check = compiler.condition(node)

    def leaf(known: dict) -> bool | None:
        if not reads <= known.keys():
            return None
        try:
            return bool(check(known))
        except Exception:  # noqa: BLE001 - an error settles nothing; the full run meets it again
            return None

    return leaf


def deciders(condition: ast.Expr) -> frozenset[str]:
    """The fields that, known alone, can make `condition` false for some of their values: for a query, the
    fields worth reading first. `a and b` can be falsified by either side's; `a or b` only by a field that can
    falsify both; `!a` by a field that can make `a` true."""
    falsify, _ = _deciders(condition)
    return falsify


def _deciders(node: ast.Expr) -> tuple[frozenset[str], frozenset[str]]:
    """(fields that alone can make it false, fields that alone can make it true)."""
    if isinstance(node, ast.BinaryOp) and node.op in ("and", "or"):
        left_false, left_true = _deciders(node.left)
        right_false, right_true = _deciders(node.right)
        if node.op == "and":
            return left_false | right_false, left_true & right_true
        return left_false & right_false, left_true | right_true
    if isinstance(node, ast.UnaryOp) and node.op == "not":
        falsify, verify = _deciders(node.operand)
        return verify, falsify
    reads = frozenset(ExprCompiler.references(node))
    return (reads, reads) if len(reads) == 1 else (frozenset(), frozenset())
