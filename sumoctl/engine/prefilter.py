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

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import msgspec

from sumoctl.engine.expr import ExprCompiler
from sumoctl.engine.options import Semantics
from sumoctl.engine.scope import compile_scope, metadata_only
from sumoctl.engine.values import json_value
from sumoctl.events.message import message_time
from sumoctl.query import ast

_WHOLE_RAW = {"{.*", "\\{.*", ".*", "^{.*", "^\\{.*", "^.*"}
_MISSING = msgspec.UNSET
MEMO_LIMIT = 50_000  # remembered verdicts per conjunct (distinct value tuples); beyond it, conjuncts are re-run


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

    def build(self, raw_paths: frozenset = frozenset(), str_paths: frozenset = frozenset()) -> None:
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

        def struct(node: dict, prefix: tuple = ()) -> type:
            counter[0] += 1
            fields, rename = [], {}
            for i, (key, (children, whole)) in enumerate(node.items()):
                attr = f"f{i}"
                rename[attr] = key
                if whole and not children and prefix + (key,) in str_paths:
                    fields.append((attr, Optional[str], None))
                elif whole or not children:
                    fields.append((attr, Any, _MISSING))
                else:
                    fields.append((attr, struct(children, prefix + (key,)) | None, None))
            return msgspec.defstruct(f"Projection{counter[0]}", fields, rename=rename)

        self.decoder = msgspec.json.Decoder(struct(tree))
        self.getters = [
            self._getter(tree, path, path not in raw_paths, path in str_paths) for path in self.paths
        ]

    def _getter(self, tree: dict, path: tuple[str, ...], render: bool = True, plain: bool = False) -> Callable:
        steps: list[tuple[bool, str]] = []  # (True, attr) through structs, then (False, key) inside a whole value
        node: dict | None = tree
        for key in path:
            if node is not None:
                children, whole = node[key]
                steps.append((True, f"f{list(node).index(key)}"))
                node = None if (whole or not children) else children
            else:
                steps.append((False, key))

        if plain and len(steps) == 1 and steps[0][0]:
            return operator.attrgetter(steps[0][1])  # a `str | None` field: already what json renders

        if len(steps) == 1 and steps[0][0] and render:
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
            if value is _MISSING:
                return None
            return json_value(value) if render else value

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
        # Indexed keys are decoded as `str | None`: their getter is a plain attribute read. A line where one holds
        # another JSON type fails the projection and is decoded in full (so judged exactly as without it).
        # Each remaining conjunct as (names, path indexes, check, memo). A conjunct is a pure function of the
        # projected values it reads, and CloudTrail repeats a few values (event names, sources, regions) over
        # and over: its verdict is remembered per distinct tuple of values (bounded by MEMO_LIMIT).
        self.remaining = [
            [(tuple(n for n, _ in needs), tuple(i for _, i in needs), check, {}) for needs, check, _ in checks]
            for checks in self.remaining
        ]
        self.projection.build(str_paths=frozenset(self.projection.paths[i] for i in self.indexes))
        self.decode = self.projection.decoder.decode
        self.index_items = list(self.indexes.items())
        self.index_lookups = [(self.projection.getters[i], table) for i, table in self.index_items]
        self._allowed_by_origin: dict[str, frozenset[int]] = {}

    def _allowed(self, metadata: dict) -> frozenset[int]:
        origin = metadata.get("_sourcename") or ""
        allowed = self._allowed_by_origin.get(origin)
        if allowed is None:
            allowed = frozenset(i for i, g in enumerate(self.gates) if g.scope is None or g.scope(metadata))
            self._allowed_by_origin[origin] = allowed
        return allowed

    def wanted(self, obj, metadata: dict) -> list[int] | tuple:
        """Indexes of the queries that may still want this projected line, in query order. Most lines stop
        after one lookup per indexed path."""
        candidates = None
        for get, table in self.index_lookups:
            value = get(obj)
            if value is not None:
                hit = table.get(value)
                if hit is not None:
                    candidates = hit if candidates is None else candidates + hit
        if self.unindexed:
            candidates = self.unindexed if candidates is None else candidates + self.unindexed
        if candidates is None:
            return ()
        return self._confirm(obj, metadata, candidates)

    def _confirm(self, obj, metadata: dict, candidates: list[int]) -> list[int]:
        getters = self.projection.getters
        cache: dict[int, Any] = {}
        allowed = self._allowed(metadata)
        out = []
        for q in sorted(candidates) if len(candidates) > 1 else candidates:
            if q not in allowed:
                continue
            ok = True
            for names, paths, check, memo in self.remaining[q]:
                if len(paths) == 1:  # most conjuncts read one field: its value is the memo key
                    path_index = paths[0]
                    key = cache.get(path_index, cache)
                    if key is cache:
                        key = cache[path_index] = getters[path_index](obj)
                    values = (key,)
                else:
                    values = []
                    for path_index in paths:
                        value = cache.get(path_index, cache)
                        if value is cache:
                            value = cache[path_index] = getters[path_index](obj)
                        values.append(value)
                    key = values = tuple(values)
                try:
                    verdict = memo[key]
                except KeyError:
                    verdict = bool(check(dict(zip(names, values))))
                    if len(memo) < MEMO_LIMIT:
                        memo[key] = verdict
                except TypeError:  # an unhashable value: judge it afresh
                    verdict = bool(check(dict(zip(names, values))))
                if not verdict:
                    ok = False
                    break
            if ok:
                out.append(q)
        return out


# --- running a query from the projection alone ----------------------------------------------------------------------


@dataclass
class FastPlan:
    """A query whose every per-message input up to its aggregate comes from json paths of the record: it can
    start from a message seeded with those values, skipping the decode of the whole line, `_raw`, the prelude's
    `parse regex` and its `json` (the results are the same: tests/engine/test_prefilter.py)."""

    prelude: int                                  # number of AST stages the seed replaces
    fields: list[tuple[str, tuple[str, ...]]]     # (field, json path) in the order the prelude assigns them
    # Every field a stage after the prelude reads (the aggregate's included): the seed needs only these.
    reads: frozenset[str] = frozenset()


def fast_plan(query: ast.Query) -> FastPlan | None:
    """Eligible when: the scope reads only metadata; the query starts with whole-message captures and `json`
    stages with `nodrop` and plain key paths on them (a missing key and JSON null are both null there, as in the
    projection); then only where/assignments/lookups/timeslice and `parse regex` of other fields (after some
    other stage, so that no parse chain reaches back into the prelude), none of which reads `_raw`, `_size` or a
    capture; then an aggregate (so the unseeded fields can never reach a result row)."""
    if query.scope is not None and not metadata_only(query.scope):
        return None
    raw_fields = {"_raw"}
    fields: list[tuple[str, tuple[str, ...]]] = []
    stages = query.stages
    index = 0
    while index < len(stages):
        stage = stages[index]
        if isinstance(stage, ast.ParseRegex):
            captured = _whole_raw_capture(stage, raw_fields)
            if captured is None or stage.nodrop:
                break
            raw_fields.add(captured)
        elif isinstance(stage, ast.Json) and not stage.auto and stage.nodrop:
            if (stage.field or "_raw").casefold() not in raw_fields:
                return None
            if stage.aliases and len(stage.aliases) != len(stage.paths):
                return None
            names = [n.casefold() for n in (stage.aliases or tuple(p.text for p in stage.paths))]
            for name, path in zip(names, stage.paths):
                if name in raw_fields or not path.segments or not all(isinstance(g, ast.JsonKey) for g in path.segments):
                    return None
                fields.append((name, tuple(g.name for g in path.segments)))
        else:
            break
        index += 1
    if not fields:
        return None
    forbidden = raw_fields | {"_size"}
    reads: set[str] = set()
    chain_reset = False  # a stage other than parse/json ran since the prelude (so a parse's chain starts anew)
    for stage in stages[index:]:
        if isinstance(stage, ast.Where):
            read = ExprCompiler.references(stage.condition)
            refs = read
        elif isinstance(stage, ast.Assign):
            read = ExprCompiler.references(stage.expr)
            refs = read | set(_written_fields(stage))
        elif isinstance(stage, ast.Lookup):
            read = {o.field.casefold() for o in stage.on}
            refs = read | set(_written_fields(stage))
        elif isinstance(stage, ast.Timeslice):
            read = {"_messagetime"}
            refs = set(_written_fields(stage))
        elif isinstance(stage, ast.ParseRegex) and chain_reset:
            read = {(stage.field or "_raw").casefold()}
            refs = read | set(_written_fields(stage))
        elif isinstance(stage, ast.Aggregate):
            refs = {b.casefold() for b in stage.by}
            for call in stage.calls:
                for arg in call.args:
                    refs |= ExprCompiler.references(arg)
            if refs & forbidden:
                return None
            return FastPlan(index, fields, frozenset(reads | refs | {"_messagetime"}))
        else:
            return None
        if refs & forbidden:
            return None
        reads |= read
        chain_reset = True
    return None


import typing  # noqa: E402  (kept with the seeder that uses them)

from sumoctl.engine.clock import event_time, record_time  # noqa: E402

TIME_PATHS = (("eventTime",), ("@timestamp",))


SEED_METADATA = ("_sourcecategory", "_source", "_collector", "_sourcehost", "_sourcename")


class Seeder:
    """Builds seed messages for the fast-path queries of a pack from one more msgspec projection.

    A seed holds only what the query's stages read (`FastPlan.reads`): a field no stage reads cannot reach an
    aggregate's rows, and filling it is most of the cost of a seed."""

    def __init__(self, plans: list[FastPlan | None]):
        self.projection = Projection()
        self.plans = plans
        self.fields: list[list[tuple[str, int]] | None] = []
        for plan in plans:
            if plan is None:
                self.fields.append(None)
                continue
            self.fields.append([(name, self.projection.path_index(path)) for name, path in plan.fields])
        self.time_indexes = [self.projection.path_index(p) for p in TIME_PATHS]
        self.projection.build(raw_paths=frozenset(TIME_PATHS))
        self.decode = self.projection.decoder.decode
        getters = self.projection.getters
        self._event_time, self._timestamp = (getters[i] for i in self.time_indexes)
        self.builders = [None if plan is None else self._builder(plan, fields) for plan, fields in zip(plans, self.fields)]
        self.runs: dict[int, Callable] = {}  # query -> its `runner`, made on first use (Runner._run_seeded)

    def _builder(self, plan: FastPlan, fields: list[tuple[str, int]]) -> Callable:
        """`build(obj, when, metadata) -> seed` for one query, generated: one dict display of the fields it reads."""
        reads = plan.reads
        names: dict[str, Any] = {}
        items = ["'_messagetime': when"]
        if "_receipttime" in reads:
            items.append("'_receipttime': when")
        for key in SEED_METADATA:
            if key in reads:
                items.append(f"{key!r}: meta[{key!r}]")
        lines = ["def build(obj, when, meta):"]
        names.update(M=_MISSING, jv=json_value, str=str, dict=dict, isinstance=isinstance)
        for n, (name, path_index) in enumerate(fields):
            if name in reads:  # a name assigned twice: the later entry of the display wins, as in the prelude
                lines += self._walk(self.projection.paths[path_index], f"x{n}")
                items.append(f"{name!r}: x{n}")
        lines.append("    return {" + ", ".join(items) + "}")
        exec(compile("\n".join(lines), "<seed>", "exec"), names)
        build = names["build"]
        build.lines, build.namespace = lines, dict(names)  # for `runner`
        return build

    def _walk(self, path: tuple[str, ...], target: str) -> list[str]:
        """Source that sets `target` to what the projection's getter of `path` returns (`Projection._getter`:
        null when a struct on the way is null or a key is missing, the value rendered by `json_value`), read
        from the decoded structs by attribute, without a call. The attributes are looked up in the structs'
        own field table (msgspec.structs.fields)."""
        lines = [f"    {target} = None", "    v = obj"]
        indent = "    "
        struct = self.projection.decoder.type
        for depth, key in enumerate(path):
            last = depth == len(path) - 1
            if struct is not None:
                info = next(f for f in msgspec.structs.fields(struct) if f.encode_name == key)
                lines.append(f"{indent}v = v.{info.name}")
                inner = [t for t in typing.get_args(info.type) if isinstance(t, type) and issubclass(t, msgspec.Struct)]
                struct = inner[0] if inner else None
                if not last:
                    lines.append(f"{indent}if v is not None and v is not M:")
                    indent += "    "
            else:
                lines.append(f"{indent}if not isinstance(v, dict) or {key!r} not in v:")
                lines.append(f"{indent}    v = M")
                lines.append(f"{indent}else:")
                lines.append(f"{indent}    v = v[{key!r}]")
        lines.append(f"{indent}if v is not None and v is not M:")
        lines.append(f"{indent}    {target} = v if v.__class__ is str else jv(v)")
        return lines

    def runner(self, q: int, query, start: int) -> Callable:
        """`run(obj, when, metadata) -> bool`: query `q`'s seed built and run through its stages from `start`
        (`query.runner(start)`) in one generated function, when the query gives its stages' source."""
        build = self.builders[q]
        body = query.pipeline_source(start)
        if body is None:
            run = query.runner(start)
            return lambda obj, when, meta: run(build(obj, when, meta))
        lines, names = body
        names = {**names, **build.namespace}
        source = "\n".join([*build.lines[:-1], build.lines[-1].replace("return {", "f = {", 1), *lines])
        exec(compile(source, "<seeded>", "exec"), names)
        return names["build"]

    # `message_time` of a decoded record, each hour parsed once (engine.clock): what run.make_message uses.
    record_time = staticmethod(record_time)

    def time(self, obj) -> int | None:
        """`message_time` of the record behind `obj`."""
        return event_time(self._event_time(obj), self._timestamp(obj))

    def seeds(self, obj, base: dict, indexes: list[int]) -> list[dict]:
        """The seed of each query in `indexes` (`base` holds the metadata fields)."""
        when = self.time(obj)
        return [self.builders[q](obj, when, base) for q in indexes]
