"""Typed AST of a Sumo Logic log search query.

A query is ``scope | stage | stage ...``. :class:`Query` holds the scope (the keyword expression before the
first pipe, ``None`` when empty) and the stages in order.

Conventions every consumer (the engine, the linter, the renderer) can rely on:

* Every node is a frozen dataclass. Its ``pos`` (:class:`Pos`: 1-based line and column plus 0-based offset
  into the text given to :func:`sumoctl.query.parse`, after placeholder substitution) is keyword-only and
  excluded from equality, so two ASTs compare equal when their *structure* is equal (the round-trip test
  relies on this).
* Field names are plain ``str`` as written (``%"odd field"`` gives ``odd field``); Sumo resolves them
  case-insensitively, so consumers should compare them with ``casefold()``.
* Operator, function and option names are normalised to lower case where Sumo treats them
  case-insensitively (``Count`` -> ``count``, ``toUpperCase`` keeps its spelling in :class:`Call.name` but
  :attr:`Call.lname` gives the lower-case form).
* String literal values are decoded: ``\\"`` becomes ``"``; every other backslash sequence is kept verbatim
  (``\\d`` reaches the regex engine as written, ``\\n`` in an anchor pattern is left for the engine to read
  as a line break). Whether Sumo turns ``\\\\`` into one backslash is unverified; we keep both.
* Stage options (``field=``, ``nodrop``, ``multi``, aliases) are plain attributes.

Render any node back to Sumo text with :meth:`Query.to_sumo` (or :func:`sumoctl.query.render.render`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Pos:
    """Where a node starts: 1-based line and column, 0-based character offset."""

    line: int = 0
    column: int = 0
    offset: int = 0


NOPOS = Pos()


@dataclass(frozen=True)
class Node:
    pos: Pos = field(default=NOPOS, compare=False, repr=False, kw_only=True)


# --------------------------------------------------------------------------------------------------------
# Expressions (where, assignments, function arguments)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StringLit(Node):
    """``"text"``; ``value`` is decoded (``\\"`` -> ``"``)."""

    value: str


@dataclass(frozen=True)
class NumberLit(Node):
    """A number as written: ``42``, ``-1.5``, ``1e3``; also size/duration forms such as ``15m`` or ``10k``."""

    text: str

    @property
    def value(self) -> float | int | None:
        """The numeric value when ``text`` is a plain number, else ``None`` (durations are the engine's job)."""
        try:
            return int(self.text)
        except ValueError:
            try:
                return float(self.text)
            except ValueError:
                return None


@dataclass(frozen=True)
class RegexLit(Node):
    """``/pattern/flags`` (RE2 syntax; ``flags`` such as ``i``)."""

    pattern: str
    flags: str = ""


@dataclass(frozen=True)
class FieldRef(Node):
    """A field: ``user_name``, ``_sourceCategory``, ``%"odd.field name"``, ``t1.a`` (join)."""

    name: str


@dataclass(frozen=True)
class Call(Node):
    """A function call ``name(args...)``: ``isNull(x)``, ``if(c, a, b)``, ``concat(a, "-", b)``."""

    name: str
    args: tuple[Expr, ...] = ()

    @property
    def lname(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class BinaryOp(Node):
    """``left op right``.

    ``op`` is one of: ``=`` (also written ``==``), ``!=`` (also ``<>``), ``<``, ``<=``, ``>``, ``>=``,
    ``+``, ``-``, ``*``, ``/``, ``%``, ``and``, ``or``, ``contains``.
    """

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class UnaryOp(Node):
    """``not x`` / ``!x`` (``op == "not"``) or ``-x`` (``op == "-"``)."""

    op: str
    operand: Expr


@dataclass(frozen=True)
class InList(Node):
    """``x in ("a", "b")``; ``negated`` for ``x not in (...)``."""

    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@dataclass(frozen=True)
class Matches(Node):
    """``x matches "wild*card"`` (whole-string glob) or ``x matches /re/i`` (RE2); ``negated`` for
    ``x not matches ...``."""

    operand: Expr
    pattern: StringLit | RegexLit | Expr
    negated: bool = False


@dataclass(frozen=True)
class Ternary(Node):
    """``cond ? then : otherwise``."""

    cond: Expr
    then: Expr
    otherwise: Expr




# --------------------------------------------------------------------------------------------------------
# Scope (keyword expression before the first pipe)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keyword(Node):
    """A bare search term, possibly with ``*``/``?`` wildcards or punctuation: ``ConsoleLogin``,
    ``*tachClassicLink``, ``iam.amazonaws.com``."""

    text: str


@dataclass(frozen=True)
class Phrase(Node):
    """A quoted phrase ``"\\"eventSource\\":\\"iam.amazonaws.com\\""``; ``value`` decoded."""

    value: str


@dataclass(frozen=True)
class FieldMatch(Node):
    """A metadata or field comparison: ``_sourceCategory=aws/*``, ``account="123"``, ``_index!=x``.

    ``op`` is ``=`` or ``!=`` (also ``<``, ``<=``, ``>``, ``>=`` which Sumo allows on numeric fields).
    ``value`` is the glob as written, quotes removed; ``quoted`` records whether it was quoted.
    """

    field: str
    op: str
    value: str
    quoted: bool = False


@dataclass(frozen=True)
class And(Node):
    """Implicit or explicit AND of two or more terms."""

    items: tuple[ScopeExpr, ...]


@dataclass(frozen=True)
class Or(Node):
    items: tuple[ScopeExpr, ...]


@dataclass(frozen=True)
class Not(Node):
    """``NOT x`` or ``!x``."""

    operand: ScopeExpr


@dataclass(frozen=True)
class Subquery(Node):
    """A ``[subquery: ... | compose ...]`` (or any ``[...]``) block, kept as raw text between the brackets.

    Appears in the scope and, as an expression, in ``where`` (``where [subquery: ...]``)."""

    text: str


ScopeExpr = Union[Keyword, Phrase, FieldMatch, And, Or, Not, Subquery]

#: expression nodes (``where``, assignments, arguments); a ``[subquery]`` may stand in a ``where``
Expr = Union[StringLit, NumberLit, RegexLit, FieldRef, Call, BinaryOp, UnaryOp, InList, Matches, Ternary, Subquery]


# --------------------------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParseRegex(Node):
    """``parse regex [field=f] "re1"[, "re2"...] [multi] [nodrop]``; named groups ``(?<name>...)`` give the
    fields."""

    patterns: tuple[str, ...]
    field: str | None = None
    nodrop: bool = False
    multi: bool = False


@dataclass(frozen=True)
class Extract(ParseRegex):
    """``extract [field=f] "re"`` — Sumo's synonym for ``parse regex`` (same attributes)."""


@dataclass(frozen=True)
class AnchorPattern(Node):
    """One ``"start*stop" as f1, f2`` pair of an anchor parse: one field per ``*``."""

    pattern: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ParseAnchor(Node):
    """``parse [field=f] "a*b" as x[, "c*d" as y] [nodrop]``. Usually one pattern: see :attr:`pattern` and
    :attr:`fields` for that common case."""

    patterns: tuple[AnchorPattern, ...]
    field: str | None = None
    nodrop: bool = False

    @property
    def pattern(self) -> str:
        return self.patterns[0].pattern

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f for p in self.patterns for f in p.fields)


@dataclass(frozen=True)
class JsonKey(Node):
    """A key segment: ``a`` in ``a.b``, or ``'odd.key'`` in ``['odd.key']`` (``bracketed``)."""

    name: str
    bracketed: bool = False


@dataclass(frozen=True)
class JsonIndex(Node):
    """``[3]``."""

    index: int


@dataclass(frozen=True)
class JsonWildcard(Node):
    """``[*]``, or ``*`` as a segment of its own (``a.*``, ``['a']*['b']``: ``bracketed`` is False): every
    element of an array, or every member value of an object."""

    bracketed: bool = True


@dataclass(frozen=True)
class JsonFilter(Node):
    """A JSONPath filter ``[?(@.isFinal == true)]``, kept as the text between the brackets."""

    text: str


JsonSegment = Union[JsonKey, JsonIndex, JsonWildcard, JsonFilter]


@dataclass(frozen=True)
class JsonPath(Node):
    """A json path as written in its string (``text``, which is also the default output field name), and
    its parsed ``segments``."""

    text: str
    segments: tuple[JsonSegment, ...]


@dataclass(frozen=True)
class Json(Node):
    """``json [field=f] "p1", "p2" [as a, b] [nodrop]`` or ``json auto [field=f] [maxdepth N]
    [extractarrays] [keys "k1", "k2" [refonly]] [as ...] [nodrop]``.

    With ``as``, ``aliases`` has one name per path; without it, each field is named by its path text.
    """

    paths: tuple[JsonPath, ...] = ()
    aliases: tuple[str, ...] = ()
    field: str | None = None
    nodrop: bool = False
    auto: bool = False
    maxdepth: int | None = None
    extractarrays: bool = False
    refonly: bool = False


@dataclass(frozen=True)
class Where(Node):
    """``where <boolean expression>``."""

    condition: Expr


@dataclass(frozen=True)
class Assign(Node):
    """A field-creating stage: ``expr as x`` (``if(...) as x``, ``c ? a : b as x``, ``concat(...) as x``,
    ``"lit" as x``, ``_sourceHost as host``, ``(a + b) as c``), or a bare cast ``num(x)`` (``alias`` is
    ``None``: the call writes back to its field)."""

    expr: Expr
    alias: str | None = None


@dataclass(frozen=True)
class LookupField(Node):
    """One requested lookup column, optionally renamed: ``country_code`` or ``threatlevel as conf``."""

    name: str
    alias: str | None = None


@dataclass(frozen=True)
class LookupOn(Node):
    """One ``on`` pair: ``ip = src_ip`` means the table's ``ip`` column equals the event field ``src_ip``."""

    key: str
    field: str


@dataclass(frozen=True)
class Lookup(Node):
    """``lookup a, b as c from <source> on k=f[, k2=f2 | and k2=f2] [nodrop]``.

    ``source`` is as written without quotes: ``geo://location``, ``asn://default``, ``sumo://threat/cs``,
    ``path://"/Library/..."`` gives ``path:///Library/...``, a table path ``/shared/lookups/users`` (or
    ``shared/lookups/users``), or an address ``https://host/table.csv``. Each ``on`` pair is kept as written:
    which side names the table's column is for the engine to decide.
    ``fields`` is empty for ``lookup *``.
    """

    fields: tuple[LookupField, ...]
    source: str
    on: tuple[LookupOn, ...] = ()
    nodrop: bool = False
    all_fields: bool = False


@dataclass(frozen=True)
class Timeslice(Node):
    """``timeslice [by] 1h [as bucket]`` or ``timeslice 150 buckets``: at most one of ``size`` (duration
    text such as ``1h``, ``15m``, ``1d``; ``1 h`` is read as ``1h``) or ``buckets`` is set. Neither is set for
    a bare ``timeslice``, where Sumo picks the width. ``alias`` defaults to ``_timeslice``."""

    size: str | None = None
    buckets: int | None = None
    alias: str | None = None


@dataclass(frozen=True)
class AggCall(Node):
    """One aggregate: ``count``, ``count(f)``, ``count_distinct(f) as n``, ``pct(x, 95)``,
    ``count_frequent f1, f2`` (args are the fields)."""

    function: str  # lower case: count, count_distinct, sum, avg, min, max, first, last, values, pct, ...
    args: tuple[Expr, ...] = ()
    alias: str | None = None


@dataclass(frozen=True)
class Aggregate(Node):
    """``agg1 [as a], agg2 [as b] [by f1, f2]`` (``group by`` too). ``count x`` (no ``by``) is normalised to
    ``count by x``, which is what Sumo runs."""

    calls: tuple[AggCall, ...]
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SortKey(Node):
    expr: Expr
    ascending: bool = False  # Sumo sorts descending unless `asc` or `+f`


@dataclass(frozen=True)
class Sort(Node):
    """``sort [by] f [asc|desc], ...`` (``order`` is a synonym). An empty ``keys`` means ``sort`` alone."""

    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Top(Node):
    """``top N f1[, f2] [by g]`` (``count by f, keep N largest``), also after an aggregate.

    ``by`` holds the field names after ``by``. When any of them carries an explicit direction
    (``top 10 x by n, x asc``), ``order`` holds them all as sort keys as well.
    """

    limit: int
    fields: tuple[str, ...]
    by: tuple[str, ...] = ()
    order: tuple[SortKey, ...] = ()


@dataclass(frozen=True)
class Limit(Node):
    count: int


@dataclass(frozen=True)
class Fields(Node):
    """``fields a, b`` keeps (plus ``_`` fields); ``fields - a, b`` removes (``remove``)."""

    names: tuple[str, ...]
    remove: bool = False


@dataclass(frozen=True)
class Transpose(Node):
    """``transpose row r1[, r2] column c1[, c2] [as ...]``; ``aliases`` as written (``*`` allowed)."""

    row: tuple[str, ...]
    column: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FillmissingItem(Node):
    """``timeslice(1h)`` or ``values("a", "b") in region``: a generator call and the field it fills.

    A bare generator (``timeslice``, ``values all in f``) is a call without arguments; ``qualifier`` keeps
    the word after it (``all``)."""

    generator: Call
    field: str | None = None
    qualifier: str | None = None


@dataclass(frozen=True)
class FillmissingDefault(Node):
    """``with 0 for _count``: the constant an added row gets in a non-key field. ``value`` is a
    :class:`NumberLit` (``-1`` keeps its sign in ``text``), a :class:`StringLit`, or ``None`` for ``null``."""

    value: NumberLit | StringLit | None
    field: str


@dataclass(frozen=True)
class Fillmissing(Node):
    """``fillmissing <generator>, ... [with <value> for <field>, ...] [takelast]``: ``defaults`` are the
    ``with`` constants; ``take_last`` fills non-key fields from the previous timeslice instead."""

    items: tuple[FillmissingItem, ...]
    defaults: tuple[FillmissingDefault, ...] = ()
    take_last: bool = False


@dataclass(frozen=True)
class CompareShift(Node):
    """``timeshift 1d [7] [avg|min|max] [as name]``; a negative period (``-10m``) keeps its sign."""

    period: str
    count: int | None = None
    aggregate: str | None = None
    alias: str | None = None


@dataclass(frozen=True)
class Compare(Node):
    """``compare [with] timeshift 1d 7 [avg] [as a], timeshift 7d [as b]``."""

    shifts: tuple[CompareShift, ...]


@dataclass(frozen=True)
class Outlier(Node):
    """``outlier _count [window=5, threshold=3, consecutive=2, direction=+-] [by g]``; options as
    ``(name, value text)`` pairs in order."""

    series: str
    options: tuple[tuple[str, str], ...] = ()
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtractItem(Node):
    """``2 as name`` (``position`` set) or just ``name`` (positional)."""

    name: str
    position: int | None = None


@dataclass(frozen=True)
class Csv(Node):
    """``csv f [noquote] extract 1 as a, 2 as b`` or ``csv f extract a, b, c``."""

    field: str
    items: tuple[ExtractItem, ...]
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Split(Node):
    """``split f delim=',' [escape='\\'] [quote='"'] extract 1 as a, 2 as b``."""

    field: str
    items: tuple[ExtractItem, ...]
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Save(Node):
    """``save [append] /path/to/index``."""

    path: str
    append: bool = False


@dataclass(frozen=True)
class JoinInput(Node):
    """``(stages...) as t1`` inside a join; ``query`` holds the sub-pipeline (its ``scope`` usually None)."""

    query: Query
    alias: str


@dataclass(frozen=True)
class Join(Node):
    """``join (q1) as t1, (q2) as t2 on t1.a = t2.b [timewindow 5m]``."""

    inputs: tuple[JoinInput, ...]
    on: Expr | None = None
    timewindow: str | None = None


@dataclass(frozen=True)
class GenericStage(Node):
    """Any other operator, recognised by name and kept with its arguments as raw text (whitespace runs
    collapsed). The engine reports it as unsupported; the linter flags names that are not documented."""

    name: str  # lower case
    args: str = ""


Stage = Union[
    ParseRegex, Extract, ParseAnchor, Json, Where, Assign, Lookup, Timeslice, Aggregate, Sort, Top, Limit,
    Fields, Transpose, Fillmissing, Compare, Outlier, Csv, Split, Save, Join, GenericStage,
]


@dataclass(frozen=True)
class Query(Node):
    scope: ScopeExpr | None
    stages: tuple[Stage, ...] = ()

    def to_sumo(self) -> str:
        """Render back to Sumo text; ``parse(q.to_sumo()) == q``."""
        from sumoctl.query.render import render

        return render(self)
