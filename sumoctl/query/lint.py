"""Lint a parsed Sumo query: mistakes that parse fine but give wrong or empty results.

Rule ids are stable; the README ("The query language") describes each one.

* SUMO001 ``count_distinct(f)`` where ``f`` is also a ``by`` field: always 1 in every group.
* SUMO002 ``where`` / ``by`` on a field that no earlier stage defines.
* SUMO003 a negative or null comparison against a field parsed without ``nodrop``: messages missing the key
  were already dropped, so the comparison never sees them.
* SUMO004 an anchor ``parse`` whose pattern has no ``*``: it extracts nothing.
* SUMO005 an operator or function name that Sumo does not document.
* SUMO006 a query over Sumo's length limits (15,000 characters, 2,300 per word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sumoctl.query import ast as a
from sumoctl.query.names import AGGREGATE_FUNCTIONS, DOCUMENTED_FUNCTIONS, DOCUMENTED_OPERATORS

MAX_QUERY_CHARS = 15_000
MAX_WORD_CHARS = 2_300
_NAMED_GROUP = re.compile(r"\(\?P?<([A-Za-z][A-Za-z0-9_]*)>")
_LITERAL_NAMES = frozenset({"true", "false", "null"})


@dataclass(frozen=True)
class Finding:
    """One lint finding; ``line``/``column`` are 1-based in the parsed text."""

    rule: str
    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.rule} {self.message}"


def lint(query: a.Query, text: str | None = None) -> list[Finding]:
    """All findings for ``query``, in order of position. ``text`` (the parsed text) enables SUMO006 on
    the original spelling; without it the rendered query is measured."""
    findings: list[Finding] = []
    findings += _length_limits(text if text is not None else query.to_sumo())
    findings += _Walk(query).run()
    return sorted(findings, key=lambda f: (f.line, f.column, f.rule))


def _finding(rule: str, message: str, pos: a.Pos) -> Finding:
    return Finding(rule, message, max(pos.line, 1), max(pos.column, 1))


# ------------------------------------------------------------------------------------------ SUMO006

def _length_limits(text: str) -> list[Finding]:
    out = []
    if len(text) > MAX_QUERY_CHARS:
        out.append(Finding("SUMO006", f"query is {len(text):,} characters; Sumo allows at most {MAX_QUERY_CHARS:,}",
                           1, 1))
    for m in re.finditer(r"\S{%d,}" % (MAX_WORD_CHARS + 1), text):
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        out.append(Finding("SUMO006", f"a word of {len(m.group(0)):,} characters; Sumo allows at most "
                                      f"{MAX_WORD_CHARS:,} per word", line, col))
    return out


# ------------------------------------------------------------------------------------------ walking

def _subexpressions(node):
    """``node`` and every expression inside it, parents before children."""
    yield node
    if isinstance(node, a.Call):
        children = node.args
    elif isinstance(node, a.BinaryOp):
        children = (node.left, node.right)
    elif isinstance(node, a.UnaryOp):
        children = (node.operand,)
    elif isinstance(node, a.InList):
        children = (node.operand, *node.items)
    elif isinstance(node, a.Matches):
        children = (node.operand, node.pattern)
    elif isinstance(node, a.Ternary):
        children = (node.cond, node.then, node.otherwise)
    else:
        return
    for child in children:
        yield from _subexpressions(child)


def _field_refs(node):
    """Every FieldRef inside an expression (function names are not fields)."""
    return (n for n in _subexpressions(node) if isinstance(n, a.FieldRef))


def _calls(node):
    return (n for n in _subexpressions(node) if isinstance(n, a.Call))


def _stage_exprs(stage):
    """Expressions a stage evaluates (for SUMO005 function names)."""
    if isinstance(stage, a.Where):
        return [stage.condition]
    if isinstance(stage, a.Assign):
        return [stage.expr]
    if isinstance(stage, a.Aggregate):
        return [arg for call in stage.calls for arg in call.args]
    if isinstance(stage, a.Sort):
        return [k.expr for k in stage.keys]
    return []


def _negative_uses(expr, fields: dict, negated: bool = False):
    """(field ref, what) where a field of ``fields`` is tested in a way that selects messages *without* a
    value or with a different one: ``!=``, ``not in``, ``not matches``, ``!(x = ...)``, ``isNull(x)``...
    ``negated`` tracks the ``!`` / ``not`` around the test, so ``!isEmpty(x)`` (keep messages that have
    ``x``) is not flagged."""

    def tracked(node):
        return isinstance(node, a.FieldRef) and node.name.casefold() in fields

    if isinstance(expr, a.UnaryOp) and expr.op == "not":
        yield from _negative_uses(expr.operand, fields, not negated)
    elif isinstance(expr, a.BinaryOp) and expr.op in ("and", "or"):
        yield from _negative_uses(expr.left, fields, negated)
        yield from _negative_uses(expr.right, fields, negated)
    elif isinstance(expr, a.BinaryOp) and expr.op in ("=", "!="):
        if (expr.op == "!=") != negated:
            for side in (expr.left, expr.right):
                if tracked(side):
                    yield side, "a '!=' test" if not negated else "a negated '=' test"
    elif isinstance(expr, a.InList):
        if expr.negated != negated and tracked(expr.operand):
            yield expr.operand, "a 'not in' test"
    elif isinstance(expr, a.Matches):
        if expr.negated != negated and tracked(expr.operand):
            yield expr.operand, "a negated 'matches'"
    elif isinstance(expr, a.Call) and expr.lname in ("isnull", "isempty", "isblank"):
        if not negated and expr.args and tracked(expr.args[0]):
            yield expr.args[0], f"{expr.name}()"


class _Walk:
    """Follows the fields each stage defines, stage by stage."""

    def __init__(self, query: a.Query):
        self.query = query
        self.findings: list[Finding] = []
        self.defined: set[str] = set()
        self.known = True  # False once a stage may define fields we cannot name (json auto, kv, transpose...)
        self.dropping: dict[str, a.Pos] = {}  # field -> position of the parse without nodrop that defines it

    def run(self) -> list[Finding]:
        if self.query.scope is not None:
            self._scope(self.query.scope)
        for stage in self.query.stages:
            self._check(stage)
            self._define(stage)
        return self.findings

    def add(self, rule: str, message: str, pos: a.Pos) -> None:
        self.findings.append(_finding(rule, message, pos))

    def _scope(self, node) -> None:
        if isinstance(node, a.FieldMatch):
            self.defined.add(node.field.casefold())
        elif isinstance(node, (a.And, a.Or)):
            for item in node.items:
                self._scope(item)
        elif isinstance(node, a.Not):
            self._scope(node.operand)

    def _is_defined(self, name: str) -> bool:
        folded = name.casefold()
        return folded.startswith("_") or folded in self.defined or folded in _LITERAL_NAMES

    # -------------------------------------------------------------------------------------- checks
    def _check(self, stage) -> None:
        if isinstance(stage, a.GenericStage) and stage.name not in DOCUMENTED_OPERATORS:
            self.add("SUMO005", f"unknown operator '{stage.name}'", stage.pos)
        for expr in _stage_exprs(stage):
            for call in _calls(expr):
                if call.lname not in DOCUMENTED_FUNCTIONS and call.lname not in AGGREGATE_FUNCTIONS:
                    self.add("SUMO005", f"unknown function '{call.name}'", call.pos)
        if isinstance(stage, a.Aggregate):
            by = {b.casefold() for b in stage.by}
            for call in stage.calls:
                if call.function == "count_distinct" and call.args and isinstance(call.args[0], a.FieldRef) \
                        and call.args[0].name.casefold() in by:
                    name = call.args[0].name
                    self.add("SUMO001", f"count_distinct({name}) is always 1: '{name}' is also a 'by' field, so "
                                        "each group holds one value of it", call.pos)
            if self.known:
                for b in stage.by:
                    if not self._is_defined(b):
                        self.add("SUMO002", f"'by {b}': no earlier stage defines field '{b}'", stage.pos)
        if isinstance(stage, a.ParseAnchor):
            for pat in stage.patterns:
                if "*" not in pat.pattern:
                    self.add("SUMO004", f"anchor pattern {pat.pattern!r} has no '*', so it extracts nothing",
                             pat.pos)
        if isinstance(stage, a.Where):
            if self.known:
                seen = set()
                for ref in _field_refs(stage.condition):
                    if not self._is_defined(ref.name) and ref.name.casefold() not in seen:
                        seen.add(ref.name.casefold())
                        self.add("SUMO002", f"'where' uses field '{ref.name}', which no earlier stage defines",
                                 ref.pos)
            for ref, what in _negative_uses(stage.condition, self.dropping):
                at = self.dropping[ref.name.casefold()]
                self.add("SUMO003",
                         f"{what} on '{ref.name}', parsed without nodrop at {at.line}:{at.column}: messages "
                         "missing it were already dropped there, so this test never sees them (add nodrop)",
                         ref.pos)

    # -------------------------------------------------------------------------------------- definitions
    def _add_fields(self, names, stage=None, drops: bool = False) -> None:
        for name in names:
            folded = name.casefold()
            self.defined.add(folded)
            if drops and stage is not None:
                self.dropping.setdefault(folded, stage.pos)
            elif not drops:
                self.dropping.pop(folded, None)

    def _define(self, stage) -> None:
        if isinstance(stage, a.ParseRegex):  # also Extract
            names = [n for p in stage.patterns for n in _NAMED_GROUP.findall(p)]
            self._add_fields(names, stage, drops=not stage.nodrop)
        elif isinstance(stage, a.ParseAnchor):
            self._add_fields(stage.fields, stage, drops=not stage.nodrop)
        elif isinstance(stage, a.Json):
            if stage.auto:
                self.known = False
            names = stage.aliases or tuple(p.text for p in stage.paths)
            self._add_fields(names, stage, drops=not stage.nodrop and not stage.auto)
        elif isinstance(stage, a.Assign):
            if stage.alias is not None:
                self._add_fields([stage.alias])
        elif isinstance(stage, a.Lookup):
            if stage.all_fields:
                self.known = False
            self._add_fields([f.alias or f.name for f in stage.fields])
        elif isinstance(stage, a.Timeslice):
            self._add_fields([stage.alias or "_timeslice"])
        elif isinstance(stage, a.Aggregate):
            self.defined = {b.casefold() for b in stage.by}
            self.defined |= {c.alias.casefold() for c in stage.calls if c.alias}
            self.dropping = {}
        elif isinstance(stage, a.Fields):
            names = {n.casefold() for n in stage.names}
            self.defined = self.defined - names if stage.remove else self.defined & names | {
                n for n in self.defined if n.startswith("_")}
        elif isinstance(stage, (a.Csv, a.Split)):
            self._add_fields([i.name for i in stage.items])
        elif isinstance(stage, a.Top):
            self.defined |= {f.casefold() for f in stage.fields}
        elif isinstance(stage, (a.Transpose, a.Compare, a.Join, a.GenericStage)):
            # these add fields named by the data (transpose columns) or by rules we do not model
            self.known = False
