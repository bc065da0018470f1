"""Partial results of a query over one part of the input, and how the parts fold back into the whole.

Worker processes run the pack over byte ranges of a file; the parent merges their parts in file order. Every
per-message stage is a function of its message alone, so a query's result over the whole file is the merge of
its results over the ranges, given that each kind of state merges exactly as if the parent had read the lines:

* collected rows (a query that sorts or limits without aggregating) are concatenated in range order;
* aggregation groups keep their first-seen order, as a range's new groups go after the ones already seen;
* `count`, `sum`, `avg` add up; `min`/`max` keep the better; `count_distinct` and `values` take the union
  (`values` keeps the 100 smallest, which does not depend on the order the values came in);
* `first`/`last` offer the other part's pick as if its message came next: with ties the earlier range wins,
  as the line read first does in one process.

Accumulators travel as columns, one list per accumulator attribute across a part's groups: pickling lists
of plain values costs a worker a sixth of what pickling the objects does, and this process rebuilds only the
groups it has not seen yet.
"""

from __future__ import annotations

import operator

from sumoctl.engine import aggregate as agg
from sumoctl.engine.compiler import CompiledQuery


def _slots(cls: type) -> tuple[str, ...]:
    return tuple(name for klass in reversed(cls.__mro__) for name in getattr(klass, "__slots__", ()))


_SLOTS = {cls: _slots(cls) for cls in (
    agg._Count, agg._CountField, agg._Sum, agg._Avg, agg._Min, agg._Max, agg._First, agg._Last,
    agg._CountDistinct, agg._Values,
)}


def export_query(query: CompiledQuery) -> tuple:
    """What a worker sends back for one query: ("groups", matched, (keys, columns)) for an aggregate, where
    `columns` holds, for each accumulator of the query in turn and each of its attributes, the list of its
    values across the groups; ("rows", matched, rows) for rows collected for a blocking tail. Streamed rows
    went out on their own."""
    aggregator = query.aggregator
    if aggregator is None:
        return "rows", query.matched, query._collected
    accs = list(aggregator.groups.values())
    columns = []
    for i, (_, factory, _) in enumerate(aggregator.specs):
        for name in _SLOTS[factory]:
            get = operator.attrgetter(name)
            columns.append([get(group[i]) for group in accs])
    return "groups", query.matched, (list(aggregator.groups), columns)


def merge_query(query: CompiledQuery, part: tuple) -> None:
    """Fold a part from `export_query` (of the next range in file order) into `query`."""
    kind, matched, payload = part
    query.matched += matched
    if kind == "rows":
        query._collected.extend(payload)
        return
    keys, columns = payload
    aggregator = query.aggregator
    factories = tuple(factory for _, factory, _ in aggregator.specs)
    merge = _MERGERS.get(factories)
    if merge is None:
        merge = _MERGERS[factories] = _compile_merge(factories)
    merge(aggregator.groups, keys, *columns)


_MERGERS: dict[tuple[type, ...], object] = {}  # accumulator kinds of an aggregate -> its generated merge

# How one accumulator of a part is folded in, as source: `A` is ours (None for a group not seen yet: then it is
# rebuilt without __init__, every attribute from the columns), `c0`, `c1`, ... its columns' values at `j`.
_FOLD = {
    "count": "A.n += c0",
    "sum": "A.total += c0\nA.n += c1\nA.fraction += c2\nA.special += c3",
    "best": "if c0 is not None and (A.best is None or A.better(c0, A.best)):\n    A.best = c0",
    "pick": "if c2 and A.newer(c1):\n    A.value, A.time, A.set = c0, c1, True",
    "distinct": "if c0 is not None and c0 != A.seen:\n    merge_distinct(A, c0)",
}
_KIND = {
    agg._Count: "count", agg._CountField: "count", agg._Sum: "sum", agg._Avg: "sum", agg._Min: "best",
    agg._Max: "best", agg._First: "pick", agg._Last: "pick", agg._CountDistinct: "distinct", agg._Values: "distinct",
}


def _compile_merge(factories: tuple[type, ...]):
    """`merge(groups, keys, *columns)` for one aggregate's accumulators, generated: one pass over the part's
    groups, each folded into ours or added after them (so first-seen order holds), without a call per
    accumulator. A new accumulator kind without a rule in _KIND is a KeyError here, never a wrong result."""
    names = {"new": object.__new__, "merge_distinct": _merge_distinct}
    column_names = []
    fold, build = [], []
    for i, factory in enumerate(factories):
        slots = _SLOTS[factory]
        cols = [f"C{len(column_names) + k}" for k in range(len(slots))]
        column_names += cols
        names[f"F{i}"] = factory
        rule = _FOLD[_KIND[factory]]
        for k, col in enumerate(cols):
            rule = rule.replace(f"c{k}", f"{col}[j]")
        fold.append(f"A = mine[{i}]\n" + rule)
        build.append(f"a{i} = new(F{i})\n" + "\n".join(f"a{i}.{slot} = {col}[j]" for slot, col in zip(slots, cols)))
    indent = lambda text, n: "\n".join(" " * n + line for line in text.split("\n"))
    source = (
        f"def merge(groups, keys, {', '.join(column_names)}):\n"
        "    get = groups.get\n"
        "    for j, key in enumerate(keys):\n"
        "        mine = get(key)\n"
        "        if mine is None:\n"
        + "\n".join(indent(b, 12) for b in build) + "\n"
        f"            groups[key] = [{', '.join(f'a{i}' for i in range(len(factories)))}]\n"
        "        else:\n"
        + "\n".join(indent(f, 12) for f in fold) + "\n"
    )
    exec(compile(source, "<merge parts>", "exec"), names)
    return names["merge"]


def _merge_distinct(acc, seen) -> None:
    if seen is None:
        return
    mine = acc.values()
    theirs = {seen} if type(seen) is str else seen  # a set, or a full `values`' sorted list
    if mine.issuperset(theirs):
        return
    union = mine.union(theirs)
    if acc.limit is not None and len(union) > acc.limit:
        union = set(sorted(union)[: acc.limit])
    acc.seen = next(iter(union)) if len(union) == 1 else union
