"""Render an AST back to Sumo query text.

The output is canonical rather than a copy of the input (one stage per line, ``AND`` written out, options
in a fixed order), chosen so that parsing it gives an equal AST: the round-trip property the tests check
over the whole corpus.
"""

from __future__ import annotations

import re
from functools import singledispatch

from sumoctl.query import ast as a

_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$")
# words the grammar reads as keywords where a field name could stand; such fields are written %"..."
RESERVED = frozenset(
    {"and", "or", "not", "in", "matches", "contains", "as", "by", "group", "from", "on", "nodrop", "field",
     "asc", "desc", "multi", "regex", "auto", "keys", "maxdepth", "extractarrays", "refonly", "with",
     "timeshift", "row", "column", "extract", "buckets", "append", "timewindow", "noquote", "true", "false"}
)


def string(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def field_name(name: str) -> str:
    if _PLAIN_FIELD.match(name) and name.lower() not in RESERVED:
        return name
    return "%" + string(name)


def field_list(names) -> str:
    return ", ".join(field_name(n) for n in names)


def render(node) -> str:
    """Sumo text of any node (a whole :class:`~sumoctl.query.ast.Query`, a stage, a scope or an expression)."""
    if isinstance(node, a.Query):
        return _query(node)
    if isinstance(node, a.ScopeExpr.__args__) and not isinstance(node, a.Subquery):
        return _scope(node)
    if isinstance(node, a.Expr.__args__):
        return expr(node)
    return _stage(node)


def _query(q: a.Query) -> str:
    parts = [_scope(q.scope) if q.scope is not None else ""]
    parts += [_stage(s) for s in q.stages]
    return "\n| ".join(parts)


# ---------------------------------------------------------------------------------------------- scope

def _scope(node) -> str:
    if isinstance(node, a.Keyword):
        return node.text
    if isinstance(node, a.Phrase):
        return string(node.value)
    if isinstance(node, a.FieldMatch):
        value = string(node.value) if node.quoted else node.value
        return f"{_scope_field(node.field)}{node.op}{value}"
    if isinstance(node, a.Subquery):
        return f"[{node.text}]"
    if isinstance(node, a.Not):
        inner = _scope(node.operand)
        if isinstance(node.operand, (a.And, a.Or)):
            inner = f"({inner})"
        return f"NOT {inner}"
    if isinstance(node, (a.And, a.Or)):
        word = " AND " if isinstance(node, a.And) else " OR "
        items = []
        for item in node.items:
            text = _scope(item)
            # parentheses made the nesting in the first place, so they must come back to keep the structure
            if isinstance(item, (a.And, a.Or)):
                text = f"({text})"
            items.append(text)
        return word.join(items)
    raise TypeError(f"not a scope node: {node!r}")


def _scope_field(name: str) -> str:
    # A name ending in an odd run of backslashes has no %"..." form (the last backslash would escape the
    # closing quote), but the scope reads it back as a bare term: `\<0`.
    trailing = len(name) - len(name.rstrip("\\"))
    if trailing % 2 and _SCOPE_TERM.fullmatch(name):
        return name
    return field_name(name)


_SCOPE_TERM = re.compile(r'[^\s"()\[\]|=!<>%]+')


# ---------------------------------------------------------------------------------------------- expressions

# binding strength, low to high
_PREC_TERNARY, _PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_ADD, _PREC_MUL, _PREC_UNARY, _PREC_ATOM = range(9)
_BINARY_PREC = {
    "or": _PREC_OR, "and": _PREC_AND,
    "=": _PREC_CMP, "!=": _PREC_CMP, "<": _PREC_CMP, "<=": _PREC_CMP, ">": _PREC_CMP, ">=": _PREC_CMP,
    "contains": _PREC_CMP,
    "+": _PREC_ADD, "-": _PREC_ADD, "*": _PREC_MUL, "/": _PREC_MUL, "%": _PREC_MUL,
}


def _prec(node) -> int:
    if isinstance(node, a.Ternary):
        return _PREC_TERNARY
    if isinstance(node, a.BinaryOp):
        return _BINARY_PREC[node.op]
    if isinstance(node, a.UnaryOp):
        return _PREC_NOT if node.op == "not" else _PREC_UNARY
    if isinstance(node, (a.InList, a.Matches)):
        return _PREC_CMP
    return _PREC_ATOM


def _wrap(node, min_prec: int) -> str:
    text = expr(node)
    return f"({text})" if _prec(node) < min_prec else text


def expr(node) -> str:
    """Sumo text of an expression, with only the parentheses its structure needs."""
    if isinstance(node, a.StringLit):
        return string(node.value)
    if isinstance(node, a.NumberLit):
        return node.text
    if isinstance(node, a.RegexLit):
        return f"/{node.pattern}/{node.flags}"
    if isinstance(node, a.FieldRef):
        return field_name(node.name)
    if isinstance(node, a.Call):
        return f"{node.name}({', '.join(expr(x) for x in node.args)})"
    if isinstance(node, a.BinaryOp):
        p = _BINARY_PREC[node.op]
        # comparisons do not chain, so both sides of one bind tighter; others are left-associative
        left_min = p + 1 if p == _PREC_CMP else p
        return f"{_wrap(node.left, left_min)} {node.op} {_wrap(node.right, p + 1)}"
    if isinstance(node, a.UnaryOp):
        if node.op == "not":
            return f"!{_wrap(node.operand, _PREC_CMP)}"
        return f"-{_wrap(node.operand, _PREC_ATOM)}"
    if isinstance(node, a.InList):
        word = " not in " if node.negated else " in "
        return f"{_wrap(node.operand, _PREC_ADD)}{word}({', '.join(expr(x) for x in node.items)})"
    if isinstance(node, a.Matches):
        word = " not matches " if node.negated else " matches "
        return f"{_wrap(node.operand, _PREC_ADD)}{word}{_wrap(node.pattern, _PREC_ADD)}"
    if isinstance(node, a.Subquery):
        return f"[{node.text}]"
    if isinstance(node, a.Ternary):
        return (f"{_wrap(node.cond, _PREC_OR)} ? {_wrap(node.then, _PREC_OR)} : "
                f"{_wrap(node.otherwise, _PREC_TERNARY)}")
    raise TypeError(f"not an expression: {node!r}")


# ---------------------------------------------------------------------------------------------- stages

@singledispatch
def _stage(node) -> str:
    raise TypeError(f"not a stage: {node!r}")


def _field_opt(field: str | None) -> str:
    return f" field={field_name(field)}" if field is not None else ""


@_stage.register
def _(s: a.ParseRegex) -> str:
    word = "extract" if isinstance(s, a.Extract) else "parse regex"
    text = f"{word}{_field_opt(s.field)} " + ", ".join(string(p) for p in s.patterns)
    return text + (" multi" if s.multi else "") + (" nodrop" if s.nodrop else "")


@_stage.register
def _(s: a.ParseAnchor) -> str:
    pats = ", ".join(f"{string(p.pattern)} as {field_list(p.fields)}" for p in s.patterns)
    return f"parse{_field_opt(s.field)} {pats}" + (" nodrop" if s.nodrop else "")


@_stage.register
def _(s: a.Json) -> str:
    parts = ["json"]
    if s.auto:
        parts.append("auto")
    if s.field is not None:
        parts.append(f"field={field_name(s.field)}")
    if s.maxdepth is not None:
        parts.append(f"maxdepth {s.maxdepth}")
    if s.extractarrays:
        parts.append("extractarrays")
    if s.paths:
        if s.auto:
            parts.append("keys")
        parts.append(", ".join(string(p.text) for p in s.paths))
    if s.refonly:
        parts.append("refonly")
    if s.aliases:
        parts.append("as " + field_list(s.aliases))
    if s.nodrop:
        parts.append("nodrop")
    return " ".join(parts)


@_stage.register
def _(s: a.Where) -> str:
    return f"where {expr(s.condition)}"


@_stage.register
def _(s: a.Assign) -> str:
    if s.alias is None:
        return expr(s.expr)
    return f"{_wrap(s.expr, _PREC_TERNARY)} as {field_name(s.alias)}"


@_stage.register
def _(s: a.Lookup) -> str:
    if s.all_fields:
        cols = "*"
    else:
        cols = ", ".join(field_name(f.name) + (f" as {field_name(f.alias)}" if f.alias else "") for f in s.fields)
    source = s.source
    if source.startswith("path://"):
        source = "path://" + string(source[len("path://"):])
    text = f"lookup {cols} from {source}"
    if s.on:
        text += " on " + ", ".join(f"{field_name(o.key)}={field_name(o.field)}" for o in s.on)
    return text + (" nodrop" if s.nodrop else "")


@_stage.register
def _(s: a.Timeslice) -> str:
    if s.buckets is not None:
        text = f"timeslice {s.buckets} buckets"
    else:
        text = "timeslice" + (f" {s.size}" if s.size else "")
    return text + (f" as {field_name(s.alias)}" if s.alias else "")


def _agg_call(c: a.AggCall) -> str:
    if c.function == "count_frequent":
        text = "count_frequent " + ", ".join(expr(x) for x in c.args)
    elif c.function == "count" and not c.args:
        text = "count"
    else:
        text = f"{c.function}({', '.join(expr(x) for x in c.args)})"
    return text + (f" as {field_name(c.alias)}" if c.alias else "")


@_stage.register
def _(s: a.Aggregate) -> str:
    text = ", ".join(_agg_call(c) for c in s.calls)
    return text + (f" by {field_list(s.by)}" if s.by else "")


@_stage.register
def _(s: a.Sort) -> str:
    if not s.keys:
        return "sort"
    return "sort by " + ", ".join(_wrap(k.expr, _PREC_ADD) + (" asc" if k.ascending else " desc") for k in s.keys)


@_stage.register
def _(s: a.Top) -> str:
    text = f"top {s.limit} {field_list(s.fields)}"
    if s.order:
        return text + " by " + ", ".join(_wrap(k.expr, _PREC_ADD) + (" asc" if k.ascending else " desc")
                                         for k in s.order)
    return text + (f" by {field_list(s.by)}" if s.by else "")


@_stage.register
def _(s: a.Limit) -> str:
    return f"limit {s.count}"


@_stage.register
def _(s: a.Fields) -> str:
    return ("fields - " if s.remove else "fields ") + field_list(s.names)


@_stage.register
def _(s: a.Transpose) -> str:
    text = f"transpose row {field_list(s.row)} column {field_list(s.column)}"
    if s.aliases:
        text += " as " + ", ".join(x if x == "*" else field_name(x) for x in s.aliases)
    return text


@_stage.register
def _(s: a.Fillmissing) -> str:
    items = [(expr(i.generator) if i.generator.args else i.generator.name)
             + (f" {i.qualifier}" if i.qualifier else "")
             + (f" in {field_name(i.field)}" if i.field else "") for i in s.items]
    text = "fillmissing " + ", ".join(items)
    if s.defaults:
        text += " with " + ", ".join(("null" if d.value is None else expr(d.value)) + f" for {field_name(d.field)}"
                                     for d in s.defaults)
    return text + (" takelast" if s.take_last else "")


@_stage.register
def _(s: a.Compare) -> str:
    shifts = []
    for sh in s.shifts:
        t = f"timeshift {sh.period}"
        if sh.count is not None:
            t += f" {sh.count}"
        if sh.aggregate:
            t += f" {sh.aggregate}"
        if sh.alias:
            t += f" as {field_name(sh.alias)}"
        shifts.append(t)
    return "compare with " + ", ".join(shifts)


@_stage.register
def _(s: a.Outlier) -> str:
    text = f"outlier {field_name(s.series)}"
    if s.options:
        text += " " + ", ".join(f"{k}={v}" for k, v in s.options)
    return text + (f" by {field_list(s.by)}" if s.by else "")


def _extract_items(items) -> str:
    return ", ".join((f"{i.position} as " if i.position is not None else "") + field_name(i.name) for i in items)


def _options(options) -> str:
    return "".join(f" {k}={v}" if v != "" else f" {k}" for k, v in options)


@_stage.register
def _(s: a.Csv) -> str:
    return f"csv {field_name(s.field)}{_options(s.options)} extract {_extract_items(s.items)}"


@_stage.register
def _(s: a.Split) -> str:
    return f"split {field_name(s.field)}{_options(s.options)} extract {_extract_items(s.items)}"


@_stage.register
def _(s: a.Save) -> str:
    return "save " + ("append " if s.append else "") + s.path


def _join_input(q: a.Query) -> str:
    parts = ([_scope(q.scope)] if q.scope is not None else []) + [_stage(st) for st in q.stages]
    return " | ".join(parts)


@_stage.register
def _(s: a.Join) -> str:
    inputs = ", ".join(f"({_join_input(i.query)}) as {field_name(i.alias)}" for i in s.inputs)
    text = f"join {inputs}"
    if s.on is not None:
        text += f" on {expr(s.on)}"
    if s.timewindow:
        text += f" timewindow {s.timewindow}"
    return text


@_stage.register
def _(s: a.GenericStage) -> str:
    # `x/*` glued is not a comment, `x /*` is: keep a leading slash glued to the name
    sep = "" if s.args.startswith("/") else " "
    return f"{s.name}{sep}{s.args}".rstrip()
