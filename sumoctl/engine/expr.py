"""Compiling `where` conditions and field expressions into Python closures over a message's fields.

A message is a dict from case-folded field name to value (Sumo resolves field names case-insensitively).
Comparison rules (null, type and case) are Sumo's as far as documented; the undocumented ones are switches in
:class:`~sumoctl.engine.options.Semantics`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools
import math
import re
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sumoctl.engine.errors import QueryInvalid, QueryNotSupported
from sumoctl.engine.options import Semantics
from sumoctl.engine.values import display, to_number, truth
from sumoctl.query import ast

Fields = dict[str, Any]
Compiled = Callable[[Fields], Any]

# True: compile every expression, stage and aggregate as the plain closures that define them, without the
# generated functions that stand in for them (tests compare the two; nothing else sets it).
REFERENCE = False


# --- patterns -----------------------------------------------------------------------------------------------


def java_regex(pattern: str) -> str:
    """A Java/RE2 regex in Python's dialect: named groups `(?<name>` become `(?P<name>`, and an inline flag
    group after the start (`"(?i)userName":...`), which Java applies from there to the end of the enclosing
    group and Python refuses, becomes a scoped group over that same stretch."""
    return _scope_inline_flags(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern))


_FLAG_GROUP = re.compile(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?\)")
_PY_FLAGS = "imsx"  # Java's d, u, U, c have no Python counterpart worth keeping (str patterns are Unicode)


def _class_end(p: str, i: int) -> int:
    """The index just past the character class that opens at p[i] == '['."""
    i += 1
    if i < len(p) and p[i] == "^":
        i += 1
    if i < len(p) and p[i] == "]":
        i += 1
    while i < len(p) and p[i] != "]":
        i += 2 if p[i] == "\\" else 1
    return i + 1


def _structural(p: str, i: int = 0):
    """(index, character) of the pattern's characters from p[i] on that can open or close a group: escapes and
    character classes are stepped over whole."""
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
        elif c == "[":
            i = _class_end(p, i)
        else:
            yield i, c
            i += 1


def _group_end(p: str, i: int) -> int:
    """The index of the `)` closing the group that encloses p[i] (len(p) at top level)."""
    depth = 0
    for i, c in _structural(p, i):
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return i
            depth -= 1
    return len(p)


def _scope_inline_flags(p: str, top: bool = True) -> str:
    for i, c in _structural(p):
        if c == "(" and not (top and i == 0):
            m = _FLAG_GROUP.match(p, i)
            if m:
                on = "".join(f for f in m.group(1) if f in _PY_FLAGS)
                off = "".join(f for f in (m.group(2) or "") if f in _PY_FLAGS)
                end = _group_end(p, m.end())
                head = "(?" + on + ("-" + off if off else "") + ":"
                return p[:i] + head + _scope_inline_flags(p[m.end():end], False) + ")" + _scope_inline_flags(p[end:], False)
    return p


def compile_regex(pattern: str, flags: int, pos: ast.Pos) -> re.Pattern:
    try:
        return re.compile(java_regex(pattern), flags)
    except re.error as err:
        raise QueryInvalid(f"invalid regular expression {pattern!r}: {err}", pos) from None


def glob_regex(glob: str, ignore_case: bool = False) -> re.Pattern:
    """`matches "fail*"`: `*` is any run of characters and the pattern must match the whole string."""
    body = ".*".join(re.escape(part) for part in glob.split("*"))
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


# --- comparisons ---------------------------------------------------------------------------------------------


class Comparer:
    """`=`, `<` and friends with Sumo's implicit casts: two strings compare as text (case-sensitive); when
    either side is a number, both are compared as numbers if both convert."""

    def __init__(self, semantics: Semantics):
        self.null_false = semantics.null_comparisons_false

    def _nulls(self, a, b):
        if not self.null_false:
            return ("" if a is None else a), ("" if b is None else b)
        return a, b

    def equal(self, a, b) -> bool:
        a, b = self._nulls(a, b)
        if a is None or b is None:
            return False
        if isinstance(a, str) and isinstance(b, str):
            return a == b
        na, nb = to_number(a), to_number(b)
        if na is not None and nb is not None:
            return na == nb
        return display(a) == display(b)

    def not_equal(self, a, b) -> bool:
        a, b = self._nulls(a, b)
        if a is None or b is None:
            return False
        return not self.equal(a, b)

    def order(self, op: str, a, b) -> bool:
        a, b = self._nulls(a, b)
        if a is None or b is None:
            return False
        na, nb = to_number(a), to_number(b)
        if na is not None and nb is not None:
            x, y = na, nb
        else:
            x, y = display(a), display(b)
        if op == "<":
            return x < y
        if op == "<=":
            return x <= y
        if op == ">":
            return x > y
        return x >= y

    def member(self, a, items: list) -> bool:
        """`in`: string equality with the listed values; a number in the list matches only a numeric value
        (a parsed string needs `num()` first, as the docs say)."""
        a, _ = self._nulls(a, "")
        if a is None:
            return False
        for item in items:
            if isinstance(a, str) and not isinstance(item, str):
                continue
            if self.equal(a, item):
                return True
        return False


# --- the compiler --------------------------------------------------------------------------------------------


class ExprCompiler:
    """Compiles expressions for one stage, checking every referenced field is known at that point."""

    def __init__(self, semantics: Semantics, known: dict[str, str]):
        self.semantics = semantics
        self.known = known  # case-folded name -> spelling first seen
        self.cmp = Comparer(semantics)

    @staticmethod
    def references(expr: ast.Expr) -> set[str]:
        """The fields an expression reads, case-folded: every field reference anywhere below it. The prefilter
        skips lines by these, so the walk goes through every child node, whatever its kind."""
        found: set[str] = set()
        pending: list[Any] = [expr]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.FieldRef):
                found.add(node.name.casefold())
            elif isinstance(node, ast.Node):
                for child in dataclasses.fields(node):
                    value = getattr(node, child.name)
                    pending.extend(value if isinstance(value, tuple) else (value,))
        return found

    def compile(self, node: ast.Expr) -> Compiled:
        """The expression as one function of the message: see `_Inliner` (the closures below are its fallback
        and the reference for what each node means)."""
        if REFERENCE:
            return self.closure(node)
        inliner = _Inliner(self)
        return inliner.function(inliner.expr(node))

    def closure(self, node: ast.Expr) -> Compiled:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise QueryNotSupported(f"expression {type(node).__name__} is not supported offline", node.pos)
        return method(node)

    def condition(self, node: ast.Expr) -> Callable[[Fields], bool]:
        if REFERENCE:
            fn = self.closure(node)
            return lambda f: truth(fn(f))
        inliner = _Inliner(self)
        return inliner.function(inliner.condition(node))

    # literals and fields

    def _StringLit(self, node: ast.StringLit) -> Compiled:
        value = node.value
        return lambda f: value

    def _NumberLit(self, node: ast.NumberLit) -> Compiled:
        value = node.value
        if value is None:
            value = parse_quantity(node.text)
            if value is None:
                raise QueryInvalid(f"not a number: {node.text}", node.pos)
        return lambda f: value

    def _RegexLit(self, node: ast.RegexLit) -> Compiled:
        raise QueryInvalid("a /regex/ literal is only allowed after `matches` or in replace()", node.pos)

    def _FieldRef(self, node: ast.FieldRef) -> Compiled:
        key = node.name.casefold()
        if key in ("true", "false") and key not in self.known:
            # Dashboards write `if("{{user}}" = "*", true, user matches "{{user}}")`: a boolean constant.
            return (lambda f: True) if key == "true" else (lambda f: False)
        if key not in self.known:
            raise QueryInvalid(f"field {node.name!r} not found (it is never parsed or assigned before this stage)", node.pos)
        return lambda f: f.get(key)

    # operators

    def _BinaryOp(self, node: ast.BinaryOp) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        op, cmp = node.op, self.cmp
        if op == "and":
            return lambda f: truth(left(f)) and truth(right(f))
        if op == "or":
            return lambda f: truth(left(f)) or truth(right(f))
        if op in ("=", "=="):
            return lambda f: cmp.equal(left(f), right(f))
        if op in ("!=", "<>"):
            return lambda f: cmp.not_equal(left(f), right(f))
        if op in ("<", "<=", ">", ">="):
            return lambda f: cmp.order(op, left(f), right(f))
        if op == "contains":
            return lambda f: _contains(left(f), right(f))
        if op in ("+", "-", "*", "/", "%"):
            return lambda f: _arith(op, left(f), right(f))
        raise QueryNotSupported(f"operator {op!r} is not supported offline", node.pos)

    def _UnaryOp(self, node: ast.UnaryOp) -> Compiled:
        operand = self.compile(node.operand)
        if node.op == "not":
            return lambda f: not truth(operand(f))
        if node.op == "-":
            return lambda f: _negate(operand(f))
        raise QueryNotSupported(f"operator {node.op!r} is not supported offline", node.pos)

    def _InList(self, node: ast.InList) -> Compiled:
        operand = self.compile(node.operand)
        if all(isinstance(i, (ast.StringLit, ast.NumberLit)) for i in node.items):
            items = [self.compile(i)(None) for i in node.items]
            strings = frozenset(i for i in items if isinstance(i, str))
            if len(strings) == len(items) and self.semantics.null_comparisons_false:
                # The common case (`event_name in ("A", "B")`) as one set lookup.
                if node.negated:
                    return lambda f: _not_in_strings(operand(f), strings)
                return lambda f: _in_strings(operand(f), strings)
            get_items = lambda f: items  # noqa: E731
        else:
            compiled = [self.compile(i) for i in node.items]
            get_items = lambda f: [c(f) for c in compiled]  # noqa: E731
        cmp = self.cmp
        if node.negated:
            def not_in(f):
                value = operand(f)
                if value is None and cmp.null_false:
                    return False
                return not cmp.member(value, get_items(f))
            return not_in
        return lambda f: cmp.member(operand(f), get_items(f))

    def _Matches(self, node: ast.Matches) -> Compiled:
        operand = self.compile(node.operand)
        pattern = node.pattern
        null_false = self.semantics.null_comparisons_false
        if isinstance(pattern, ast.RegexLit):
            flags = re.IGNORECASE if "i" in pattern.flags else 0
            regex = compile_regex(pattern.pattern, flags, pattern.pos)
            test = lambda s, f: regex.search(s) is not None  # noqa: E731  partial match (notes, probe P2)
        elif isinstance(pattern, ast.StringLit):
            regex = glob_regex(pattern.value)
            test = lambda s, f: regex.fullmatch(s) is not None  # noqa: E731
        else:
            dynamic = self.compile(pattern)
            cache: dict[str, re.Pattern] = {}

            def test(s, f):  # the glob is the value of the pattern's expression in this message
                glob = display(dynamic(f))
                if glob is None:
                    return False
                if glob not in cache:
                    cache[glob] = glob_regex(glob)
                return cache[glob].fullmatch(s) is not None

        negated = node.negated

        def matches(f):
            value = operand(f)
            if value is None:
                if null_false:
                    return False
                value = ""
            result = test(display(value), f)
            return (not result) if negated else result

        return matches

    def _Ternary(self, node: ast.Ternary) -> Compiled:
        cond, then, otherwise = self.condition(node.cond), self.compile(node.then), self.compile(node.otherwise)
        return lambda f: then(f) if cond(f) else otherwise(f)

    def _Call(self, node: ast.Call) -> Compiled:
        name = node.lname
        if name == "if":
            if len(node.args) != 3:
                raise QueryInvalid("if() takes a condition and two values", node.pos)
            return self._Ternary(ast.Ternary(node.args[0], node.args[1], node.args[2], pos=node.pos))
        if name == "replace" and len(node.args) == 3 and isinstance(node.args[1], ast.RegexLit):
            return self._replace_regex(node)
        if name == "formatdate":
            return self._format_date(node)
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise QueryNotSupported(f"function {node.name}() is not supported offline", node.pos)
        fn, low, high = spec
        if not (low <= len(node.args) <= high):
            raise QueryInvalid(f"{node.name}() takes {low}..{high} arguments, got {len(node.args)}", node.pos)
        args = [self.compile(a) for a in node.args]
        if len(args) == 1:
            a0 = args[0]
            return lambda f: fn(a0(f))
        if len(args) == 2:
            a0, a1 = args
            return lambda f: fn(a0(f), a1(f))
        return lambda f: fn(*[a(f) for a in args])

    def _replace_regex(self, node: ast.Call) -> Compiled:
        source, replacement = self.compile(node.args[0]), self.compile(node.args[2])
        lit = node.args[1]
        regex = compile_regex(lit.pattern, re.IGNORECASE if "i" in lit.flags else 0, lit.pos)

        def replace(f):
            value, repl = source(f), replacement(f)
            if value is None:
                return None
            template = re.sub(r"\$\{(\w+)\}|\$(\d+)", lambda m: "\\g<" + (m.group(1) or m.group(2)) + ">", display(repl) or "")
            return regex.sub(template, display(value))

        return replace

    def _format_date(self, node: ast.Call) -> Compiled:
        if not 1 <= len(node.args) <= 3:
            raise QueryInvalid("formatDate() takes a time in ms, an optional pattern and an optional time zone", node.pos)
        args = [self.compile(a) for a in node.args]
        default_tz = self.semantics.timezone
        hourly = not REFERENCE and _hourly_utc(node, default_tz)
        if hourly:
            # A UTC pattern of hours and coarser (`HH`, `EEE`, `yyyy-MM-dd`) prints the same for every time in
            # one hour: printed once per hour.
            ms_of, pattern = args[0], node.args[1].value or ""
            printed: dict[Any, str] = {}

            def format_hour(f):
                ms = to_number(ms_of(f))
                if ms is None:
                    return None
                hour = ms // 3_600_000
                text = printed.get(hour)
                if text is None:
                    text = java_date_format(datetime.fromtimestamp(ms / 1000, timezone.utc), pattern)
                    if len(printed) < 100_000:
                        printed[hour] = text
                return text

            return format_hour

        def format_date(f):
            ms = to_number(args[0](f))
            if ms is None:
                return None
            pattern = display(args[1](f)) if len(args) > 1 else "MM/dd/yyyy HH:mm:ss"
            zone = display(args[2](f)) if len(args) > 2 else default_tz
            try:
                tz = ZoneInfo(zone) if zone and zone != "UTC" else timezone.utc
            except Exception:
                return None
            when = datetime.fromtimestamp(ms / 1000, tz)
            return java_date_format(when, pattern or "")

        return format_date


# --- inlining ------------------------------------------------------------------------------------------------

# Calls whose result is always a bool: as a condition they need no `truth()`.
_BOOLEAN_CALLS = frozenset(["isnull", "isempty", "isblank", "contains", "isprivateip", "ispublicip", "isvalidip", "isvalidipv4",
                            "isvalidipv6"])
_COMPARISONS = frozenset(["and", "or", "=", "==", "!=", "<>", "<", "<=", ">", ">=", "contains"])


_NAMES = itertools.count()


class _Inliner:
    """Writes an expression as Python source over the message `f`, compiled once into one function.

    A detection's conditions and assignments are small trees (`if(isBlank(a), b, a)`, `x = "A" and y in (...)`):
    as closures every node is a Python call; inlined they are one. Each node written here means exactly what
    its closure in `ExprCompiler` means (same helpers, same order of evaluation, same errors at compile time);
    every other node is the closure itself, called from the source."""

    def __init__(self, compiler: ExprCompiler):
        self.compiler = compiler
        # Every name is unique across inliners (`_e<n>`), so that the pipeline can paste the sources of several
        # expressions into one function (see `Compiled.inline` and compiler.pipeline).
        self.names: dict[str, Any] = dict(_INLINE_HELPERS)
        self.equal = self.bind(compiler.cmp.equal)
        self.not_equal = self.bind(compiler.cmp.not_equal)
        self.fallbacks = 0
        self.nodes = 0

    def bind(self, value: Any) -> str:
        name = f"_e{next(_NAMES)}"
        self.names[name] = value
        return name

    def temp(self) -> str:
        return f"_e{next(_NAMES)}"  # a local of the function (assigned by a walrus)

    def function(self, source: str) -> Compiled:
        if self.nodes == 1 and self.fallbacks == 1:
            return self.names[source[:-3]]  # nothing inlined: the closure as it is
        code = f"def expression(f):\n    return {source}"
        exec(compile(code, "<expression>", "exec"), self.names)
        fn = self.names["expression"]
        fn.inline = (source, self.names)  # for compiler.pipeline: `source` over the message `f`
        return fn

    def fallback(self, node: ast.Expr) -> str:
        self.fallbacks += 1
        return f"{self.bind(self.compiler.closure(node))}(f)"

    @staticmethod
    def boolean(node: ast.Expr) -> bool:
        if isinstance(node, ast.BinaryOp):
            return node.op in _COMPARISONS
        if isinstance(node, ast.UnaryOp):
            return node.op == "not"
        if isinstance(node, (ast.InList, ast.Matches)):
            return True
        return isinstance(node, ast.Call) and node.lname in _BOOLEAN_CALLS and node.lname in FUNCTIONS

    def condition(self, node: ast.Expr) -> str:
        source = self.expr(node)
        return source if self.boolean(node) else f"truth({source})"

    def field(self, node: ast.Expr) -> str | None:
        """The key of a plain field reference (not the `true`/`false` constants)."""
        if isinstance(node, ast.FieldRef):
            key = node.name.casefold()
            if key in self.compiler.known:
                return key
        return None

    def expr(self, node: ast.Expr) -> str:
        self.nodes += 1
        if isinstance(node, ast.FieldRef):
            key = self.field(node)
            if key is None:
                return self.fallback(node)  # the constants, or the error for an unknown field
            return f"f.get({key!r})"
        if isinstance(node, ast.StringLit):
            return self.bind(node.value)
        if isinstance(node, ast.NumberLit):
            return self.bind(self.compiler._NumberLit(node)(None))
        if isinstance(node, ast.BinaryOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp) and node.op == "not":
            return f"(not {self.condition(node.operand)})"
        if isinstance(node, ast.InList):
            return self.in_list(node)
        if isinstance(node, ast.Ternary):
            return self.ternary(node.cond, node.then, node.otherwise)
        if isinstance(node, ast.Call):
            return self.call(node)
        return self.fallback(node)

    def binary(self, node: ast.BinaryOp) -> str:
        op = node.op
        if op in ("and", "or"):
            left, right = self.condition(node.left), self.condition(node.right)
            return f"({left} {op} {right})"
        if op in ("=", "==", "!=", "<>"):
            left, right = self.expr(node.left), self.expr(node.right)
            general = self.equal if op in ("=", "==") else self.not_equal
            # A field against a string literal: when the field holds a string, plain (in)equality is the rule.
            lit, other = None, None
            if isinstance(node.right, ast.StringLit):
                lit, other = right, left
            elif isinstance(node.left, ast.StringLit):
                lit, other = left, right
            if lit is not None:
                v = self.temp()
                test = "==" if op in ("=", "==") else "!="
                if lit == right:
                    return f"(({v} {test} {lit}) if ({v} := {other}).__class__ is str else {general}({v}, {lit}))"
                return f"(({lit} {test} {v}) if ({v} := {other}).__class__ is str else {general}({lit}, {v}))"
            return f"{general}({left}, {right})"
        if op in ("<", "<=", ">", ">="):
            left, right = self.expr(node.left), self.expr(node.right)
            a, b = self.temp(), self.temp()
            order = self.bind(self.compiler.cmp.order)
            # Two numbers (counts and sums, mostly) compare as they are, as Comparer.order compares them; anything
            # else goes to Comparer.order.
            return (f"(({a} {op} {b}) if (({a} := {left}).__class__ in _NUMBERS) & (({b} := {right}).__class__ in _NUMBERS)"
                    f" else {order}({op!r}, {a}, {b}))")
        return self.fallback(node)

    def in_list(self, node: ast.InList) -> str:
        items = node.items
        if (
            items and all(isinstance(i, ast.StringLit) for i in items)
            and self.compiler.semantics.null_comparisons_false
        ):
            operand = self.expr(node.operand)
            strings = self.bind(frozenset(i.value for i in items))
            v = self.temp()
            if node.negated:
                return f"(({v} not in {strings}) if ({v} := {operand}).__class__ is str else not_in_strings({v}, {strings}))"
            return f"(({v} in {strings}) if ({v} := {operand}).__class__ is str else in_strings({v}, {strings}))"
        return self.fallback(node)

    def ternary(self, cond: ast.Expr, then: ast.Expr, otherwise: ast.Expr) -> str:
        c = self.condition(cond)
        return f"({self.expr(then)} if {c} else {self.expr(otherwise)})"

    def call(self, node: ast.Call) -> str:
        name = node.lname
        if name == "if":
            if len(node.args) != 3:
                raise QueryInvalid("if() takes a condition and two values", node.pos)
            return self.ternary(node.args[0], node.args[1], node.args[2])
        if name in ("replace", "formatdate") or name not in FUNCTIONS:
            return self.fallback(node)
        fn, low, high = FUNCTIONS[name]
        if not (low <= len(node.args) <= high):
            raise QueryInvalid(f"{node.name}() takes {low}..{high} arguments, got {len(node.args)}", node.pos)
        args = [self.expr(a) for a in node.args]
        if name in ("isblank", "isnull", "isempty"):
            v = self.temp()
            if name == "isnull":
                return f"({args[0]} is None)"
            if name == "isempty":
                return f"(({v} := {args[0]}) is None or {v} == \"\")"
            return f"(({v} := {args[0]}) is None or (isinstance({v}, str) and {v}.strip() == \"\"))"
        return f"{self.bind(fn)}({', '.join(args)})"


# --- functions -----------------------------------------------------------------------------------------------


def _contains(a, b) -> bool:
    if a is None or b is None:
        return False
    return display(b) in display(a)


def _arith(op: str, a, b):
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        return None
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        return None
    if op == "/":
        return x / y
    return math.fmod(x, y)


def _negate(a):
    x = to_number(a)
    return None if x is None else -x


def _in_strings(value, strings: frozenset) -> bool:
    if value is None:
        return False
    if not isinstance(value, str):
        value = display(value)
    return value in strings


def _not_in_strings(value, strings: frozenset) -> bool:
    if value is None:
        return False
    if not isinstance(value, str):
        value = display(value)
    return value not in strings


_INLINE_HELPERS = {
    "_NUMBERS": (int, float), "truth": truth, "display": display, "isinstance": isinstance, "str": str, "in_strings": _in_strings,
    "not_in_strings": _not_in_strings,
}


def _str_or_none(fn):
    def wrapped(value, *rest):
        if value is None:
            return None
        return fn(display(value), *rest)
    return wrapped


def _cast(kind):
    def cast(value):
        number = to_number(value)
        if number is None:
            return None
        if kind == "int":
            if isinstance(number, float) and not math.isfinite(number):
                return None
            return int(number)
        if kind == "float":
            return float(number)
        return number
    return cast


def _round(value, digits=None):
    x = to_number(value)
    if x is None:
        return None
    n = int(to_number(digits) or 0)
    result = math.floor(x * 10**n + 0.5) / 10**n  # Java's Math.round: half up
    return int(result) if n <= 0 else result


def _math1(fn):
    def apply(value):
        x = to_number(value)
        if x is None:
            return None
        try:
            return fn(x)
        except (ValueError, OverflowError):
            return None
    return apply


def _pow(a, b):
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        return None
    try:
        return math.pow(x, y)
    except (ValueError, OverflowError):
        return None


def _ip(value):
    if value is None:
        return None
    try:
        return ipaddress.ip_address(display(value).strip())
    except ValueError:
        return None


def _is_private_ip(value):
    ip = _ip(value)
    return bool(ip and ip.version == 4 and ip.is_private)


def _is_public_ip(value):
    ip = _ip(value)
    return bool(ip and ip.version == 4 and ip.is_global)


def _is_valid_ip(value):
    """Sumo: "checks if the value is a valid IP address"; isValidIPv4 and isValidIPv6 narrow it to one version."""
    return _ip(value) is not None


def _is_valid_ip_version(version: int) -> Callable:
    def is_valid(value):
        ip = _ip(value)
        return bool(ip and ip.version == version)
    return is_valid


def _ipv4_to_number(value):
    """The IPv4 address as the number its four octets make (192.168.1.2 -> 3232235778); null for anything else."""
    ip = _ip(value)
    return int(ip) if ip and ip.version == 4 else None


def _substring(value, start, end=None):
    if value is None:
        return None
    s = display(value)
    a = to_number(start)
    if a is None or a < 0:
        return None
    b = to_number(end) if end is not None else None
    return s[int(a):] if b is None else s[int(a):int(b)]


def _replace_text(value, old, new):
    if value is None:
        return None
    return display(value).replace(display(old) or "", display(new) or "")


def _concat(*values):
    return "".join(display(v) or "" for v in values)


def _haversine(lat1, lon1, lat2, lon2):
    nums = [to_number(v) for v in (lat1, lon1, lat2, lon2)]
    if any(n is None for n in nums):
        return None
    p1, l1, p2, l2 = (math.radians(n) for n in nums)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _from_seconds(value):
    x = to_number(value)
    return None if x is None else x * 1000


# name -> (function, min args, max args)
FUNCTIONS: dict[str, tuple[Callable, int, int]] = {
    "isnull": (lambda v: v is None, 1, 1),
    "isempty": (lambda v: v is None or v == "", 1, 1),
    "isblank": (lambda v: v is None or (isinstance(v, str) and v.strip() == ""), 1, 1),
    "tolowercase": (_str_or_none(str.lower), 1, 1),
    "touppercase": (_str_or_none(str.upper), 1, 1),
    "trim": (_str_or_none(str.strip), 1, 1),
    "length": (lambda v: 0 if v is None else len(display(v)), 1, 1),
    "concat": (_concat, 1, 16),
    "contains": (_contains, 2, 2),
    "replace": (_replace_text, 3, 3),
    "substring": (_substring, 2, 3),
    "num": (_cast("num"), 1, 1),
    "tonumber": (_cast("num"), 1, 1),
    "tolong": (_cast("int"), 1, 1),
    "toint": (_cast("int"), 1, 1),
    "todouble": (_cast("float"), 1, 1),
    "round": (_round, 1, 2),
    "floor": (_math1(lambda x: int(math.floor(x))), 1, 1),
    "ceil": (_math1(lambda x: int(math.ceil(x))), 1, 1),
    "abs": (_math1(abs), 1, 1),
    "sqrt": (_math1(math.sqrt), 1, 1),
    "log": (_math1(math.log), 1, 1),
    "log10": (_math1(math.log10), 1, 1),
    "exp": (_math1(math.exp), 1, 1),
    "pow": (_pow, 2, 2),
    "isprivateip": (_is_private_ip, 1, 1),
    "ispublicip": (_is_public_ip, 1, 1),
    "isvalidip": (_is_valid_ip, 1, 1),
    "isvalidipv4": (_is_valid_ip_version(4), 1, 1),
    "isvalidipv6": (_is_valid_ip_version(6), 1, 1),
    "ipv4tonumber": (_ipv4_to_number, 1, 1),
    "urldecode": (_str_or_none(urllib.parse.unquote), 1, 1),
    "urlencode": (_str_or_none(urllib.parse.quote), 1, 1),
    "haversine": (_haversine, 4, 4),
    "fromseconds": (_from_seconds, 1, 1),
}


# --- numbers with units and durations --------------------------------------------------------------------------

_UNITS = {
    "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
    "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4,
}


def parse_quantity(text: str) -> int | float | None:
    """`15m` (a duration: milliseconds), `10k`, `2Gi` (sizes)."""
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)(ms|s|m|h|d|w|Ki|Mi|Gi|Ti|k|K|M|G|T)", text.strip())
    if not match:
        return None
    value = float(match.group(1)) * _UNITS[match.group(2)]
    return int(value) if value == int(value) else value


def duration_ms(text: str) -> int | None:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", text.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]


def _hourly_utc(node: ast.Call, default_tz: str) -> bool:
    """formatDate(t, "pattern" [, "UTC"]) whose pattern prints nothing finer than the hour, in UTC."""
    args = node.args
    if len(args) < 2 or not isinstance(args[1], ast.StringLit):
        return False
    if len(args) == 3:
        if not isinstance(args[2], ast.StringLit) or args[2].value != "UTC":
            return False
    elif default_tz != "UTC":
        return False
    letters = [t[0] for t in _JAVA_TOKENS.findall(args[1].value)]
    return bool(args[1].value) and all(c in "'yMdHhEa" for c in letters)


# --- formatDate's Java patterns -----------------------------------------------------------------------------------

_JAVA_TOKENS = re.compile(r"'[^']*'|y+|M+|d+|H+|h+|m+|s+|S+|E+|a|Z+|z+|X+")
_JAVA_NUMBERS = {"d": "day", "H": "hour", "m": "minute", "s": "second"}  # zero-padded to the letters' count


def java_date_format(when: datetime, pattern: str) -> str:
    """Java SimpleDateFormat's common letters (yyyy MM dd HH hh mm ss SSS EEE a Z z)."""

    def token(match: re.Match) -> str:
        t = match.group(0)
        c, n = t[0], len(t)
        if c == "'":
            return t[1:-1] or "'"
        if c == "y":
            return f"{when.year % 100:02d}" if n == 2 else f"{when.year:0{n}d}"
        if c == "M":
            if n >= 4:
                return when.strftime("%B")
            if n == 3:
                return when.strftime("%b")
            return f"{when.month:0{n}d}"
        if c in _JAVA_NUMBERS:
            return f"{getattr(when, _JAVA_NUMBERS[c]):0{n}d}"
        if c == "h":
            return f"{(when.hour % 12) or 12:0{n}d}"
        if c == "S":
            return f"{when.microsecond // 1000:03d}"[:n] if n <= 3 else f"{when.microsecond // 1000:0{n}d}"
        if c == "E":
            return when.strftime("%A") if n >= 4 else when.strftime("%a")
        if c == "a":
            return "AM" if when.hour < 12 else "PM"
        if c in "ZX":
            return when.strftime("%z")
        if c == "z":
            return when.tzname() or ""
        return t

    return _JAVA_TOKENS.sub(token, pattern)
