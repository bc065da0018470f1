"""Aggregation with `by`: one pass, only the groups' state kept in memory.

Rows hold the group fields then the aggregates, in the order the query lists them. A null group key is a group
of its own, printed as an empty string (unverified, probe P6). `count(f)` and `count_distinct(f)` skip nulls; an
empty string is a value (P8). `first`/`last` follow Sumo's default order, newest first: `first` is the value of
the message with the latest `_messageTime`, `last` of the earliest (ties: the one read first). `values` lists up
to 100 distinct values sorted by code point (upper case before lower case), joined with a newline; past 100 it
keeps the 100 smallest (unverified: Sumo does not say which ones it keeps).
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from sumoctl.engine import expr as _expr
from sumoctl.engine.errors import QueryInvalid, QueryNotSupported
from sumoctl.engine.values import display, to_number
from sumoctl.query import ast

Fields = dict[str, Any]

DEFAULT_ALIASES = {
    "count": "_count", "count_distinct": "_count_distinct", "sum": "_sum", "avg": "_avg", "min": "_min",
    "max": "_max", "first": "_first", "last": "_last", "values": "_values",
}


class _Count:
    __slots__ = ("n",)

    def __init__(self):
        self.n = 0

    def add(self, value, t):
        self.n += 1

    def result(self):
        return self.n


class _CountField(_Count):
    __slots__ = ()

    def add(self, value, t):
        if value is not None:
            self.n += 1


class _Distinct:
    """The distinct printed values of a group. Most groups see one value: it is kept alone, without a set
    (an empty set is 216 bytes, and group state is what grows with the input)."""

    __slots__ = ("seen",)
    limit = None

    def __init__(self):
        self.seen = None  # None, one str, a set of str, or (a full `_Values`) a sorted list of str

    def add(self, value, t):
        if value is None:
            return
        text = display(value)
        seen = self.seen
        if seen is None:
            self.seen = sys.intern(text)  # kept strings are shared between groups
        elif type(seen) is str:
            if text != seen:
                self.seen = {seen, sys.intern(text)}
        elif type(seen) is set:
            if text not in seen:
                if self.limit is None or len(seen) < self.limit:
                    seen.add(sys.intern(text))
                else:
                    self.keep_smallest(sorted(seen), text)
        else:
            self.keep_smallest(seen, text)  # a full `values` keeps a sorted list

    def values(self) -> set[str]:
        seen = self.seen
        return set() if seen is None else {seen} if type(seen) is str else seen


class _CountDistinct(_Distinct):
    __slots__ = ()

    def result(self):
        seen = self.seen
        return 0 if seen is None else 1 if type(seen) is str else len(seen)


class _Sum:
    """An exact sum, rounded once when the result is read: `total` adds integers as they are, `fraction` adds
    finite floats as integers in units of 2**-1074 (every double is a whole number of those), `special` the
    infinities. So the result does not depend on the order values arrive in, and sums over parts of the input
    merge to the sum over all of it (engine/parts.py). Integer sums print as before; a sum of decimals is the
    correctly rounded one, which may differ in its last digit from adding doubles one by one."""

    __slots__ = ("total", "n", "fraction", "special")

    def __init__(self):
        self.total, self.n, self.fraction, self.special = 0, 0, 0, 0.0

    def add(self, value, t):
        x = to_number(value)
        if x is None:
            return
        self.n += 1
        if type(x) is int:
            self.total += x
        elif math.isfinite(x):
            numerator, denominator = x.as_integer_ratio()
            self.fraction += numerator << (_FLOAT_BITS - denominator.bit_length() + 1)
        else:
            self.special += x

    def _quotient(self, divisor: int) -> float:
        if self.special != 0.0:  # an infinity (or inf - inf: nan) decides alone
            return self.special
        exact = (self.total << _FLOAT_BITS) + self.fraction
        try:
            return exact / (divisor << _FLOAT_BITS)  # int / int rounds correctly
        except OverflowError:
            return math.inf if exact > 0 else -math.inf

    def result(self):
        return self._quotient(1) if self.n else None


class _Avg(_Sum):
    __slots__ = ()

    def result(self):
        return self._quotient(self.n) if self.n else None


_FLOAT_BITS = 1074  # 2**-1074 is the smallest positive double


class _Min:
    __slots__ = ("best",)
    better = staticmethod(lambda x, best: x < best)

    def __init__(self):
        self.best = None

    def add(self, value, t):
        x = to_number(value)
        if x is not None and (self.best is None or self.better(x, self.best)):
            self.best = x

    def result(self):
        return None if self.best is None else float(self.best)


class _Max(_Min):
    __slots__ = ()
    better = staticmethod(lambda x, best: x > best)


class _First:
    """Newest first: keep the value of the latest message."""

    __slots__ = ("value", "time", "set")

    def __init__(self):
        self.value, self.time, self.set = None, None, False

    def newer(self, t):
        if not self.set:
            return True
        if t is None:
            return False
        return self.time is None or t > self.time

    def add(self, value, t):
        if self.newer(t):
            self.value, self.time, self.set = value, t, True

    def result(self):
        return self.value


class _Last(_First):
    __slots__ = ()

    def newer(self, t):
        if not self.set:
            return True
        if t is None:
            return False
        return self.time is None or t < self.time


class _Values(_Distinct):
    """At most `limit` distinct values: past it, the smallest (those printed first), whatever order they came in,
    so that partial results from several workers merge to the same list. Once full, `seen` is the kept values
    as a sorted list: a new value is placed by bisection, and the largest one leaves from its end."""

    __slots__ = ()
    limit = 100

    def keep_smallest(self, kept: list[str], text: str) -> None:
        """Offer a value to the full list `kept` (sorted; it becomes `seen`): it replaces the largest when it
        is smaller than that and not in the list already."""
        self.seen = kept
        if text < kept[-1]:
            at = bisect_left(kept, text)
            if kept[at] != text:
                kept.pop()
                kept.insert(at, sys.intern(text))

    def values(self) -> set[str]:
        seen = self.seen
        return set(seen) if seen.__class__ is list else _Distinct.values(self)

    def result(self):
        seen = self.seen
        if type(seen) is str:
            return seen  # one value: what joining it alone gives
        return "\n".join(seen if seen.__class__ is list else sorted(self.values()))


_ACCUMULATORS = {
    "count_distinct": _CountDistinct, "sum": _Sum, "avg": _Avg, "min": _Min, "max": _Max,
    "first": _First, "last": _Last, "values": _Values,
}


class Aggregator:
    """Folds messages into groups; `rows()` gives the result rows (dicts keyed by case-folded field name)."""

    def __init__(self, node: ast.Aggregate, compile_expr: Callable, known: dict[str, str]):
        self.by_keys = [name.casefold() for name in node.by]
        for name in node.by:
            if name.casefold() not in known:
                raise QueryInvalid(f"field {name!r} not found (group by)", node.pos)
        self.specs: list[tuple[str, type, Callable | None]] = []
        self.columns: list[tuple[str, str]] = [(name.casefold(), known[name.casefold()]) for name in node.by]
        aliases: set[str] = set()
        fields: list[str | None] = []  # for each aggregate, the field its argument is when it is a plain field
        for call in node.calls:
            fn = call.function
            if fn == "count" and not call.args:
                factory, arg = _Count, None
            elif fn == "count":
                factory, arg = _CountField, compile_expr(call.args[0])
            elif fn in _ACCUMULATORS:
                if len(call.args) != 1:
                    raise QueryInvalid(f"{fn}() takes one field", call.pos)
                factory, arg = _ACCUMULATORS[fn], compile_expr(call.args[0])
            else:
                raise QueryNotSupported(f"aggregate {fn} is not supported offline", call.pos)
            alias = call.alias or DEFAULT_ALIASES[fn]
            if alias.casefold() in aliases:
                raise QueryInvalid(f"{alias} is produced twice: give each aggregate its own alias", call.pos)
            aliases.add(alias.casefold())
            self.specs.append((alias.casefold(), factory, arg))
            self.columns.append((alias.casefold(), alias))
            fields.append(_plain_field(call.args[0], known) if call.args else None)
        self.groups: dict[tuple, list] = {}
        self._args = [arg for _, _, arg in self.specs]
        self.add_source: tuple[list[str], dict] | None = None
        if _expr.REFERENCE:
            self.add, self._row = self._add_reference, self._row_reference
        else:
            self.add = self._compile_add(fields)
            self._row = self._compile_row()

    @property
    def zero_columns(self) -> set[str]:
        """The columns that read 0 for a group without messages (what `fillmissing` puts in added rows)."""
        return {name for name, factory, _ in self.specs if factory in (_Count, _CountField, _CountDistinct)}

    def _add_reference(self, msg: Fields) -> None:
        """`add` written plainly: what `_compile_add` generates."""
        get = msg.get
        key = tuple([get(k) for k in self.by_keys])
        accs = self.groups.get(key)
        if accs is None:
            accs = self._new_group(key)
        t = get("_messagetime")
        for acc, arg in zip(accs, self._args):
            acc.add(arg(msg) if arg is not None else None, t)

    def _row_reference(self, key: tuple, accs: list) -> Fields:
        row: Fields = {}
        for name, value in zip(self.by_keys, key):
            row[name] = "" if value is None else value
        for (name, _, _), acc in zip(self.specs, accs):
            row[name] = acc.result()
        return row

    def _new_group(self, key: tuple) -> list:
        # Group state is what grows with the input: the key's strings are interned, so the many groups
        # that share a user, an address or an event name share one copy of it.
        key = tuple([sys.intern(v) if type(v) is str else v for v in key])
        accs = self.groups[key] = [factory() for _, factory, _ in self.specs]
        return accs

    def _compile_add(self, fields: list[str | None]) -> Callable[[Fields], None]:
        """`add(msg)`, generated for this aggregate's shape: the group key as one tuple display, a plain field
        argument as a dict lookup. A new group's `count`/`count_distinct`/`values` accumulators are made as their
        first message leaves them (most groups see one message); a known group's `count` is an increment of
        `_Count.n`; every other update is the accumulator's own `add`. The accumulators end exactly as calling
        each one's `add` in turn leaves them (tests/engine/test_kept_paths.py compares with `_add_reference`)."""
        names: dict[str, Any] = {"self": self, "intern": sys.intern, "new": object.__new__}
        comma = "," if len(self.by_keys) == 1 else ""
        parts = [f"_k{i}" for i in range(len(self.by_keys))]
        interned = [f"intern({k}) if type({k}) is str else {k}" for k in parts]
        lines = [
            "def add(msg):",
            "    get = msg.get",  # the first two lines are `add`'s own (see add_source)
            *[f"    {k} = get({name!r})" for k, name in zip(parts, self.by_keys)],
            f"    key = ({', '.join(parts)}{comma})",
            "    groups = self.groups",
            "    accs = groups.get(key)",
        ]
        if any(factory not in (_Count, _CountField) for _, factory, _ in self.specs):
            lines.append("    t = get('_messagetime')")
        for i, ((_, factory, arg), name) in enumerate(zip(self.specs, fields)):
            names[f"F{i}"], names[f"a{i}"] = factory, arg
            if factory is not _Count:
                lines.append(f"    _v{i} = " + (f"get({name!r})" if name is not None else f"a{i}(msg)"))
        made, known = [], []
        for i, (_, factory, _) in enumerate(self.specs):
            v, a = f"_v{i}", f"_a{i}"
            if factory is _Count:
                made.append(f"{a} = new(F{i}); {a}.n = 1")
                known.append(f"accs[{i}].n += 1")
            elif factory is _CountField:
                made.append(f"{a} = new(F{i}); {a}.n = 0 if {v} is None else 1")
                known.append(f"if {v} is not None: accs[{i}].n += 1")
            elif issubclass(factory, _Distinct):
                made += [f"{a} = new(F{i})", f"if {v}.__class__ is str: {a}.seen = intern({v})",
                         f"else: {a}.seen = None; {a}.add({v}, t)"]
                known += [f"acc = accs[{i}]", f"if {v}.__class__ is str and acc.seen is None: acc.seen = intern({v})",
                          f"else: acc.add({v}, t)"]
            else:
                made.append(f"{a} = F{i}(); {a}.add({v}, t)")
                known.append(f"accs[{i}].add({v}, t)")
        accs = ", ".join(f"_a{i}" for i in range(len(self.specs)))
        lines += [
            "    if accs is None:",  # a new group: what `_new_group` makes, then each accumulator's first add
            *[f"        {line}" for line in made],
            f"        groups[({', '.join(interned)}{comma})] = [{accs}]",
            "    else:",
            *[f"        {line}" for line in known],
        ]
        if not self.specs:
            lines.insert(-1, "        pass")
            lines.append("        pass")
        exec(compile("\n".join(lines), "<aggregate>", "exec"), names)
        add = names["add"]
        self.add_source = (lines[2:], names)  # the body over `msg` and `get`, for compiler.pipeline to paste in
        return add

    def _compile_row(self) -> Callable[[tuple, list], Fields]:
        """`row(key, accs)`: one result row as a dict display (same keys, order and values as filling it in turn)."""
        names: dict[str, Any] = {}
        items = [f"{k!r}: '' if key[{i}] is None else key[{i}]" for i, k in enumerate(self.by_keys)]
        for i, (name, factory, _) in enumerate(self.specs):
            items.append(f"{name!r}: accs[{i}].n" if factory in (_Count, _CountField) else f"{name!r}: accs[{i}].result()")
        exec(compile("def row(key, accs):\n    return {" + ", ".join(items) + "}", "<aggregate row>", "exec"), names)
        return names["row"]

    def rows(self) -> list[Fields]:
        row = self._row
        return [row(key, accs) for key, accs in self.groups.items()]


def _plain_field(arg: ast.Expr, known: dict[str, str]) -> str | None:
    """The key of an aggregate argument that is just a field (compiled, it is `msg.get(key)`)."""
    if isinstance(arg, ast.FieldRef) and arg.name.casefold() in known:
        return arg.name.casefold()
    return None
