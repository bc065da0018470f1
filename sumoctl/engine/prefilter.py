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

How it is fast (bench/screen.py): a pack reads a few *key* paths on every line (`eventName`, and the fields of
queries that test no event name, such as `awsRegion`). The screen reads just those, and remembers its verdict
per tuple of key values (and origin, when a scope reads `_sourceName`): most lines cost a tuple and one dict
lookup. A new tuple is judged from
per-value masks (which queries a value of one key path leaves standing, judged with the others unknown, see
sumoctl/engine/partial.py), then the survivors' conditions over several key paths. Conditions that read other
paths (`requestParameters.userName`, ...) are left to a *residual*: a reader generated for the queries that
survive, which reads those paths for the lines that reach it and remembers its verdict per tuple of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import msgspec

from sumoctl.engine.expr import ExprCompiler
from sumoctl.engine.options import Semantics
from sumoctl.engine.partial import Partial, deciders, partial
from sumoctl.engine.scope import compile_scope, metadata_only
from sumoctl.engine.stages import whole_capture
from sumoctl.engine.values import json_value
from sumoctl.query import ast

_MISSING = msgspec.UNSET
# Remembered verdicts per memo (line keys, values of one key path, value tuples of one condition); a full memo
# starts again empty, so that a stream whose values drift keeps its hit rate and memory stays bounded.
MEMO_LIMIT = 50_000
RESIDUAL_LIMIT = 1_000  # distinct residuals (sets of queries with their pending checks) kept for reuse


def _whole_raw_capture(stage: ast.ParseRegex, raw_fields: set[str]) -> str | None:
    """The field a `parse regex "(?<raw>{.*)"` on a whole-message field writes, when it copies it whole."""
    if (stage.field or "_raw").casefold() not in raw_fields:
        return None
    whole = whole_capture(stage)
    return whole[0].casefold() if whole else None


class Check:
    """One `where` conjunct a query is sure to reach, over fields read from json paths of the record."""

    __slots__ = ("condition", "member", "names", "partial", "paths")

    def __init__(self, names, paths, condition: ast.Expr, semantics: Semantics, member):
        self.names: tuple[str, ...] = names          # the fields it reads (case-folded)...
        self.paths: tuple[int, ...] = paths          # ...and the projection's index of each one's json path
        self.condition = condition
        self.partial: Partial = partial(condition, semantics)
        self.member: tuple[int, frozenset[str]] | None = member  # (path index, values) of `f in ("a", ...)`


@dataclass
class Gate:
    """The checks one query allows before decoding: a metadata-only scope and `where` conjuncts."""

    scope: Callable[[dict], bool] | None = None
    checks: list[Check] = field(default_factory=list)

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
        self._tree: dict = {}
        self.str_paths: frozenset = frozenset()

    def path_index(self, path: tuple[str, ...]) -> int:
        if path not in self._index:
            self._index[path] = len(self.paths)
            self.paths.append(path)
        return self._index[path]

    def build(self, raw_paths: frozenset = frozenset(), str_paths: frozenset = frozenset(),
              nulls: bool = False) -> None:
        """`raw_paths` are read as decoded (not rendered by `json_value`). `str_paths` are decoded as `str | None`:
        a line where one holds another JSON type fails the projection (msgspec.ValidationError) and is decoded in
        full. With `nulls`, a missing key decodes as None, as JSON null does (both are null to `json`), so that
        generated readers (`reads`) need no UNSET test."""
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
                    fields.append((attr, Any, None if nulls and not children else _MISSING))
                else:
                    fields.append((attr, struct(children, prefix + (key,)) | None, None))
            # gc=False: a decoded JSON value holds no reference cycles, so the collector need not track them.
            return msgspec.defstruct(f"Projection{counter[0]}", fields, rename=rename, gc=False)

        self._tree = tree
        self.decoder = msgspec.json.Decoder(struct(tree))
        self.str_paths = str_paths
        self.getters = [self._getter(tree, path, path not in raw_paths) for path in self.paths]

    def _attributes(self, path: tuple[str, ...]) -> list[str] | None:
        """The struct attributes that lead to `path`'s value when it is a leaf reached through structs only
        (each parent is a struct or None), else None (its getter walks a decoded value)."""
        names, node = [], self._tree
        for depth, key in enumerate(path):
            children, whole = node[key]
            names.append(f"f{list(node).index(key)}")
            if depth == len(path) - 1:
                return names if whole and not children else None
            if whole or not children:
                return None
            node = children
        return None

    def reads(self, path_indexes: list[int]) -> list[str]:
        """Python statements for generated code (over a projection built with `nulls`) that set `v0`, `v1`, ...
        to what the getters of these paths return for a projected line `obj`: plain attribute accesses where
        the path runs through structs, the getter `getters[i](obj)` where it does not."""
        lines, parents = [], set()
        for n, path_index in enumerate(path_indexes):
            path = self.paths[path_index]
            chain = self._attributes(path)
            if chain is None:
                lines.append(f"v{n} = getters[{path_index}](obj)")
                continue
            holder = "obj"
            for depth in range(1, len(chain)):
                parent = "p_" + "_".join(chain[:depth])
                if parent not in parents:
                    parents.add(parent)
                    step = f"{holder}.{chain[depth - 1]}"
                    guard = "" if holder == "obj" else f" if {holder} is not None else None"
                    lines.append(f"{parent} = {step}{guard}")
                holder = parent
            if holder == "obj":
                lines.append(f"v{n} = obj.{chain[-1]}")
            else:
                lines.append(f"v{n} = {holder}.{chain[-1]} if {holder} is not None else None")
            if path not in self.str_paths:
                lines.append(f"if v{n}.__class__ is not str and v{n} is not None: v{n} = render(v{n})")
        return lines

    def _getter(self, tree: dict, path: tuple[str, ...], render: bool = True) -> Callable:
        steps: list[tuple[bool, str]] = []  # (True, attr) through structs, then (False, key) inside a whole value
        node: dict | None = tree
        for key in path:
            if node is not None:
                children, whole = node[key]
                steps.append((True, f"f{list(node).index(key)}"))
                node = None if (whole or not children) else children
            else:
                steps.append((False, key))

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
                        names = tuple(sorted(refs))
                        paths = tuple(self.projection.path_index(projected[name]) for name in names)
                        member = membership(conjunct)
                        key = (self.projection.path_index(projected[member[0]]), member[1]) if member else None
                        gate.checks.append(Check(names, paths, conjunct, self.semantics, key))
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
    """`f = "a"` or `f in ("a", "b")` as (field, allowed strings): the conjuncts that make a path worth a key."""
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


def _leaves(node: ast.Expr) -> list[ast.Expr]:
    if isinstance(node, ast.BinaryOp) and node.op in ("and", "or"):
        return _leaves(node.left) + _leaves(node.right)
    if isinstance(node, ast.UnaryOp) and node.op == "not":
        return _leaves(node.operand)
    return [node]


def _string_comparison(node: ast.Expr) -> str | None:
    """The field that `f = "a"`, `f != "a"`, `f in ("a", ...)` or `f not in (...)` compares with strings."""
    if isinstance(node, ast.BinaryOp) and node.op in ("=", "==", "!=", "<>"):
        for field_side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(field_side, ast.FieldRef) and isinstance(other, ast.StringLit):
                return field_side.name.casefold()
    if isinstance(node, ast.InList) and isinstance(node.operand, ast.FieldRef) and node.items \
            and all(isinstance(i, ast.StringLit) for i in node.items):
        return node.operand.name.casefold()
    return None


def _bits(mask: int):
    """The set bits of `mask`, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _reads_source_name(scope: ast.ScopeExpr | None) -> bool:
    if isinstance(scope, ast.FieldMatch):
        return scope.field.casefold() == "_sourcename"
    if isinstance(scope, (ast.And, ast.Or)):
        return any(_reads_source_name(i) for i in scope.items)
    if isinstance(scope, ast.Not):
        return _reads_source_name(scope.operand)
    return False


def _generate(signature: str, body: list[str], namespace: dict) -> Callable:
    """A function of the pack, from our own statements (see Projection.reads)."""
    name = signature.split("(")[0]
    source = "\n    ".join([f"def {signature}:"] + body)
    exec(compile(source, f"<sumoctl screen {name}>", "exec"), namespace)  # noqa: S102 - built above, not input
    return namespace[name]


def _values(count: int) -> str:
    return "(" + "".join(f"v{n}, " for n in range(count)) + ")"


class Residual:
    """The queries a line's key values leave standing when some still have checks on other paths (`plan`: each
    query with those checks, in query order), and `screen(obj)`, generated to judge them on a projected line. It
    remembers its verdict per tuple of the values it reads: a condition is a pure function of them."""

    def __init__(self, plan: list[tuple[int, tuple[Check, ...]]], projection: Projection):
        self.plan = plan
        self.paths = sorted({i for _, pending in plan for check in pending for i in check.paths})
        self.memo: dict[tuple, tuple[int, ...]] = {}
        self.screen = _generate(
            "residual(obj)",
            [*projection.reads(self.paths), "key = " + _values(len(self.paths)),
             "try:", "    kept = memo[key]", "except KeyError:", "    kept = judge(key)", "return list(kept)"],
            {"getters": projection.getters, "render": json_value, "memo": self.memo, "judge": self.judge},
        )

    def judge(self, values: tuple) -> tuple[int, ...]:
        slot = {path_index: n for n, path_index in enumerate(self.paths)}
        kept = tuple(
            q for q, pending in self.plan
            if all(c.partial({n: values[slot[i]] for n, i in zip(c.names, c.paths)}) is not False for c in pending)
        )
        # Long values (user data, policies) are rarely seen twice: not worth the memory.
        if sum(len(v) for v in values if v is not None) <= 1024:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.memo[values] = kept
        return kept


class Prefilter:
    """Gates for a pack of queries over one shared projection: `wanted(decode(line), metadata)` are the indexes of
    the queries that may want the line, in query order (a fresh list, or `()` for none). `decode` raises
    msgspec's errors for a line it cannot project (then the line is decoded in full, for every query).

    `wanted` is generated for the pack (see the module docstring). A line's verdict depends on its metadata only
    through `_sourcename` (the rest is the Runner's, fixed for a run): scopes are judged once per origin, and the
    origin is part of the remembered key only when some scope reads `_sourceName`.
    """

    def __init__(self, queries: list[ast.Query], semantics: Semantics):
        self.projection = Projection()
        builder = QueryGateBuilder(self.projection, semantics)
        self.gates = [builder.build(q) for q in queries]
        self.key_paths = self._key_paths()
        self.projection.build(str_paths=self._string_paths(), nulls=True)
        self.decode = self.projection.decoder.decode
        position = {path_index: k for k, path_index in enumerate(self.key_paths)}
        # For each key path, the checks that read it, with the names they read it as: a new value of the path is
        # judged by them alone (`_value_mask`). Per query, the checks that read a key path and another path
        # (`_joint`), judged once all key values are known, and the checks that read no key path (`_rest`).
        self._readers: list[list[tuple[int, Check, tuple[str, ...]]]] = [[] for _ in self.key_paths]
        self._joint: list[list[tuple[Check, tuple[tuple[str, int], ...]]]] = []
        self._rest: list[tuple[Check, ...]] = []
        for q, gate in enumerate(self.gates):
            joint, rest = [], []
            for check in gate.checks:
                keyed = tuple((name, position[i]) for name, i in zip(check.names, check.paths) if i in position)
                for k in sorted({k for _, k in keyed}):
                    self._readers[k].append((q, check, tuple(name for name, j in keyed if j == k)))
                if not keyed:
                    rest.append(check)
                elif len(set(check.paths)) > 1:
                    joint.append((check, keyed))
            self._joint.append(joint)
            self._rest.append(tuple(rest))
        self._everyone = (1 << len(self.gates)) - 1
        self._value_masks: list[dict[Any, int]] = [{} for _ in self.key_paths]
        self._allowed_masks: dict[str, int] = {}
        self._residuals: dict[tuple, Residual] = {}
        # Without a scope on `_sourceName`, every line of a run has the same scopes' verdicts: leave it out.
        self._by_origin = any(_reads_source_name(q.scope) for q in queries)
        self.wanted = self._screen()

    def _screen(self) -> Callable:
        """Generates `wanted(obj, metadata)`: read the key paths with attribute accesses (a value that is not a
        string is rendered as `json` would, so that the key is what the checks see) and look the tuple up."""
        memo: dict[tuple, Any] = {}

        def judge(key: tuple, metadata: dict):
            verdict = self._verdict(key[1:] if self._by_origin else key, metadata)
            if verdict.__class__ is Residual:
                verdict = verdict.screen
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = verdict
            return verdict

        origin = "metadata.get('_sourcename'), " if self._by_origin else ""
        return _generate(
            "wanted(obj, metadata)",
            [
                *self.projection.reads(self.key_paths),
                "key = (" + origin + _values(len(self.key_paths))[1:],
                "try:",
                "    verdict = memo[key]",
                "except KeyError:",
                "    verdict = judge(key, metadata)",
                "if not verdict:",
                "    return ()",
                "if verdict.__class__ is tuple:",
                "    return list(verdict)",
                "return verdict(obj)  # a residual: checks on paths outside the key",
            ],
            {"getters": self.projection.getters, "render": json_value, "memo": memo, "judge": judge},
        )

    def _key_paths(self) -> list[int]:
        """The paths read on every line: for each query, the path of a membership test (`event_name in (...)`),
        preferring the one most queries test, so that lines need few; for a query with none, every path that
        alone can make one of its checks false (`awsRegion` for `aws_region not in (...)`). The most read first."""
        popularity: dict[int, int] = {}
        for gate in self.gates:
            for path_index in {c.member[0] for c in gate.checks if c.member is not None}:
                popularity[path_index] = popularity.get(path_index, 0) + 1
        chosen: set[int] = set()
        for gate in self.gates:
            members = [c.member[0] for c in gate.checks if c.member is not None]
            if members:
                chosen.add(max(members, key=lambda i: (popularity[i], -i)))
                continue
            for check in gate.checks:
                decisive = deciders(check.condition)
                chosen.update(i for name, i in zip(check.names, check.paths) if name in decisive)
        readers = {i: sum(1 for g in self.gates for c in g.checks if i in c.paths) for i in chosen}
        return sorted(chosen, key=lambda i: (-readers[i], i))

    def _string_paths(self) -> frozenset[tuple[str, ...]]:
        """Key paths that some check compares with string literals (`event_name in ("A", ...)`, `aws_region !=
        "x"`) are decoded as `str | None`: a line where one holds another JSON type fails the projection and is
        decoded in full. The others (`where bytes > 1000000`) are read as any JSON value and rendered."""
        compared = set()
        for gate in self.gates:
            for check in gate.checks:
                for leaf in _leaves(check.condition):
                    name = _string_comparison(leaf)
                    if name in check.names:
                        compared.add(check.paths[check.names.index(name)])
        return frozenset(self.projection.paths[i] for i in self.key_paths if i in compared)

    def _verdict(self, values: tuple, metadata: dict):
        """The verdict for new key values: (), a tuple of queries, or a Residual to judge on the line."""
        mask = self._allowed_mask(metadata)
        for k, value in enumerate(values):
            if not mask:
                return ()
            mask &= self._value_mask(k, value)
        plan = []
        for q in _bits(mask):
            pending = list(self._rest[q])
            for check, keyed in self._joint[q]:
                verdict = check.partial({name: values[k] for name, k in keyed})
                if verdict is False:
                    break
                if verdict is None:
                    pending.append(check)
            else:
                plan.append((q, tuple(pending)))
        if not any(pending for _, pending in plan):
            return tuple(q for q, _ in plan)
        signature = tuple((q, tuple(map(id, pending))) for q, pending in plan)
        residual = self._residuals.get(signature)
        if residual is None:
            if len(self._residuals) >= RESIDUAL_LIMIT:
                self._residuals.clear()  # the screens' memos keep the ones they hold
            residual = self._residuals[signature] = Residual(plan, self.projection)
        return residual

    def _allowed_mask(self, metadata: dict) -> int:
        origin = metadata.get("_sourcename") or ""
        mask = self._allowed_masks.get(origin)
        if mask is None:
            mask = sum(1 << q for q, g in enumerate(self.gates) if g.scope is None or g.scope(metadata))
            self._allowed_masks[origin] = mask
        return mask

    def _value_mask(self, k: int, value) -> int:
        """The queries that key path `k` holding `value` leaves standing, judged with every other field unknown."""
        table = self._value_masks[k]
        mask = table.get(value)
        if mask is None:
            mask = self._everyone
            for q, check, names in self._readers[k]:
                if mask >> q & 1 and check.partial(dict.fromkeys(names, value)) is False:
                    mask &= ~(1 << q)
            if len(table) >= MEMO_LIMIT:
                table.clear()
            table[value] = mask
        return mask


# --- running a query from the projection alone ----------------------------------------------------------------------


@dataclass
class FastPlan:
    """A query whose every per-message input comes from json paths of the record: it can start from a message
    seeded with those values, skipping the decode of the whole line, `_raw`, the prelude's `parse regex` and its
    `json` (the results are the same: tests/engine/test_prefilter.py, tests/engine/test_kept_paths.py)."""

    prelude: int                                  # number of AST stages the seed replaces
    fields: list[tuple[str, tuple[str, ...]]]     # (field, json path) in the order the prelude assigns them
    # Every field a stage after the prelude reads (the aggregate's included), and for a streaming query every
    # field its rows keep: the seed needs only these.
    reads: frozenset[str] = frozenset()
    # A streaming query (its rows end with `fields ...`): the seed then holds every metadata field, in the order
    # of a decoded message, and `_size` is measured from the line only for a row that comes out (RowSize).
    streams: bool = False


def fast_plan(query: ast.Query) -> FastPlan | None:
    """Eligible when: the scope reads only metadata; the query starts with whole-message captures and `json`
    stages with `nodrop` and plain key paths on them (a missing key and JSON null are both null there, as in the
    projection); then only where/assignments/lookups/timeslice and `parse regex` of other fields (after some
    other stage, so that no parse chain reaches back into the prelude), none of which reads `_raw`, `_size` or a
    capture; then either an aggregate (so the unseeded fields can never reach a result row) or, as the last
    stage, `fields` keeping only fields the seed or those stages give (so its rows are exactly the full path's:
    `fields` drops every other field but keeps the metadata, which the seed holds, and `_size`, see RowSize)."""
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
    written: set[str] = set()  # fields the stages after the prelude may write
    multi = False  # some `parse ... multi` fans a message out (a streaming seed completes single messages only)
    chain_reset = False  # a stage other than parse/json ran since the prelude (so a parse's chain starts anew)
    for position, stage in enumerate(stages[index:], index):
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
            multi = multi or stage.multi
        elif isinstance(stage, ast.Aggregate):
            refs = {b.casefold() for b in stage.by}
            for call in stage.calls:
                for arg in call.args:
                    refs |= ExprCompiler.references(arg)
            if refs & forbidden:
                return None
            return FastPlan(index, fields, frozenset(reads | refs | {"_messagetime"}))
        elif isinstance(stage, ast.Fields) and not stage.remove and position == len(stages) - 1 and not multi:
            return _streaming_plan(index, fields, reads, written, stage, forbidden)
        else:
            return None
        if refs & forbidden:
            return None
        reads |= read
        written |= set(_written_fields(stage))
        chain_reset = True
    return None


def _streaming_plan(prelude: int, fields, reads: set[str], written: set[str], stage: ast.Fields,
                    forbidden: set[str]) -> FastPlan | None:
    """The plan of a query that ends with `fields <kept>`: each kept field must be seeded, written by a stage
    after the prelude, or metadata the seed holds. Its seed holds, besides what the stages read, every kept
    prelude field and every prelude field whose name starts with `_` (`fields` keeps those too), so that the
    keys of a row come in the same order as from a decoded message."""
    kept = {n.casefold() for n in stage.names}
    seeded = {name for name, _ in fields}
    if kept & forbidden or not kept <= seeded | written | SEEDED_METADATA:
        return None
    if any(name in _METADATA_NAMES for name in seeded | written):
        return None  # a field over a metadata name would change where that key sits in the row
    underscored = {name for name in seeded if name.startswith("_")}
    return FastPlan(prelude, fields, frozenset(reads | kept | underscored | {"_messagetime"}), streams=True)


import typing  # (kept with the seeder that uses it)

from sumoctl.engine.clock import event_time, record_time, remembered_time_reader
from sumoctl.engine.compiler import METADATA
from sumoctl.events.message import compact_raw
from sumoctl.events.reader import decode_record

TIME_PATHS = (("eventTime",), ("@timestamp",))


SEED_METADATA = ("_sourcecategory", "_source", "_collector", "_sourcehost", "_sourcename")
# The metadata a streaming seed holds, in the order of a decoded message (run.make_message), `_size` left out.
SEEDED_METADATA = frozenset(("_messagetime", "_receipttime", *SEED_METADATA))
_METADATA_NAMES = frozenset(METADATA)


def row_size(line: bytes) -> int:
    """`_size` of the message behind a JSONL line: the length of its compact `_raw`, as run.make_message has it.
    A seed of a streaming query holds a placeholder; this fills it only for a row that comes out, so the few
    result rows pay for a full decode and the many lines that a `where` drops do not."""
    return len(compact_raw(decode_record(line)))


class Seeder:
    """Builds seed messages for the fast-path queries of a pack from one more msgspec projection.

    A seed holds only what the query's stages read (`FastPlan.reads`): a field no stage reads cannot reach an
    aggregate's rows, and filling it is most of the cost of a seed. A streaming query's seed also holds every
    field its rows keep, and its `_size` is measured from the line last decoded (`line`) when a row comes out.
    With `sized` False, a streaming query's rows go without `_size`: measuring it decodes the line a second time
    (most of a row's cost), for a field that no stage of a seeded query reads (fast_plan) and some consumers
    never print (`sumoctl eval`)."""

    def __init__(self, plans: list[FastPlan | None], sized: bool = True):
        self.projection = Projection()
        self.plans = plans
        self.sized = sized
        self.fields: list[list[tuple[str, int]] | None] = []
        for plan in plans:
            if plan is None:
                self.fields.append(None)
                continue
            self.fields.append([(name, self.projection.path_index(path)) for name, path in plan.fields])
        self.time_indexes = [self.projection.path_index(p) for p in TIME_PATHS]
        self.projection.build(raw_paths=frozenset(TIME_PATHS))
        self.line: bytes | None = None
        decode = self.projection.decoder.decode
        if sized and any(plan is not None and plan.streams for plan in plans):
            def decode_keeping_line(line: bytes):
                self.line = line
                return decode(line)
            self.decode = decode_keeping_line
        else:
            self.decode = decode
        getters = self.projection.getters
        self._event_time, self._timestamp = (getters[i] for i in self.time_indexes)
        attributes = self.projection._attributes(TIME_PATHS[0])
        if attributes is not None and len(attributes) == 1:  # eventTime is a plain field of the projection
            self.time = remembered_time_reader(attributes[0], self.time)
        self.builders = [None if plan is None else self._builder(plan, fields) for plan, fields in zip(plans, self.fields)]
        self.runs: dict[int, Callable] = {}  # query -> its `runner`, made on first use (Runner._run_seeded)

    def _builder(self, plan: FastPlan, fields: list[tuple[str, int]]) -> Callable:
        """`build(obj, when, metadata) -> seed` for one query, generated: one dict display of the fields it reads
        (for a streaming query: every metadata field first, as in a decoded message, `_size` a placeholder)."""
        reads = plan.reads
        names: dict[str, Any] = {}
        items = ["'_messagetime': when"]
        if "_receipttime" in reads or plan.streams:
            items.append("'_receipttime': when")
        for key in SEED_METADATA:
            if key in reads or plan.streams:
                items.append(f"{key!r}: meta[{key!r}]")
        if plan.streams and self.sized:
            items.append("'_size': None")
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
        streams = self.plans[q].streams and self.sized
        body = query.pipeline_source(start, complete="f['_size'] = _row_size(_seeder.line)" if streams else None)
        if body is None:
            run = query.runner(start)
            if streams:  # no place to fill `_size` in just before a row comes out: fill it in every seed
                def run_sized(obj, when, meta):
                    seed = build(obj, when, meta)
                    seed["_size"] = row_size(self.line)
                    return run(seed)
                return run_sized
            return lambda obj, when, meta: run(build(obj, when, meta))
        lines, names = body
        names = {**names, **build.namespace, "_row_size": row_size, "_seeder": self}
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
