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

Accumulators travel as themselves: unpickling them here costs less than rebuilding them from plain tuples, and
this process, which takes every part, is the one to spare.
"""

from __future__ import annotations

from sumoctl.engine import aggregate as agg
from sumoctl.engine.compiler import CompiledQuery


def export_query(query: CompiledQuery) -> tuple:
    """What a worker sends back for one query: ("groups", matched, {key: [accumulator, ...]}) for an aggregate,
    ("rows", matched, rows) for rows collected for a blocking tail. Streamed rows went out on their own."""
    if query.aggregator is not None:
        return "groups", query.matched, query.aggregator.groups
    return "rows", query.matched, query._collected


def merge_query(query: CompiledQuery, part: tuple) -> None:
    """Fold a part from `export_query` (of the next range in file order) into `query`."""
    kind, matched, payload = part
    query.matched += matched
    if kind == "rows":
        query._collected.extend(payload)
        return
    groups = query.aggregator.groups
    for key, theirs in payload.items():
        mine = groups.get(key)
        if mine is None:
            # Taken as they come: the worker interned the key's strings, so within a part the groups that share
            # a user or an address share its string already.
            groups[key] = theirs
        else:
            for acc, other in zip(mine, theirs):
                _MERGE[type(acc)](acc, other)


def _merge_count(acc, other) -> None:
    acc.n += other.n


def _merge_sum(acc, other) -> None:
    acc.total += other.total
    acc.n += other.n


def _merge_best(acc, other) -> None:
    best = other.best
    if best is not None and (acc.best is None or acc.better(best, acc.best)):
        acc.best = best


def _merge_pick(acc, other) -> None:
    if other.set and acc.newer(other.time):
        acc.value, acc.time, acc.set = other.value, other.time, True


def _merge_distinct(acc, other) -> None:
    if other.seen is None:
        return
    mine = acc.values()
    theirs = other.values()
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
