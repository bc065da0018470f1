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
    groups = aggregator.groups
    factories = [factory for _, factory, _ in aggregator.specs]
    fresh = []  # indexes of the part's groups not seen before, in first-seen order
    get = groups.get
    for j, key in enumerate(keys):
        mine = get(key)
        if mine is None:
            fresh.append(j)
            continue
        c = 0
        for acc, factory in zip(mine, factories):
            width = len(_SLOTS[factory])
            _MERGE[factory](acc, *[columns[c + k][j] for k in range(width)])
            c += width
    if not fresh:
        return
    if len(fresh) < len(keys):
        keys = [keys[j] for j in fresh]
        columns = [[column[j] for j in fresh] for column in columns]
    # Rebuilt without __init__: every attribute is set from the columns. The worker interned the keys' strings,
    # so within a part the groups that share a user or an address share its string already.
    built = []
    c = 0
    for factory in factories:
        made = [factory.__new__(factory) for _ in keys]
        for name in _SLOTS[factory]:
            for acc, value in zip(made, columns[c]):
                setattr(acc, name, value)
            c += 1
        built.append(made)
    groups.update(zip(keys, map(list, zip(*built))))


def _merge_count(acc, n) -> None:
    acc.n += n


def _merge_sum(acc, total, n) -> None:
    acc.total += total
    acc.n += n


def _merge_best(acc, best) -> None:
    if best is not None and (acc.best is None or acc.better(best, acc.best)):
        acc.best = best


def _merge_pick(acc, value, time, was_set) -> None:
    if was_set and acc.newer(time):
        acc.value, acc.time, acc.set = value, time, True


def _merge_distinct(acc, seen) -> None:
    if seen is None:
        return
    mine = acc.values()
    theirs = {seen} if type(seen) is str else seen
    if theirs <= mine:
        return
    union = mine | theirs
    if acc.limit is not None and len(union) > acc.limit:
        union = set(sorted(union)[: acc.limit])
    acc.seen = next(iter(union)) if len(union) == 1 else union


# A new accumulator kind must say here how its parts merge (a KeyError otherwise, never a wrong result).
_MERGE = {
    agg._Count: _merge_count, agg._CountField: _merge_count, agg._Sum: _merge_sum, agg._Avg: _merge_sum,
    agg._Min: _merge_best, agg._Max: _merge_best, agg._First: _merge_pick, agg._Last: _merge_pick,
    agg._CountDistinct: _merge_distinct, agg._Values: _merge_distinct,
}
