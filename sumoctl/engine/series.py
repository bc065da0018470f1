"""Operators over the rows an aggregate produced, in their current order (usually `sort by _timeslice asc`):
`smooth`, `rollingstd`, `backshift` (window and shift functions per `by` group), `topk` and `transpose`.

Choices where Sumo's docs are silent (the README, "Testing detections offline"): the window includes the current row and the
rows before it in the group; `rollingstd` is the sample standard deviation (n - 1), 0 for a single value;
`backshift` is null until the group has `shift` earlier rows; non-numeric values are skipped (null).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from sumoctl.engine.errors import QueryInvalid
from sumoctl.engine.stages import sort_rows
from sumoctl.engine.values import display, to_number
from sumoctl.query import ast

Rows = list[dict[str, Any]]

_ARGS = re.compile(
    r"""^\s*(?P<field>%"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*)\s*(?:,\s*(?P<n>\d+))?"""
    r"""(?:\s+by\s+(?P<by>.+?))?(?:\s+as\s+(?P<alias>%"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*))?\s*$""",
    re.IGNORECASE,
)
# The corpus also writes the alias first: `rollingstd eventCount as eventCount_std by user.name, event.action`.
_ARGS_ALIAS_FIRST = re.compile(
    r"""^\s*(?P<field>%"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*)\s*(?:,\s*(?P<n>\d+))?"""
    r"""\s+as\s+(?P<alias>%"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*)(?:\s+by\s+(?P<by>.+?))?\s*$""",
    re.IGNORECASE,
)
DEFAULT_WINDOW = {"smooth": 10, "rollingstd": 10, "backshift": 1}


def _name(text: str) -> str:
    return text[2:-1].replace('\\"', '"') if text.startswith('%"') else text


def window_stage(stage: ast.GenericStage, known: dict[str, str]) -> Callable[[Rows], Rows]:
    """`smooth f[, N] [by g, h] [as x]`, `rollingstd ...`, `backshift f[, shift] [by ...] [as x]`."""
    match = _ARGS.match(stage.args) or _ARGS_ALIAS_FIRST.match(stage.args)
    if not match:
        raise QueryInvalid(f"{stage.name} expects: {stage.name} <field>[, <number>] [by <fields>] [as <field>]", stage.pos)
    source = _name(match.group("field")).casefold()
    if source not in known:
        raise QueryInvalid(f"field {_name(match.group('field'))!r} not found", stage.pos)
    size = int(match.group("n") or DEFAULT_WINDOW[stage.name])
    if size < 1:
        raise QueryInvalid(f"{stage.name} needs a window of at least 1", stage.pos)
    by = [_name(b.strip()).casefold() for b in match.group("by").split(",")] if match.group("by") else []
    for key in by:
        if key not in known:
            raise QueryInvalid(f"field {key!r} not found", stage.pos)
    alias = _name(match.group("alias")) if match.group("alias") else f"_{stage.name}"
    known.setdefault(alias.casefold(), alias)
    target = alias.casefold()
    kind = stage.name

    def apply(rows: Rows) -> Rows:
        history: dict[tuple, list] = {}
        for row in rows:
            seen = history.setdefault(tuple(row.get(k) for k in by), [])
            value = to_number(row.get(source))
            if kind == "backshift":
                row[target] = seen[-size] if len(seen) >= size else None
                seen.append(row.get(source))
                continue
            if value is not None:
                seen.append(value)
            window = seen[-size:]
            if not window:
                row[target] = None
            elif kind == "smooth":
                row[target] = sum(window) / len(window)
            else:
                mean = sum(window) / len(window)
                row[target] = math.sqrt(sum((x - mean) ** 2 for x in window) / (len(window) - 1)) if len(window) > 1 else 0.0
        return rows

    return apply


def topk_stage(stage: ast.Aggregate, known: dict[str, str]) -> Callable[[Rows], Rows]:
    """`topk(N, f) by g`: within each `by` group, the N rows with the largest f, ranked in `_rank` from 1."""
    call = stage.calls[0]
    if len(stage.calls) != 1 or len(call.args) != 2 or not isinstance(call.args[0], ast.NumberLit) or not isinstance(call.args[1], ast.FieldRef):
        raise QueryInvalid("topk expects topk(<number>, <field>) [by <fields>]", stage.pos)
    n = int(call.args[0].value or 0)
    field = call.args[1].name.casefold()
    by = [b.casefold() for b in stage.by]
    for key in [field, *by]:
        if key not in known:
            raise QueryInvalid(f"field {key!r} not found", stage.pos)
    rank = (call.alias or "_rank").casefold()
    known.setdefault(rank, call.alias or "_rank")

    def apply(rows: Rows) -> Rows:
        groups: dict[tuple, Rows] = {}
        for row in rows:
            groups.setdefault(tuple(row.get(k) for k in by), []).append(row)
        out: Rows = []
        for members in groups.values():
            for position, row in enumerate(sort_rows(members, [(lambda r: r.get(field), False)])[:n], 1):
                row[rank] = position
                out.append(row)
        return out

    return apply


def transpose_stage(stage: ast.Transpose, known: dict[str, str], columns: list[tuple[str, str]] | None) -> tuple[Callable[[Rows], Rows], None]:
    """`transpose row r column c`: one row per distinct r, one column per distinct c (named by its value, in
    order of first appearance), holding the one remaining field (the aggregate). Absent cells are null."""
    if stage.aliases:
        raise QueryInvalid("transpose ... as is not supported offline", stage.pos)
    if columns is None:
        raise QueryInvalid("transpose needs an aggregate before it", stage.pos)
    row_keys = [r.casefold() for r in stage.row]
    col_keys = [c.casefold() for c in stage.column]
    for key in row_keys + col_keys:
        if key not in known:
            raise QueryInvalid(f"field {key!r} not found", stage.pos)
    values = [key for key, _ in columns if key not in row_keys and key not in col_keys]
    if len(values) != 1:
        raise QueryInvalid("transpose needs exactly one field besides its row and column fields", stage.pos)
    value = values[0]

    def apply(rows: Rows) -> Rows:
        table: dict[tuple, dict[str, Any]] = {}
        headers: list[str] = []
        for row in rows:
            key = tuple(row.get(k) for k in row_keys)
            header = "_".join(display(row.get(k)) or "" for k in col_keys)
            if header not in headers:
                headers.append(header)
            out = table.setdefault(key, {k: v for k, v in zip(row_keys, key)})
            out[header] = row.get(value)
        for out in table.values():
            for header in headers:
                out.setdefault(header, None)
        return list(table.values())

    return apply, None
