"""`fillmissing` and `outlier`: operators over an aggregate's rows that reason about a series of groups.

Choices where Sumo's docs are silent (the README, "Testing detections offline"):

* `fillmissing`: an offline run has no query time range, so a `timeslice` generator spans the smallest to the
  largest timeslice among the rows (nothing when no row has one). Groups are filled per distinct value of the
  `by` fields no generator names (each series gets every generated tuple). In an added row `count`,
  `count(f)` and `count_distinct` columns are 0, every other column is null, unless `with <value> for <field>`
  names it. Added rows follow the existing ones, ordered by their generated values. `takelast` (copy the
  previous timeslice's values) is refused as not supported.
* `outlier f [window=N, threshold=T, consecutive=C, direction=+-|+|-] [by g]` (defaults 10, 3, 1, `+-`): for
  each row, in the rows' current order within its `by` group, the band is the mean of the up to N *earlier*
  numeric values plus/minus T sample standard deviations. It adds `f_error` (value minus the mean),
  `f_upper`, `f_lower`, `f_indicator` (1 when the value is outside the band on the watched side, else 0) and
  `f_violation` (1 when the last C rows all had the indicator). With fewer than two earlier values there is
  no band: the band fields are null and the indicator 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

from sumoctl.engine.errors import QueryInvalid, QueryNotSupported
from sumoctl.engine.expr import duration_ms
from sumoctl.engine.values import to_number
from sumoctl.query import ast

Rows = list[dict[str, Any]]


def fillmissing_stage(
    stage: ast.Fillmissing,
    known: dict[str, str],
    columns: list[tuple[str, str]] | None,
    by_keys: list[str],
    zero_columns: set[str],
    timeslice: tuple[str, int] | None,
) -> Callable[[Rows], Rows]:
    """`fillmissing timeslice(15m), values("a", "b") in f`: add the missing rows of the generators' product.

    `by_keys` are the aggregate's group fields; `zero_columns` its columns that read 0 for an empty group;
    `timeslice` is the query's `timeslice` stage as (field key, size in ms), for a bare `timeslice` generator."""
    if columns is None:
        raise QueryInvalid("fillmissing needs an aggregate before it", stage.pos)
    generators: list[tuple[str, Callable[[Rows], list]]] = []
    for item in stage.items:
        name = item.generator.name.lower()
        if name == "timeslice":
            if item.generator.args:
                size = duration_ms(_literal(item.generator.args[0]))
                if not size:
                    raise QueryInvalid("fillmissing timeslice expects a duration such as 15m, 1h, 1d", item.pos or stage.pos)
            elif timeslice is not None:
                size = timeslice[1]
            else:
                raise QueryInvalid("fillmissing timeslice needs a size, or a timeslice stage before it", item.pos or stage.pos)
            key = (item.field or (timeslice[0] if timeslice else "_timeslice")).casefold()
            generators.append((key, lambda rows, key=key, size=size: _slices(rows, key, size)))
        elif name == "values":
            if item.qualifier or not item.field:
                # `values all in f` enumerates every value Sumo has indexed for f: offline there is no such index.
                raise QueryNotSupported("fillmissing values without a list of values is not supported offline", item.pos or stage.pos)
            wanted = [_literal(arg) for arg in item.generator.args]
            if not wanted:
                raise QueryInvalid("fillmissing values() needs at least one value", item.pos or stage.pos)
            generators.append((item.field.casefold(), lambda rows, wanted=wanted: wanted))
        else:
            raise QueryNotSupported(f"fillmissing generator {name!r} is not supported offline", item.pos or stage.pos)
    if stage.take_last:
        raise QueryNotSupported("fillmissing option 'takelast' is not supported by the offline engine", stage.pos)
    column_keys = [key for key, _ in columns]
    for key, _ in generators:
        if key not in known:
            raise QueryInvalid(f"fillmissing fills {key!r}, which is not a field of the rows", stage.pos)
        if key not in column_keys:
            column_keys.append(key)  # assigned after the aggregate (`"EventCount" as type`)
    gen_keys = [key for key, _ in generators]
    group_keys = [k for k in by_keys if k not in gen_keys]
    defaults = _defaults(stage, known, gen_keys)
    column_keys += [key for key in defaults if key not in column_keys]

    def apply(rows: Rows) -> Rows:
        domains = [gen(rows) for _, gen in generators]
        series: dict[tuple, None] = {tuple(r.get(k) for k in group_keys): None for r in rows}
        if not series:
            series = {tuple("" for _ in group_keys): None}  # no row at all: one series with empty keys
        present = {tuple(r.get(k) for k in group_keys + gen_keys) for r in rows}
        added: Rows = []
        for group in series:
            for combo in itertools.product(*domains):
                if group + combo in present:
                    continue
                row = {k: (0 if k in zero_columns else None) for k in column_keys}
                row.update(defaults)
                row.update(zip(group_keys, group))
                row.update(zip(gen_keys, combo))
                added.append(row)
        return rows + added

    return apply


def _defaults(stage: ast.Fillmissing, known: dict[str, str], gen_keys: list[str]) -> dict[str, Any]:
    """`with -1 for _count, "n/a" for user`: the value each named non-key field takes in an added row."""
    out: dict[str, Any] = {}
    for default in stage.defaults:
        key = default.field.casefold()
        if key in gen_keys:
            raise QueryInvalid(f"fillmissing with: {default.field!r} is a key field of a generator", default.pos)
        if key not in known:
            raise QueryInvalid(f"fillmissing with: {default.field!r} is not a field of the rows", default.pos)
        out[key] = None if default.value is None else default.value.value  # NumberLit -> int/float, StringLit -> str
    return out


def _literal(node) -> str:
    if isinstance(node, ast.StringLit):
        return node.value
    if isinstance(node, ast.NumberLit):
        return node.text
    if isinstance(node, ast.FieldRef):
        return node.name
    raise QueryInvalid("fillmissing expects literal values", getattr(node, "pos", None))


def _slices(rows: Rows, key: str, size: int) -> list[int]:
    present = [v for v in (to_number(r.get(key)) for r in rows) if v is not None]
    if not present:
        return []
    first, last = int(min(present)), int(max(present))
    return list(range(first, last + 1, size))


OUTLIER_DEFAULTS = {"window": "10", "threshold": "3", "consecutive": "1", "direction": "+-"}


def outlier_stage(stage: ast.Outlier, known: dict[str, str], columns: list[tuple[str, str]] | None):
    """`outlier f [window=N, threshold=T, consecutive=C, direction=D] [by g]`; returns (fn, columns)."""
    if columns is None:
        raise QueryInvalid("outlier works on the rows of an aggregate: count by _timeslice first", stage.pos)
    source = stage.series.casefold()
    if source not in known:
        raise QueryInvalid(f"field {stage.series!r} not found", stage.pos)
    by = [b.casefold() for b in stage.by]
    for key, name in zip(by, stage.by):
        if key not in known:
            raise QueryInvalid(f"field {name!r} not found", stage.pos)
    options = dict(OUTLIER_DEFAULTS)
    for name, value in stage.options:
        if name.lower() not in options:
            raise QueryInvalid(f"outlier has no option {name!r} (window, threshold, consecutive, direction)", stage.pos)
        options[name.lower()] = value.strip()
    try:
        window, consecutive = int(options["window"]), int(options["consecutive"])
        threshold = float(options["threshold"])
    except ValueError:
        raise QueryInvalid("outlier's window and consecutive are whole numbers, threshold a number", stage.pos) from None
    direction = options["direction"].replace(" ", "")
    if window < 1 or consecutive < 1 or threshold < 0 or direction not in ("+-", "-+", "+", "-"):
        raise QueryInvalid("outlier needs window >= 1, consecutive >= 1, threshold >= 0, direction +-, + or -", stage.pos)
    upper_side, lower_side = "+" in direction, "-" in direction
    display = known[source]
    names = {suffix: f"{display}_{suffix}" for suffix in ("error", "upper", "lower", "indicator", "violation")}
    for name in names.values():
        known.setdefault(name.casefold(), name)
    keys = {suffix: name.casefold() for suffix, name in names.items()}
    new_columns = columns + [(keys[s], names[s]) for s in names if keys[s] not in {c for c, _ in columns}]

    def apply(rows: Rows) -> Rows:
        history: dict[tuple, tuple[list, list]] = {}
        for row in rows:
            values, flags = history.setdefault(tuple(row.get(k) for k in by), ([], []))
            value = to_number(row.get(source))
            earlier = values[-window:]
            mean = upper = lower = None
            if len(earlier) >= 2:
                mean = sum(earlier) / len(earlier)
                spread = threshold * math.sqrt(sum((x - mean) ** 2 for x in earlier) / (len(earlier) - 1))
                upper, lower = mean + spread, mean - spread
            outside = value is not None and upper is not None and (
                (upper_side and value > upper) or (lower_side and value < lower)
            )
            flags.append(1 if outside else 0)
            row[keys["error"]] = value - mean if value is not None and mean is not None else None
            row[keys["upper"]] = upper
            row[keys["lower"]] = lower
            row[keys["indicator"]] = flags[-1]
            row[keys["violation"]] = 1 if len(flags) >= consecutive and all(flags[-consecutive:]) else 0
            if value is not None:
                values.append(value)
        return rows

    return apply, new_columns
