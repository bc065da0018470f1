"""Parse Sumo query text into the AST of :mod:`sumoctl.query.ast`.

Lark (LALR(1) with its contextual lexer) runs the grammar in ``sumo.lark``. A query is first cut at its
top-level pipes by :mod:`sumoctl.query.split`; the scope and every stage are then parsed on their own, with
the start symbol chosen by the stage's first word. Parsing stage by stage keeps error positions exact,
lets any operator we have no grammar for become a :class:`~sumoctl.query.ast.GenericStage`, and keeps
LALR tables free of conflicts between, say, ``count`` the aggregate and ``count`` a field name.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from sumoctl.query import ast as a
from sumoctl.query.errors import QuerySyntaxError
from sumoctl.query.names import AGGREGATE_FUNCTIONS, DOCUMENTED_OPERATORS
from sumoctl.query.split import scan, substitute_placeholders

_STAGE_START = {
    "where": "where_stage", "parse": "parse_stage", "extract": "extract_stage", "json": "json_stage",
    "lookup": "lookup_stage", "timeslice": "timeslice_stage", "sort": "sort_stage", "order": "sort_stage",
    "top": "top_stage", "limit": "limit_stage", "fields": "fields_stage", "transpose": "transpose_stage",
    "fillmissing": "fillmissing_stage", "compare": "compare_stage", "outlier": "outlier_stage",
    "csv": "csv_stage", "split": "split_stage", "save": "save_stage", "join": "join_stage",
}
_STARTS = ["scope", "assign_stage", "agg_stage", *sorted(set(_STAGE_START.values()))]
_FIRST_WORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
_RENAME = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_.]*\s+as\s", re.IGNORECASE)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_WS_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\s+', re.DOTALL)

# what the user should read instead of Lark's terminal names
_TERMINAL_WORDS = {
    "STRING": "a quoted string", "QFIELD": 'a %"field"', "NAME": "a name", "NUMBER": "a number",
    "TERM": "a keyword", "SVALUE": "a value", "REGEX": "a /regex/", "CMP": "a comparison",
    "S_CMP": "'='", "LOOKUP_SOURCE": "a lookup source such as geo://location", "SAVE_PATH": "a /path",
    "JOIN_BODY": "a (subquery)", "OPT_VALUE": "a value", "SUBQUERY": "a [subquery]", "$END": "end of stage",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "EQUAL": "'='", "BANG": "'!'", "COLON": "':'",
    "QMARK": "'?'", "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "PERCENT": "'%'",
}


def decode_string(raw: str) -> str:
    """The value of a quoted string token: quotes removed, ``\\"`` -> ``"``, other escapes kept."""
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: '"' if m.group(1) == '"' else m.group(0), body)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("sumoctl.query").joinpath("sumo.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", start=_STARTS, propagate_positions=True,
                maybe_placeholders=True, cache=False)


def parse(text: str, *, placeholders: dict[str, str] | None = None,
          default_placeholder: str | None = None) -> a.Query:
    """Parse one Sumo log search query.

    ``placeholders`` maps dashboard variables (``{{var}}``, ``$$Var``, ``**TO_REPLACE**``) to values; any
    variable not in it takes ``default_placeholder`` when given (Sumo's default is ``*``), else stays as
    written. Positions in the AST and in errors refer to the text after substitution.

    Raises :class:`QuerySyntaxError` (and nothing else) for text Sumo would reject.
    """
    if not isinstance(text, str):
        raise TypeError("query text must be a str")
    text = substitute_placeholders(text, placeholders, default_placeholder)
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(self, offset: int) -> a.Pos:
        line = bisect.bisect_right(self.line_starts, offset)
        return a.Pos(line, offset - self.line_starts[line - 1] + 1, offset)

    def error(self, message: str, offset: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.text, offset)

    # ------------------------------------------------------------------------------------------ pipeline

    def query(self) -> a.Query:
        if len(self.text) > 1_000_000:
            raise self.error("query is too long to parse", 0)
        self.blank, segments = scan(self.text)
        scope_seg, stage_segs = segments[0], segments[1:]
        scope = None
        if self.blank[scope_seg.start:scope_seg.end].strip():
            scope = self.run("scope", scope_seg.start, scope_seg.end)
        stages = self.stages(stage_segs, trailing_pipe_ok=True)
        return a.Query(scope, tuple(stages), pos=self.pos(0))

    def stages(self, segs, *, trailing_pipe_ok: bool) -> list:
        stages = []
        for n, seg in enumerate(segs):
            if not self.blank[seg.start:seg.end].strip():
                if n == len(segs) - 1 and trailing_pipe_ok:
                    continue  # a trailing '|' is common in real queries and harmless
                raise self.error("empty stage: expected an operator after '|'", seg.start - 1)
            stages.append(self.stage(seg.start, seg.end))
        return stages

    def stage(self, start: int, end: int):
        chunk = self.blank[start:end]
        m = _FIRST_WORD.match(chunk)
        word = m.group(1).lower() if m else None
        if word in _STAGE_START:
            return self.run(_STAGE_START[word], start, end)
        if word in AGGREGATE_FUNCTIONS:
            return self.run("agg_stage", start, end)
        if word is None or chunk[m.end():m.end() + 1] == "(" or _RENAME.match(chunk):
            return self.run("assign_stage", start, end)
        if word in DOCUMENTED_OPERATORS:
            return self.generic(word, start + m.start(1), start + m.end(), end)
        try:
            return self.run("assign_stage", start, end)
        except QuerySyntaxError:
            # an operator name we do not know: keep it (lint reports it) rather than reject the query
            return self.generic(word, start + m.start(1), start + m.end(), end)

    def generic(self, word: str, name_at: int, args_at: int, end: int) -> a.GenericStage:
        args = _WS_OR_STRING.sub(lambda m: " " if m.group(0)[0] != '"' else m.group(0),
                                 self.blank[args_at:end]).strip()
        return a.GenericStage(word, args, pos=self.pos(name_at))

    def run(self, start_symbol: str, start: int, end: int):
        chunk = self.blank[start:end]
        try:
            tree = _lark().parse(chunk, start=start_symbol)
        except UnexpectedInput as exc:
            raise self._lark_error(exc, start, chunk) from None
        try:
            return _Build(self, start).transform(tree)
        except VisitError as exc:
            if isinstance(exc.orig_exc, QuerySyntaxError):
                raise exc.orig_exc from None
            raise

    def _lark_error(self, exc: UnexpectedInput, base: int, chunk: str) -> QuerySyntaxError:
        if isinstance(exc, UnexpectedCharacters):
            offset = base + exc.pos_in_stream
            expected = _describe(exc.allowed)
            found = repr(chunk[exc.pos_in_stream])
            return self.error(f"unexpected {found}" + (f": expected {expected}" if expected else ""), offset)
        if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
            expected = _describe(exc.expected)
            offset = base + len(chunk.rstrip())
            return self.error("unexpected end of stage" + (f": expected {expected}" if expected else ""), offset)
        if isinstance(exc, UnexpectedToken):
            tok = exc.token
            offset = base + (tok.start_pos or 0)
            expected = _describe(exc.expected)
            return self.error(f"unexpected {str(tok)!r}" + (f": expected {expected}" if expected else ""), offset)
        return self.error(str(exc).splitlines()[0], base)


def _describe(names) -> str:
    words = []
    for name in sorted(names or ()):
        if name in _TERMINAL_WORDS:
            word = _TERMINAL_WORDS[name]
        elif re.fullmatch(r"_?[A-Z]+", name):
            word = repr(name.lstrip("_").lower())
        else:
            continue
        if word not in words:
            words.append(word)
    if not words:
        return ""
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


def _json_path(parser: _Parser, text: str, offset: int) -> a.JsonPath:
    """Split a json path string (``a.b[0]['odd.key'][*].c``) into segments."""
    segments: list = []
    i, n = 0, len(text)
    if text.startswith("$"):
        i = 1
        if i < n and text[i] == ".":
            i += 1
    expect_key = True
    while i < n:
        ch = text[i]
        if ch == "[":
            close = _bracket_end(text, i)
            if close < 0:
                raise parser.error(f"json path {text!r}: '[' is never closed", offset)
            inner = text[i + 1:close].strip()
            if inner == "*":
                segments.append(a.JsonWildcard())
            elif inner.isdigit():
                segments.append(a.JsonIndex(int(inner)))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                segments.append(a.JsonKey(inner[1:-1], bracketed=True))
            else:
                raise parser.error(f"json path {text!r}: expected [n], [*] or ['key'] at {text[i:close + 1]!r}",
                                   offset)
            i = close + 1
            expect_key = False
            if i < n and text[i] == ".":
                i += 1
                expect_key = True
                if i >= n or text[i] in ".[":
                    raise parser.error(f"json path {text!r}: expected a key after '.'", offset)
            continue
        j = i
        while j < n and text[j] not in ".[":
            j += 1
        key = text[i:j]
        if not key:
            raise parser.error(f"json path {text!r}: empty key", offset)
        if not expect_key:
            raise parser.error(f"json path {text!r}: expected '.' before {key!r}", offset)
        segments.append(a.JsonKey(key))
        i = j
        expect_key = False
        if i < n and text[i] == ".":
            i += 1
            expect_key = True
            if i >= n or text[i] in ".[":
                raise parser.error(f"json path {text!r}: expected a key after '.'", offset)
    if not segments:
        raise parser.error("empty json path", offset)
    return a.JsonPath(text, tuple(segments), pos=parser.pos(offset))


def _bracket_end(text: str, i: int) -> int:
    j = i + 1
    quote = None
    while j < len(text):
        c = text[j]
        if quote:
            if c == "\\":
                j += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "]":
            return j
        j += 1
    return -1


def _count_stars(pattern: str) -> int:
    return len(re.findall(r"(?<!\\)\*", pattern))


@v_args(meta=True)
class _Build(Transformer):
    """Lark tree -> AST nodes, with absolute positions."""

    def __init__(self, parser: _Parser, base: int):
        super().__init__()
        self.p = parser
        self.base = base

    # helpers
    def _at(self, meta) -> a.Pos:
        return self.p.pos(self.base + (meta.start_pos if not meta.empty else 0))

    def _tok(self, tok: Token) -> a.Pos:
        return self.p.pos(self.base + tok.start_pos)

    def _err(self, message: str, meta_or_tok) -> QuerySyntaxError:
        if isinstance(meta_or_tok, Token):
            offset = meta_or_tok.start_pos
        else:
            offset = 0 if meta_or_tok.empty else meta_or_tok.start_pos
        return self.p.error(message, self.base + offset)

    def _int(self, tok: Token) -> int:
        if not str(tok).isdigit():
            raise self._err(f"expected a whole number, found {str(tok)!r}", tok)
        return int(tok)

    # ------------------------------------------------------------------------------------ scope
    def scope(self, meta, c):
        return c[0]

    def s_or(self, meta, c):
        return a.Or(tuple(c), pos=self._at(meta))

    def s_and(self, meta, c):
        return a.And(tuple(c), pos=self._at(meta))

    def s_negate(self, meta, c):
        return a.Not(c[-1], pos=self._at(meta))

    def s_keyword(self, meta, c):
        return a.Keyword(str(c[0]), pos=self._at(meta))

    def s_phrase(self, meta, c):
        return a.Phrase(decode_string(c[0]), pos=self._at(meta))

    def s_field_match(self, meta, c):
        name, op, (value, quoted) = c
        op = "!=" if op == "<>" else str(op)
        return a.FieldMatch(str(name), op, value, quoted, pos=self._at(meta))

    def s_value(self, meta, c):
        tok = c[0]
        if tok.type == "STRING":
            return decode_string(tok), True
        return str(tok), False

    def s_subquery(self, meta, c):
        return a.Subquery(str(c[0])[1:-1], pos=self._at(meta))

    # ------------------------------------------------------------------------------------ expressions
    def field(self, meta, c):
        tok = c[0]
        return decode_string(tok[1:]) if tok.type == "QFIELD" else str(tok)

    def field_list(self, meta, c):
        return tuple(c)

    def field_ref(self, meta, c):
        return a.FieldRef(c[0], pos=self._at(meta))

    def string(self, meta, c):
        return a.StringLit(decode_string(c[0]), pos=self._at(meta))

    def number(self, meta, c):
        return a.NumberLit(str(c[0]), pos=self._at(meta))

    def regex(self, meta, c):
        raw = str(c[0])
        close = raw.rfind("/")
        return a.RegexLit(raw[1:close], raw[close + 1:], pos=self._at(meta))

    def args(self, meta, c):
        return tuple(c)

    def call(self, meta, c):
        return a.Call(str(c[0]), c[1] or (), pos=self._at(meta))

    def ternary(self, meta, c):
        return a.Ternary(c[0], c[1], c[2], pos=self._at(meta))

    def or_op(self, meta, c):
        return a.BinaryOp("or", c[0], c[1], pos=self._at(meta))

    def and_op(self, meta, c):
        return a.BinaryOp("and", c[0], c[1], pos=self._at(meta))

    def not_op(self, meta, c):
        return a.UnaryOp("not", c[-1], pos=self._at(meta))

    def neg(self, meta, c):
        return a.UnaryOp("-", c[-1], pos=self._at(meta))

    def compare(self, meta, c):
        op = {"==": "=", "<>": "!="}.get(str(c[1]), str(c[1]))
        return a.BinaryOp(op, c[0], c[2], pos=self._at(meta))

    def binop(self, meta, c):
        return a.BinaryOp(str(c[1]), c[0], c[2], pos=self._at(meta))

    def contains(self, meta, c):
        return a.BinaryOp("contains", c[0], c[1], pos=self._at(meta))

    def in_list(self, meta, c):
        return a.InList(c[0], c[1] or (), False, pos=self._at(meta))

    def not_in_list(self, meta, c):
        return a.InList(c[0], c[1] or (), True, pos=self._at(meta))

    def matches(self, meta, c):
        return a.Matches(c[0], c[1], False, pos=self._at(meta))

    def not_matches(self, meta, c):
        return a.Matches(c[0], c[1], True, pos=self._at(meta))

    # ------------------------------------------------------------------------------------ stages
    def where_stage(self, meta, c):
        return a.Where(c[0], pos=self._at(meta))

    def assign_stage(self, meta, c):
        expr, alias = c
        if alias is None and not isinstance(expr, a.Call):
            raise self._err("expected 'as <field>' after the expression", meta)
        return a.Assign(expr, alias, pos=self._at(meta))

    # parse / extract
    def opt_field(self, meta, c):
        return ("field", c[-1])

    def opt_nodrop(self, meta, c):
        return ("nodrop", True)

    def opt_multi(self, meta, c):
        return ("multi", True)

    def regex_list(self, meta, c):
        return ("patterns", tuple(decode_string(t) for t in c))

    def _options(self, items, meta, allowed):
        opts: dict = {}
        for key, value in items:
            if key not in allowed:
                raise self._err(f"'{key}' is not an option of this operator", meta)
            if key == "paths":
                opts.setdefault("paths", [])
                opts["paths"].extend(value)
                continue
            opts[key] = value
        return opts

    def parse_regex(self, meta, c):
        o = self._options(c, meta, {"field", "nodrop", "multi", "patterns"})
        return a.ParseRegex(o["patterns"], o.get("field"), o.get("nodrop", False), o.get("multi", False),
                            pos=self._at(meta))

    def extract_stage(self, meta, c):
        o = self._options(c, meta, {"field", "nodrop", "multi", "patterns"})
        return a.Extract(o["patterns"], o.get("field"), o.get("nodrop", False), o.get("multi", False),
                         pos=self._at(meta))

    def anchor_one(self, meta, c):
        return a.AnchorPattern(decode_string(c[0]), (c[1],), pos=self._at(meta))

    def anchor_many(self, meta, c):
        return a.AnchorPattern(decode_string(c[0]), c[1], pos=self._at(meta))

    def anchor_seq(self, meta, c):
        patterns: list[a.AnchorPattern] = []
        for item in c:
            if isinstance(item, a.AnchorPattern):
                patterns.append(item)
            else:  # one more field name of the pattern before
                last = patterns[-1]
                patterns[-1] = a.AnchorPattern(last.pattern, last.fields + (item,), pos=last.pos)
        for pat in patterns:
            stars = _count_stars(pat.pattern)
            if "**" in pat.pattern.replace("\\*", ""):
                raise self.p.error("anchor pattern has adjacent '**': each '*' needs text between", pat.pos.offset)
            if stars and stars != len(pat.fields):
                raise self.p.error(
                    f"anchor pattern has {stars} '*' but {len(pat.fields)} field name(s) after 'as'",
                    pat.pos.offset)
        return ("patterns", tuple(patterns))

    def parse_anchor(self, meta, c):
        o = self._options(c, meta, {"field", "nodrop", "patterns"})
        return a.ParseAnchor(o["patterns"], o.get("field"), o.get("nodrop", False), pos=self._at(meta))

    # json
    def opt_auto(self, meta, c):
        return ("auto", True)

    def opt_maxdepth(self, meta, c):
        return ("maxdepth", self._int(c[1]))

    def opt_extractarrays(self, meta, c):
        return ("extractarrays", True)

    def opt_keys(self, meta, c):
        return ("keys", True)

    def opt_refonly(self, meta, c):
        return ("refonly", True)

    def json_paths(self, meta, c):
        return ("paths", [_json_path(self.p, decode_string(t), self.base + t.start_pos) for t in c])

    def json_as(self, meta, c):
        return ("aliases", c[0])

    def json_stage(self, meta, c):
        o = self._options(c, meta, {"field", "nodrop", "auto", "maxdepth", "extractarrays", "keys", "refonly",
                                    "paths", "aliases"})
        paths = tuple(o.get("paths", ()))
        aliases = o.get("aliases", ())
        auto = o.get("auto", False)
        if not auto and not paths:
            raise self._err("json needs at least one \"path\" (or 'auto')", meta)
        if o.get("keys") and not auto:
            raise self._err("'keys' is only valid with 'json auto'", meta)
        if aliases and len(aliases) != len(paths):
            raise self._err(f"json has {len(paths)} path(s) but {len(aliases)} name(s) after 'as'", meta)
        return a.Json(paths, aliases, o.get("field"), o.get("nodrop", False), auto, o.get("maxdepth"),
                      o.get("extractarrays", False), o.get("refonly", False), pos=self._at(meta))

    # lookup
    def lookup_all(self, meta, c):
        return None

    def lookup_cols(self, meta, c):
        return tuple(c)

    def lookup_col(self, meta, c):
        return a.LookupField(c[0], c[1], pos=self._at(meta))

    def lookup_on(self, meta, c):
        return a.LookupOn(c[0], c[1], pos=self._at(meta))

    def lookup_stage(self, meta, c):
        cols, source, *rest = c
        nodrop = bool(rest and rest[-1] is not None and isinstance(rest[-1], Token) and rest[-1].type == "NODROP")
        on = tuple(x for x in rest if isinstance(x, a.LookupOn))
        src = str(source)
        m = re.match(r'([A-Za-z][A-Za-z0-9+.-]*://)"(.*)"$', src, re.DOTALL)
        if m:
            src = m.group(1) + decode_string('"' + m.group(2) + '"')
        return a.Lookup(cols or (), src, on, nodrop, cols is None, pos=self._at(meta))

    # timeslice
    def timeslice_stage(self, meta, c):
        number, buckets, alias = c
        if buckets is not None:
            return a.Timeslice(None, self._int(number), alias, pos=self._at(meta))
        if not re.fullmatch(r"\d+(?:\.\d+)?(?:ms|s|m|h|d|w)", str(number), re.IGNORECASE):
            raise self._err(f"timeslice needs a duration such as 5m or 1h (or 'N buckets'), found {str(number)!r}",
                            number)
        return a.Timeslice(str(number), None, alias, pos=self._at(meta))

    # aggregates
    def agg_func(self, meta, c):
        name, args, alias = c
        return a.AggCall(str(name).lower(), args or (), alias, pos=self._at(meta))

    def agg_bare(self, meta, c):
        name, alias = c
        return a.AggCall(str(name).lower(), (), alias, pos=self._at(meta))

    def agg_fields(self, meta, c):
        name, fields = c
        refs = tuple(a.FieldRef(f) for f in fields)
        return ("fields", str(name).lower(), refs, self._at(meta))

    def by_clause(self, meta, c):
        return ("by", c[-1])

    def agg_stage(self, meta, c):
        calls, by = [], ()
        for item in c:
            if item is None:
                continue
            if isinstance(item, tuple) and item[0] == "by":
                by = item[1]
            elif isinstance(item, tuple) and item[0] == "fields":
                _, name, refs, pos = item
                if name == "count":  # `count x, y` is Sumo's shorthand for `count by x, y`
                    if len(c) > 1:
                        raise self._err("'count <fields>' cannot be combined with other aggregates or 'by'", meta)
                    calls.append(a.AggCall("count", (), None, pos=pos))
                    by = tuple(r.name for r in refs)
                else:
                    calls.append(a.AggCall(name, refs, None, pos=pos))
            else:
                calls.append(item)
        for call in calls:
            if call.function not in AGGREGATE_FUNCTIONS:
                raise self.p.error(f"{call.function!r} is not an aggregate function", call.pos.offset)
        return a.Aggregate(tuple(calls), tuple(by), pos=self._at(meta))

    # sort / top / limit / fields
    def sort_key(self, meta, c):
        plus, expr, direction = c
        ascending = plus is not None or (direction is not None and direction.type == "ASC")
        if plus is not None and direction is not None and direction.type == "DESC":
            ascending = False
        return a.SortKey(expr, ascending, pos=self._at(meta))

    def sort_stage(self, meta, c):
        return a.Sort(tuple(k for k in c if isinstance(k, a.SortKey)), pos=self._at(meta))

    def top_stage(self, meta, c):
        number, fields, by = c
        return a.Top(self._int(number), fields, by or (), pos=self._at(meta))

    def limit_stage(self, meta, c):
        return a.Limit(self._int(c[0]), pos=self._at(meta))

    def fields_stage(self, meta, c):
        sign, names = c
        return a.Fields(names, sign is not None and sign.type == "MINUS", pos=self._at(meta))

    # transpose / fillmissing / compare / outlier
    def transpose_as(self, meta, c):
        if isinstance(c[0], Token):
            return ("*",)
        return c[0]

    def transpose_stage(self, meta, c):
        row, column, aliases = c
        return a.Transpose(row, column, aliases or (), pos=self._at(meta))

    def fill_item(self, meta, c):
        name, args, field = c
        return a.FillmissingItem(a.Call(str(name), args or (), pos=self._tok(name)), field, pos=self._at(meta))

    def fillmissing_stage(self, meta, c):
        return a.Fillmissing(tuple(c), pos=self._at(meta))

    def shift(self, meta, c):
        period, count, agg = c
        return a.CompareShift(str(period), self._int(count) if count is not None else None,
                              str(agg).lower() if agg is not None else None, pos=self._at(meta))

    def compare_stage(self, meta, c):
        return a.Compare(tuple(x for x in c if isinstance(x, a.CompareShift)), pos=self._at(meta))

    def outlier_opt(self, meta, c):
        return (str(c[0]).lower(), str(c[1]))

    def outlier_opts(self, meta, c):
        return tuple(c)

    def outlier_stage(self, meta, c):
        series, options, by = c
        return a.Outlier(series, options or (), by or (), pos=self._at(meta))

    # csv / split
    def option(self, meta, c):
        return (str(c[0]).lower(), str(c[1]) if c[1] is not None else "")

    def extract_numbered(self, meta, c):
        return a.ExtractItem(c[1], self._int(c[0]), pos=self._at(meta))

    def extract_named(self, meta, c):
        return a.ExtractItem(c[0], None, pos=self._at(meta))

    def extract_items(self, meta, c):
        return tuple(c)

    def csv_stage(self, meta, c):
        return a.Csv(c[0], c[-1], tuple(c[1:-1]), pos=self._at(meta))

    def split_stage(self, meta, c):
        return a.Split(c[0], c[-1], tuple(c[1:-1]), pos=self._at(meta))

    # save / join
    def save_stage(self, meta, c):
        append, path = c
        return a.Save(str(path), append is not None, pos=self._at(meta))

    def join_input(self, meta, c):
        body, alias = c
        start = self.base + body.start_pos + 1
        end = self.base + body.end_pos - 1
        _, segs = scan(self.p.blank, start=start, end=end)
        stages = self.p.stages(segs, trailing_pipe_ok=False)
        return a.JoinInput(a.Query(None, tuple(stages), pos=self.p.pos(start)), alias, pos=self._at(meta))

    def join_stage(self, meta, c):
        inputs = tuple(x for x in c if isinstance(x, a.JoinInput))
        rest = [x for x in c if not isinstance(x, a.JoinInput)]
        on = rest[0] if rest else None
        window = str(rest[1]) if len(rest) > 1 and rest[1] is not None else None
        return a.Join(inputs, on, window, pos=self._at(meta))
