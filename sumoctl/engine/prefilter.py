"""Deciding from a line's bytes, before decoding it, which queries can still want it.

Most CloudTrail records are irrelevant to a detection: `where event_name in ("DeleteTrail", ...)` rejects them.
Decoding every line into Python objects is the expensive part of a run, so for each query we find the
`where` conditions that depend only on values the query reads with `json` straight from the record, and test
them on a *projection* of the line: msgspec validates the whole line (so bad lines are still reported, by the
same decoder that decodes the rest) but builds Python values only for the handful of keys the pack reads.

Why this is sound (tests/engine/test_prefilter.py checks each point):

* A query's result only loses a message when a stage drops it. We only skip a line for a query when a `where`
  it would certainly reach with these exact values evaluates false, using the engine's own compiled condition.
* The values are the ones the full run computes: the same decoder gives the same Python value for a key (last
  duplicate wins in both), and `json_value` renders it identically. Keys are compared after JSON unescaping, by
  msgspec, so `"event\\u004eame"` is `eventName` in both; values are decoded, so escapes and case need no care.
* A field is "projected" only while nothing reassigns it: the analysis walks the stages in order and forgets a
  field as soon as a parse, assignment, lookup or timeslice may write it, and stops at the first stage that
  changes which fields exist (aggregate, sort, top, limit, fields, or anything unfamiliar).
* `parse regex "(?<raw>{.*)"` on `_raw` (the blog searches' prelude) copies the whole message: `_raw` is compact
  JSON of an object, so it starts with `{` and has no line break (control characters are escaped), and the
  greedy `.*` takes the rest. So `json field=raw` reads the record itself.
* When the projection cannot be built (the line is not ASCII, or a key on a path is not an object), the line
  is decoded in full, as if there were no prefilter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from sumoctl.engine.expr import ExprCompiler
from sumoctl.engine.options import Semantics
from sumoctl.engine.scope import compile_scope, metadata_only
from sumoctl.engine.values import json_value
from sumoctl.query import ast

_WHOLE_RAW = {"{.*", "\\{.*", ".*", "^{.*", "^\\{.*", "^.*"}
_MISSING = msgspec.UNSET


def _whole_raw_capture(stage: ast.ParseRegex, raw_fields: set[str]) -> str | None:
    """The field a `parse regex "(?<raw>{.*)"` on a whole-message field writes, when it copies it whole."""
    if stage.multi or len(stage.patterns) != 1 or (stage.field or "_raw").casefold() not in raw_fields:
        return None
    pattern = stage.patterns[0]
    for name_start in ("(?<", "(?P<"):
        if pattern.startswith(name_start) and pattern.endswith(")") and ">" in pattern:
            name, body = pattern[len(name_start):-1].split(">", 1)
            if body in _WHOLE_RAW and name.replace("_", "").isalnum():
                return name.casefold()
    return None


@dataclass
class Gate:
    """The checks one query allows before decoding: a metadata-only scope and `where` conjuncts."""

    scope: Callable[[dict], bool] | None = None
    # (fields needed with their path indexes, compiled conjunct, (path index, allowed values) for a membership
    # conjunct or None)
    checks: list[tuple[list[tuple[str, int]], Callable[[dict], bool], tuple[int, frozenset[str]] | None]] = field(
        default_factory=list
    )

    @property
    def useful(self) -> bool:
        return bool(self.checks) or self.scope is not None


def _conjuncts(expr: ast.Expr) -> list[ast.Expr]:
    if isinstance(expr, ast.BinaryOp) and expr.op == "and":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def _written_fields(stage) -> list[str]:
    if isinstance(stage, ast.ParseRegex):
        import re

        return [n.casefold() for p in stage.patterns for n in re.findall(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>", p)]
    if isinstance(stage, ast.ParseAnchor):
        return [f.casefold() for f in stage.fields]
    if isinstance(stage, ast.Json):
        names = stage.aliases or tuple(p.text for p in stage.paths)
        return [n.casefold() for n in names]
    if isinstance(stage, ast.Assign):
        if stage.alias:
            return [stage.alias.casefold()]
        if isinstance(stage.expr, ast.Call) and stage.expr.args and isinstance(stage.expr.args[0], ast.FieldRef):
            return [stage.expr.args[0].name.casefold()]
        return []
    if isinstance(stage, ast.Lookup):
        return [(f.alias or f.name).casefold() for f in stage.fields] if not stage.all_fields else []
    if isinstance(stage, ast.Timeslice):
        return [(stage.alias or "_timeslice").casefold()]
    return []


class Projection:
    """The json paths a set of queries reads, decoded from a line in one msgspec pass."""

    def __init__(self):
        self.paths: list[tuple[str, ...]] = []
        self._index: dict[tuple[str, ...], int] = {}
        self.decoder = None
        self.getters: list[Callable] = []

    def path_index(self, path: tuple[str, ...]) -> int:
        if path not in self._index:
            self._index[path] = len(self.paths)
            self.paths.append(path)
        return self._index[path]

    def build(self) -> None:
        # tree: key -> [children, read_whole]; a key read as a value (or both as a value and as a parent) is
        # decoded whole (Any) and the rest of a longer path is walked in Python.
        tree: dict = {}
        for path in self.paths:
            node = tree
            for depth, key in enumerate(path):
                entry = node.setdefault(key, [{}, False])
                if depth == len(path) - 1:
                    entry[1] = True
                node = entry[0]
        counter = [0]

        def struct(node: dict) -> type:
            counter[0] += 1
            fields, rename = [], {}
            for i, (key, (children, whole)) in enumerate(node.items()):
                attr = f"f{i}"
                rename[attr] = key
                if whole or not children:
                    fields.append((attr, Any, _MISSING))
                else:
                    fields.append((attr, struct(children) | None, None))
            return msgspec.defstruct(f"Projection{counter[0]}", fields, rename=rename)

        self.decoder = msgspec.json.Decoder(struct(tree))
        self.getters = [self._getter(tree, path) for path in self.paths]

    def _getter(self, tree: dict, path: tuple[str, ...]) -> Callable:
        steps: list[tuple[bool, str]] = []  # (True, attr) through structs, then (False, key) inside a whole value
        node: dict | None = tree
        for key in path:
            if node is not None:
                children, whole = node[key]
                steps.append((True, f"f{list(node).index(key)}"))
                node = None if (whole or not children) else children
            else:
                steps.append((False, key))

        if len(steps) == 1 and steps[0][0]:
            attr = steps[0][1]

            def get_top(obj):
                value = getattr(obj, attr)
                if value.__class__ is str:
                    return value
                return None if value is _MISSING else json_value(value)

            return get_top

        def get(obj):
            value = obj
            for through_struct, name in steps:
                if through_struct:
                    if value is None:
                        return None
                    value = getattr(value, name)
                    if value is _MISSING:
                        return None
                else:
                    if not isinstance(value, dict) or name not in value:
                        return None
                    value = value[name]
            return json_value(value)

        return get


class QueryGateBuilder:
    """Walks one query's stages and records the checks that are safe before decoding."""

    def __init__(self, projection: Projection, semantics: Semantics):
        self.projection = projection
        self.semantics = semantics

    def build(self, query: ast.Query) -> Gate:
        gate = Gate()
        if query.scope is not None and metadata_only(query.scope):
            gate.scope = compile_scope(query.scope)
        raw_fields = {"_raw"}
        projected: dict[str, tuple[str, ...]] = {}
        for stage in query.stages:
            if isinstance(stage, ast.ParseRegex):
                captured = _whole_raw_capture(stage, raw_fields)
                for name in _written_fields(stage):
                    projected.pop(name, None)
                    raw_fields.discard(name)
                if captured:
                    raw_fields.add(captured)
            elif isinstance(stage, ast.Json) and not stage.auto:
                names = [n.casefold() for n in (stage.aliases or tuple(p.text for p in stage.paths))]
                from_record = (stage.field or "_raw").casefold() in raw_fields
                for name, path in zip(names, stage.paths):
                    raw_fields.discard(name)
                    simple = all(isinstance(s, ast.JsonKey) for s in path.segments) and path.segments
                    if from_record and simple and len(names) == len(stage.paths):
                        projected[name] = tuple(s.name for s in path.segments)
                    else:
                        projected.pop(name, None)
            elif isinstance(stage, ast.Where):
                for conjunct in _conjuncts(stage.condition):
                    refs = ExprCompiler.references(conjunct)
                    if refs and refs <= set(projected):
                        known = {name: name for name in refs}
                        check = ExprCompiler(self.semantics, known).condition(conjunct)
                        needs = [(name, self.projection.path_index(projected[name])) for name in sorted(refs)]
                        member = membership(conjunct)
                        key = (self.projection.path_index(projected[member[0]]), member[1]) if member else None
                        gate.checks.append((needs, check, key))
            elif isinstance(stage, (ast.Assign, ast.Lookup, ast.Timeslice, ast.ParseAnchor)):
                if isinstance(stage, ast.Lookup) and stage.all_fields:
                    break
                if isinstance(stage, ast.Assign) and stage.alias is None and not _written_fields(stage):
                    break
                for name in _written_fields(stage):
                    projected.pop(name, None)
                    raw_fields.discard(name)
            else:
                break  # aggregate, sort, top, limit, fields, json auto, anything else: stop here
        return gate


def membership(conjunct: ast.Expr) -> tuple[str, frozenset[str]] | None:
    """`f = "a"` or `f in ("a", "b")` as (field, allowed strings): the conjuncts worth an index."""
    if isinstance(conjunct, ast.BinaryOp) and conjunct.op in ("=", "=="):
        left, right = conjunct.left, conjunct.right
        if isinstance(right, ast.FieldRef):
            left, right = right, left
        if isinstance(left, ast.FieldRef) and isinstance(right, ast.StringLit):
            return left.name.casefold(), frozenset([right.value])
    if isinstance(conjunct, ast.InList) and not conjunct.negated and isinstance(conjunct.operand, ast.FieldRef):
        if conjunct.items and all(isinstance(i, ast.StringLit) for i in conjunct.items):
            return conjunct.operand.name.casefold(), frozenset(i.value for i in conjunct.items)
    return None


class Prefilter:
    """Gates for a pack of queries over one shared projection.

    Per line: one msgspec pass, then for each distinct key path that some query tests for membership
    (`event_name in (...)`), one dict lookup from the value to the queries that accept it. Only those
    queries' remaining conjuncts are evaluated.
    """

    def __init__(self, queries: list[ast.Query], semantics: Semantics):
        self.projection = Projection()
        builder = QueryGateBuilder(self.projection, semantics)
        self.gates = [builder.build(q) for q in queries]
        self.projection.build()
        self.decode = self.projection.decoder.decode
        # path index -> {value: [query indexes]} for each query's first membership conjunct
        self.indexes: dict[int, dict[str, list[int]]] = {}
        self.unindexed: list[int] = []
        self.remaining: list[list] = []
        # Prefer, for every query, the membership conjunct on the path most queries test, so that a line needs
        # as few distinct lookups as possible.
        popularity: dict[int, int] = {}
        for gate in self.gates:
            for path_index in {c[2][0] for c in gate.checks if c[2] is not None}:
                popularity[path_index] = popularity.get(path_index, 0) + 1
        for q, gate in enumerate(self.gates):
            members = [c for c in gate.checks if c[2] is not None] if semantics.null_comparisons_false else []
            key = max(members, key=lambda c: popularity[c[2][0]]) if members else None
            if key is None:
                self.unindexed.append(q)
                self.remaining.append(gate.checks)
                continue
            path_index, allowed = key[2]
            table = self.indexes.setdefault(path_index, {})
            for value in allowed:
                table.setdefault(value, []).append(q)
            self.remaining.append([c for c in gate.checks if c is not key])
        self.index_items = list(self.indexes.items())
        self._allowed_by_origin: dict[str, frozenset[int]] = {}

    def _allowed(self, metadata: dict) -> frozenset[int]:
        origin = metadata.get("_sourcename") or ""
        allowed = self._allowed_by_origin.get(origin)
        if allowed is None:
            allowed = frozenset(i for i, g in enumerate(self.gates) if g.scope is None or g.scope(metadata))
            self._allowed_by_origin[origin] = allowed
        return allowed

    def wanted(self, obj, metadata: dict) -> list[int]:
        """Indexes of the queries that may still want this projected line, in query order."""
        getters = self.projection.getters
        candidates: list[int] = list(self.unindexed)
        cache: dict[int, Any] = {}
        for path_index, table in self.index_items:
            value = getters[path_index](obj)
            cache[path_index] = value
            hit = table.get(value) if value is not None else None
            if hit:
                candidates.extend(hit)
        if not candidates:
            return candidates
        allowed = self._allowed(metadata)
        out = []
        for q in sorted(candidates) if len(candidates) > 1 else candidates:
            if q not in allowed:
                continue
            ok = True
            for needs, check, _ in self.remaining[q]:
                preview = {}
                for name, path_index in needs:
                    if path_index not in cache:
                        cache[path_index] = getters[path_index](obj)
                    preview[name] = cache[path_index]
                if not check(preview):
                    ok = False
                    break
            if ok:
                out.append(q)
        return out
