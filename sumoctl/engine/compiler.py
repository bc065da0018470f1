"""Turning a parsed query into a runnable pipeline: per-message stages up to the first stage that needs all
messages (an aggregate, sort, top, limit), then stages over the collected rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from sumoctl.engine import expr as _expr
from sumoctl.engine import gaps, series
from sumoctl.engine import stages as st
from sumoctl.engine.aggregate import Aggregator
from sumoctl.engine.errors import QueryInvalid, QueryNotSupported
from sumoctl.engine.expr import ExprCompiler
from sumoctl.engine.geo import GeoProvider, default_provider
from sumoctl.engine.options import DEFAULT_SEMANTICS, Semantics
from sumoctl.engine.scope import compile_scope
from sumoctl.engine.tables import LookupTables, NoLookupTables, table_lookup_stage, table_path
from sumoctl.engine.threat import NoThreatIntel, ThreatProvider, is_threat_source, threat_lookup_stage
from sumoctl.query import ast

Fields = dict[str, Any]

# Built-in metadata every message has (case-folded name -> Sumo's spelling).
METADATA = {
    "_raw": "_raw", "_messagetime": "_messageTime", "_receipttime": "_receiptTime",
    "_sourcecategory": "_sourceCategory", "_source": "_source", "_collector": "_collector",
    "_sourcehost": "_sourceHost", "_sourcename": "_sourceName", "_size": "_size", "_format": "_format",
    "_messagecount": "_messageCount", "_view": "_view", "_index": "_index",
}

_HIDDEN = object()  # `_present`: a key that never reaches a printed row

_STAGE_NAMES = {
    ast.Transpose: "transpose", ast.Fillmissing: "fillmissing", ast.Compare: "compare", ast.Outlier: "outlier",
    ast.Csv: "csv", ast.Split: "split", ast.Save: "save", ast.Join: "join",
}


@dataclass
class CompiledQuery:
    """A query ready to run: feed messages to `push`, then call `finish` for the result rows."""

    query: ast.Query
    scope: Callable[[Fields], bool]
    stream: list[Callable[[Fields], Any]]
    aggregator: Aggregator | None
    tail: list[Callable[[list[Fields]], list[Fields]]]
    known: dict[str, str]
    columns: list[tuple[str, str]] | None  # aggregated queries: (key, display name) in output order
    stream_at: list[int] = field(default_factory=list)
    # What each per-message stage is, for `runner` to lay them out as one function: ("where", condition),
    # ("assign", key, expression), ("timeslice", key, size in ms, fn) in UTC, ("fields", fn, kept keys) for
    # `fields a, b`, ("stage", fn) for any other stage that returns the message or None, ("fan", fn) for one
    # that may return a list of copies. Empty when unknown: every stage is then treated as "fan".
    ops: list[tuple] = field(default_factory=list)
    _collected: list[Fields] = field(default_factory=list)
    _runners: dict[int, Callable[[Fields], bool]] = field(default_factory=dict, repr=False)
    matched: int = 0
    # Where a streaming query's rows go as they are produced (see `streams`); None keeps them for `finish`.
    sink: Callable[[Fields], None] | None = None

    @property
    def aggregates(self) -> bool:
        return self.aggregator is not None

    @property
    def streams(self) -> bool:
        """True when each result row is final as soon as its message passes: no aggregate, sort, top or limit.
        Such rows can go to a `sink` at once, and only aggregation state stays in memory."""
        return self.aggregator is None and not self.tail

    def reset(self) -> None:
        self._collected = []
        self.matched = 0
        if self.aggregator is not None:
            self.aggregator.groups = {}

    def push(self, message: Fields, start: int = 0, scoped: bool = False) -> bool:
        """Run one message through the per-message stages (from stage number `start`, when the caller has done
        the ones before, and without the scope when `scoped`: the caller checked it); True when it (or a copy)
        came out the other end."""
        if not scoped and not self.scope(message):
            return False
        run = self._runners.get(start)
        if run is None:
            run = self.runner(start)
        return run(message)

    def runner(self, start: int = 0) -> Callable[[Fields], bool]:
        """`push(message, start, scoped=True)` as one function: the stages laid out in a row (see `pipeline`),
        built once per `start`."""
        run = self._runners.get(start)
        if run is None:
            ops = self.ops[start:] if len(self.ops) == len(self.stream) else []
            if _expr.REFERENCE or not ops:
                ops = [("fan", s) for s in self.stream[start:]]
            run = self._runners[start] = pipeline(ops, self._emit, self._emit_batch, self)
        return run

    def pipeline_source(self, start: int, complete: str | None = None) -> tuple[list[str], dict[str, Any]]:
        """The source of `runner(start)`'s body, for a caller that builds the message in the same function
        (prefilter.Seeder.runner); None in reference mode or when the stages are unknown. `complete` is a line
        of source run on a message that comes out, before it becomes a row (it fills what the caller's message
        left for later); None too when the stages may fan out, where there is no single such place."""
        if _expr.REFERENCE or len(self.ops) != len(self.stream):
            return None
        ops = self.ops[start:]
        if complete is not None and any(op[0] == "fan" for op in ops):
            return None
        return pipeline_source(ops, self._emit, self._emit_batch, self, complete)

    def _emit(self, msg: Fields) -> bool:
        """A message that came out of the per-message stages."""
        self.matched += 1
        if self.aggregator is not None:
            self.aggregator.add(msg)
        elif self.sink is not None:
            self.sink(self._present(msg))
        else:
            # Kept rows must not hold on to the decoded record (several KB of Python objects each).
            msg.pop(st.RECORD, None)
            msg.pop(st.CHAIN, None)
            self._collected.append(msg)
        return True

    def _emit_batch(self, batch: list[Fields]) -> bool:
        """The copies of one message that came out (a `parse ... multi` fans out): counted once."""
        self.matched += 1
        if self.aggregator is not None:
            for msg in batch:
                self.aggregator.add(msg)
        elif self.sink is not None:
            for msg in batch:
                self.sink(self._present(msg))
        else:
            for msg in batch:
                msg.pop(st.RECORD, None)
                msg.pop(st.CHAIN, None)
            self._collected.extend(batch)
        return True

    def finish(self) -> list[Fields]:
        """The result rows (those not already given to the `sink`). Each row maps display names to values
        (null kept as None)."""
        rows = self.aggregator.rows() if self.aggregator is not None else self._collected
        for stage in self.tail:
            rows = stage(rows)
        return [self._present(r) for r in rows]

    @cached_property
    def _present(self) -> Callable[[Fields], Fields]:
        """A row as printed: keys by their printed names, without those never printed (`_display_name`)."""
        return self._presenter()

    def _presenter(self, kept: frozenset[str] | None = None) -> Callable[[Fields], Fields]:
        """`_present`; with `kept`, `_present(fields(msg))` for a `fields` stage naming `kept`, in one pass. Each
        key's printed name, or that it is not printed, is decided once (messages share their keys)."""
        names: dict[str, Any] = {}
        display_name = self._display_name

        def present(row: Fields) -> Fields:
            out: Fields = {}
            for key, value in row.items():
                name = names.get(key)
                if name is None:
                    shown = kept is None or st.fields_keeps(key, kept)
                    name = names[key] = display_name(key) if shown else _HIDDEN
                if name is not _HIDDEN:
                    out[name] = value
            return out

        return present

    def _display_name(self, key: str):
        """A row key's printed name, or _HIDDEN for keys never printed (remembered per key by `_presenter`)."""
        if key.startswith(st.PRIVATE) or key == "_raw":
            return _HIDDEN
        return str(self.known.get(key, key))  # plain str: the parser's names are a str subclass


class Compiler:
    def __init__(self, semantics: Semantics = DEFAULT_SEMANTICS, geo: GeoProvider | None = None,
                 threat: ThreatProvider | None = None, tables: LookupTables | None = None):
        self.semantics = semantics
        self.geo = geo
        self.threat = threat
        self.tables = tables

    def compile(self, query: ast.Query) -> CompiledQuery:
        known = dict(METADATA)
        exprs = ExprCompiler(self.semantics, known)
        chain = st.ParseChain()
        stream: list[Callable] = []
        tail: list[Callable] = []
        aggregator: Aggregator | None = None
        columns: list[tuple[str, str]] | None = None
        blocking = False  # once true, every further stage works on the collected rows
        last_agg: Aggregator | None = None  # the latest aggregate, whose groups fillmissing completes
        timeslice: tuple[str, int] | None = None  # the query's timeslice stage: (field key, size in ms)

        ops: list[tuple] = []  # what each of `stream` is (see CompiledQuery.ops)

        def add(stage_fn, row_fn=None, op=None):
            if blocking:
                tail.append(row_fn if row_fn is not None else (lambda rows, fn=stage_fn: _map_rows(rows, fn)))
            else:
                stream.append(stage_fn)
                ops.append(op or ("stage", stage_fn))

        stream_at: list[int] = []  # for each stage, how many per-message stages came before it
        resolved: dict[int, ast.Stage] = {}  # stages the engine reads otherwise than written (see below)
        for number, stage in enumerate(query.stages):
            stream_at.append(len(stream))
            if not isinstance(stage, (ast.ParseRegex, ast.ParseAnchor, ast.Json)):
                chain.reset()
            if isinstance(stage, ast.ParseRegex):  # also Extract
                fn = st.parse_regex(stage, known, chain)
                add(fn, op=("fan", fn) if stage.multi else None)
            elif isinstance(stage, ast.ParseAnchor):
                add(st.parse_anchor(stage, known, chain, self.semantics))
            elif isinstance(stage, ast.Json):
                add(st.json_stage(stage, known, chain, self.semantics))
            elif isinstance(stage, ast.Where):
                condition = exprs.condition(stage.condition)
                if blocking:
                    tail.append(st.rows_where(condition))
                else:
                    stream.append(st.where_stage(condition))
                    ops.append(("where", condition))
            elif isinstance(stage, ast.Assign):
                key, expr = self._assign(stage, exprs, known)
                add(st.assign_stage(key, expr), op=("assign", key, expr))
            elif isinstance(stage, ast.Lookup) and is_threat_source(stage.source):
                add(threat_lookup_stage(stage, known, self.threat or NoThreatIntel()))
            elif isinstance(stage, ast.Lookup) and table_path(stage.source) is not None:
                # The compiled query keeps the lookup with its `on` pairs as `column = field`, the order the
                # prefilter's analysis of the query's stages reads them in.
                fn, resolved[number] = table_lookup_stage(stage, known, self.tables or NoLookupTables())
                add(fn)
            elif isinstance(stage, ast.Lookup):
                add(st.lookup_stage(stage, known, self.geo or default_provider()))
            elif isinstance(stage, ast.Timeslice):
                fn = st.timeslice_stage(stage, known, self.semantics.timezone)
                utc = self.semantics.timezone.upper() == "UTC"
                key = (stage.alias or "_timeslice").casefold()
                add(fn, op=("timeslice", key, st.duration_ms(stage.size), fn) if utc else None)
                if stage.size is not None:
                    timeslice = ((stage.alias or "_timeslice").casefold(), st.duration_ms(stage.size) or 0)
            elif isinstance(stage, ast.Aggregate) and stage.calls and stage.calls[0].function == "topk":
                if not blocking:
                    raise QueryInvalid("topk works on the rows of an aggregate: count ... by ... first", stage.pos)
                tail.append(series.topk_stage(stage, known))
                if columns is not None:
                    columns = columns + [(c, known[c]) for c in ["_rank"] if c in known]
            elif isinstance(stage, ast.GenericStage) and stage.name in series.DEFAULT_WINDOW:
                if not blocking:
                    raise QueryInvalid(f"{stage.name} works on the rows of an aggregate: count ... by ... first", stage.pos)
                tail.append(series.window_stage(stage, known))
            elif isinstance(stage, ast.Fillmissing):
                if last_agg is None:
                    raise QueryInvalid("fillmissing works on the rows of an aggregate: count by ... first", stage.pos)
                tail.append(gaps.fillmissing_stage(stage, known, columns, last_agg.by_keys, last_agg.zero_columns, timeslice))
            elif isinstance(stage, ast.Outlier):
                if not blocking:
                    raise QueryInvalid("outlier works on the rows of an aggregate: count by _timeslice first", stage.pos)
                fn, columns = gaps.outlier_stage(stage, known, columns)
                tail.append(fn)
            elif isinstance(stage, ast.Transpose) and blocking:
                fn, columns = series.transpose_stage(stage, known, columns)
                tail.append(fn)
            elif isinstance(stage, ast.Aggregate):
                agg = last_agg = Aggregator(stage, exprs.compile, known)
                if aggregator is None and not blocking:
                    aggregator = agg
                else:
                    tail.append(lambda rows, agg=agg: _reaggregate(agg, rows))
                blocking = True
                columns = agg.columns
                for key, name in agg.columns:
                    known.setdefault(key, name)
                _narrow(known, agg.columns)
            elif isinstance(stage, ast.Sort):
                keys = [(exprs.compile(k.expr), k.ascending) for k in stage.keys] or [(lambda r: r.get("_messagetime"), False)]
                blocking = True
                tail.append(lambda rows, keys=keys: st.sort_rows(rows, keys))
            elif isinstance(stage, ast.Limit):
                blocking = True
                tail.append(lambda rows, n=stage.count: rows[:n])
            elif isinstance(stage, ast.Top):
                tail_fn, top_columns = self._top(stage, known, exprs, after_aggregate=aggregator is not None or bool(tail))
                if aggregator is None and not blocking:
                    blocking = True
                tail.append(tail_fn)
                if top_columns is not None:
                    columns = top_columns
            elif isinstance(stage, ast.Fields):
                fn, columns = self._fields(stage, known, columns)
                keep = None if stage.remove else frozenset(n.casefold() for n in stage.names)
                add(fn, lambda rows, fn=fn: _map_rows(rows, fn), op=("fields", fn, keep) if keep is not None else None)
            else:
                name = getattr(stage, "name", None) or _STAGE_NAMES.get(type(stage), type(stage).__name__.lower())
                raise QueryNotSupported(f"operator {name!r} is not supported by the offline engine", stage.pos)
        if resolved:
            query = replace(query, stages=tuple(resolved.get(n, s) for n, s in enumerate(query.stages)))
        return CompiledQuery(
            query=query, scope=compile_scope(query.scope), stream=stream, aggregator=aggregator, tail=tail,
            known=known, columns=columns, stream_at=stream_at, ops=ops,
        )

    def _assign(self, stage: ast.Assign, exprs: ExprCompiler, known: dict[str, str]):
        expr = exprs.compile(stage.expr)
        if stage.alias is None:
            # A bare call writes back to the field it is given (`num(x)`, `toLowerCase(x)`: probe P10).
            target = stage.expr.args[0] if isinstance(stage.expr, ast.Call) and stage.expr.args else None
            if not isinstance(target, ast.FieldRef):
                raise QueryInvalid("this expression needs `as <field>`", stage.pos)
            name = target.name
        else:
            name = stage.alias
        known.setdefault(name.casefold(), name)
        return name.casefold(), expr

    def _top(self, stage: ast.Top, known, exprs, after_aggregate: bool):
        for name in stage.fields + stage.by:
            if name.casefold() not in known:
                raise QueryInvalid(f"field {name!r} not found", stage.pos)
        n = stage.limit
        if after_aggregate and stage.by:
            # `count as n by port | top 10 port by n`: the N rows with the largest n.
            key = stage.by[0].casefold()
            return (lambda rows: st.sort_rows(rows, [(lambda r: r.get(key), False)])[:n]), None
        agg = Aggregator(ast.Aggregate((ast.AggCall("count"),), by=stage.fields + stage.by, pos=stage.pos), exprs.compile, known)
        known.setdefault("_count", "_count")

        def top(rows):
            counted = _reaggregate(agg, rows)
            return st.sort_rows(counted, [(lambda r: r.get("_count"), False)])[:n]

        return top, agg.columns

    def _fields(self, stage: ast.Fields, known, columns):
        keys = [n.casefold() for n in stage.names]
        if len(set(keys)) != len(keys):
            raise QueryInvalid("a field is listed twice in `fields`", stage.pos)
        for name in stage.names:
            if name.casefold() not in known and "*" not in name:
                raise QueryInvalid(f"field {name!r} not found", stage.pos)
        named = frozenset(keys)
        if stage.remove:
            fn = st.fields_remove_stage(named)
            new_columns = [c for c in columns if c[0] not in named] if columns else columns
        else:
            fn = st.fields_stage(named)
            new_columns = [c for c in columns if st.fields_keeps(c[0], named)] if columns else columns
        return fn, new_columns


def pipeline(ops: list[tuple], emit: Callable[[Fields], bool], emit_batch: Callable[[list[Fields]], bool],
             query: CompiledQuery | None = None) -> Callable[[Fields], bool]:
    """The per-message stages as one generated function, `run(message) -> bool`: each `where` is an `if` and
    each assignment a store, with the expression's own inlined source pasted in (see expr._Inliner), a UTC
    timeslice is arithmetic, each other stage a call, and no list of messages in between; the message that
    comes out goes straight to the query's aggregate. From the first stage that may fan out (`parse ... multi`)
    on, the copies go through `_batch_run`. Same results as running the stages one by one."""
    lines, names = pipeline_source(ops, emit, emit_batch, query)
    exec(compile("\n".join(["def run(f):", *lines]), "<pipeline>", "exec"), names)
    return names["run"]


def pipeline_source(ops: list[tuple], emit: Callable[[Fields], bool], emit_batch: Callable[[list[Fields]], bool],
                    query: CompiledQuery | None = None, complete: str | None = None) -> tuple[list[str], dict[str, Any]]:
    """The body of `pipeline`'s function (lines indented by four, over the message `f`) and its names; the
    line `complete`, when given, runs just before the message that comes out is emitted (no fan-out then)."""
    done = [] if complete is None else ["    " + complete]
    names: dict[str, Any] = {"emit": emit}
    lines: list[str] = []

    def inline(fn) -> str:
        source, namespace = getattr(fn, "inline", (None, None))
        if source is None:
            return f"{bind(fn)}(f)"
        names.update(namespace)
        return source

    def bind(value) -> str:
        name = f"_p{len(names)}"
        names[name] = value
        return name

    for i, op in enumerate(ops):
        kind = op[0]
        if kind == "where":
            lines.append(f"    if not {inline(op[1])}: return False")
        elif kind == "assign":
            lines.append(f"    f[{op[1]!r}] = {inline(op[2])}")
        elif kind == "timeslice":
            lines.append("    t = f.get('_messagetime')")
            lines.append(f"    f[{op[1]!r}] = None if t is None else ((t + 0) // {op[2]!r}) * {op[2]!r} - 0")
        elif kind == "fields" and i == len(ops) - 1 and query is not None and query.streams:
            # The last stage keeps some fields of a row that goes to the sink: printed in the same pass that
            # drops the others (`_presenter`); kept rows (no sink) still lose them here.
            names["q"], names["present_kept"] = query, query._presenter(op[2])
            lines += [
                "    sink = q.sink",
                "    if sink is not None:",
                "        q.matched += 1",
                *("    " + line for line in done),
                "        sink(present_kept(f))",
                "        return True",
                f"    f = {bind(op[1])}(f)",
            ]
        elif kind in ("stage", "fields"):
            lines.append(f"    f = {bind(op[1])}(f)")
            lines.append("    if f is None: return False")
        else:
            names["rest"] = _batch_run([_op_stage(o) for o in ops[i:]], emit_batch)
            lines.append("    return rest(f)")
            break
    else:
        if query is not None and query.aggregator is not None and query.aggregator.add_source is not None:
            # The aggregate's update pasted in (its body reads the message as `msg` through `get`).
            body, namespace = query.aggregator.add_source
            names.update(namespace)
            names["q"] = query
            lines += ["    q.matched += 1", *done, "    msg = f", "    get = f.get", *body, "    return True"]
        elif query is not None and query.aggregator is not None:
            names["q"], names["add"] = query, query.aggregator.add
            lines += ["    q.matched += 1", *done, "    add(f)", "    return True"]
        else:
            lines += [*done, "    return emit(f)"]
    return lines, names


def _op_stage(op: tuple) -> Callable[[Fields], Any]:
    if op[0] in ("stage", "fan", "fields"):
        return op[1]
    if op[0] == "timeslice":
        return op[3]
    if op[0] == "where":
        return st.where_stage(op[1])
    return st.assign_stage(op[1], op[2])


def _batch_run(stages: list[Callable], emit_batch: Callable[[list[Fields]], bool]) -> Callable[[Fields], bool]:
    def run(message: Fields) -> bool:
        batch = [message]
        for stage in stages:
            batch = _map_rows(batch, stage)
            if not batch:
                return False
        return emit_batch(batch)

    return run


def _map_rows(rows: list[Fields], fn) -> list[Fields]:
    out = []
    for row in rows:
        result = fn(row)
        if result is None:
            continue
        if type(result) is list:
            out.extend(result)
        else:
            out.append(result)
    return out


def _reaggregate(agg: Aggregator, rows: list[Fields]) -> list[Fields]:
    agg.groups = {}
    for row in rows:
        agg.add(row)
    return agg.rows()


def _narrow(known: dict[str, str], columns: list[tuple[str, str]]) -> None:
    """After an aggregate only its columns exist."""
    keep = {k for k, _ in columns}
    for key in list(known):
        if key not in keep:
            del known[key]


def compile_query(
    query: ast.Query | str, semantics: Semantics = DEFAULT_SEMANTICS, geo: GeoProvider | None = None,
    threat: ThreatProvider | None = None, tables: LookupTables | None = None,
) -> CompiledQuery:
    """A query ready to run. `geo`, `threat` and `tables` provide the data of its lookups (geoip2fast's
    countries, no threat indicator, and no lookup table by default: a table lookup then fails to compile,
    naming the CSV file to add)."""
    if isinstance(query, str):
        from sumoctl.query import parse

        query = parse(query)
    return Compiler(semantics, geo, threat, tables).compile(query)

