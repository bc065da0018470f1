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
import threading
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from sumoctl.query import ast as a
from sumoctl.query.errors import QuerySyntaxError
from sumoctl.query.names import AGGREGATE_FUNCTIONS, DOCUMENTED_FUNCTIONS, DOCUMENTED_OPERATORS
from sumoctl.query.split import scan, substitute_placeholders

_STAGE_START = {
    "where": "where_stage", "parse": "parse_stage", "extract": "extract_stage", "json": "json_stage",
    "lookup": "lookup_stage", "timeslice": "timeslice_stage", "sort": "sort_stage", "order": "sort_stage",
    "top": "top_stage", "limit": "limit_stage", "fields": "fields_stage", "transpose": "transpose_stage",
    "fillmissing": "fillmissing_stage", "compare": "compare_stage", "outlier": "outlier_stage",
    "csv": "csv_stage", "split": "split_stage", "save": "save_stage", "join": "join_stage",
}
_STARTS = ["scope", "assign_stage", "agg_stage", *sorted(set(_STAGE_START.values()))]
_FIRST_WORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)")
_PARSE_OTHER = re.compile(r"\s+(?:xml|keyvalue|kv)\b", re.IGNORECASE)
# documented operators that are also functions: a failed assignment with them is a real syntax error
_FUNCTION_ONLY = frozenset({"if", "concat", "replace", "format", "formatdate", "tolowercase", "touppercase",
                            "num", "tourl", "substring", "length", "isnull", "isempty", "isblank", "contains"})
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_WS_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\s+', re.DOTALL)

# what the user should read instead of Lark's terminal names
MAX_NESTING = 200
_OPERATOR_WORDS = frozenset({"and", "or", "not", "in", "matches", "contains"})
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


# The AST is built while Lark parses (its LALR inline-transformer mode, about twice as fast as building a
# parse tree and transforming it). The callbacks need to know which query and which offset they are
# parsing; that context lives here, per thread, and is saved and restored around nested parses (joins).
_context = threading.local()


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("sumoctl.query").joinpath("sumo.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", start=_STARTS, maybe_placeholders=True, cache=False, transformer=_Build())


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
    try:
        return _Parser(text).query()
    except RecursionError:  # belt and braces: MAX_NESTING should stop this first
        raise QuerySyntaxError("query is nested too deeply to parse", text, 0) from None


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
        word = m.group(1).lower() if m and "." not in m.group(1) else None
        if word == "parse" and _PARSE_OTHER.match(chunk, m.end()):
            # parse xml / parse ... forms we have no grammar for: kept whole
            return self.generic(word, start + m.start(1), start + m.end(), end)
        if word in _STAGE_START:
            return self.run(_STAGE_START[word], start, end)
        if word in AGGREGATE_FUNCTIONS:
            try:
                return self.run("agg_stage", start, end)
            except QuerySyntaxError as agg_error:
                try:  # `count / 1000 as count` is an assignment that starts with an aggregate name
                    return self.run("assign_stage", start, end)
                except QuerySyntaxError:
                    raise agg_error from None
        try:
            return self.run("assign_stage", start, end)
        except QuerySyntaxError:
            # an operator without a grammar of its own (`dedup by x`, `logreduce(msg) by y`, or a name we do
            # not know, which lint reports): keep it rather than reject the query. A known expression
            # function is an assignment and its syntax errors stand.
            if word is None or (word in DOCUMENTED_FUNCTIONS and word not in DOCUMENTED_OPERATORS - _FUNCTION_ONLY):
                raise
            return self.generic(word, start + m.start(1), start + m.end(), end)

    def generic(self, word: str, name_at: int, args_at: int, end: int) -> a.GenericStage:
        args = _WS_OR_STRING.sub(lambda m: " " if m.group(0)[0] != '"' else m.group(0),
                                 self.blank[args_at:end]).strip()
        return a.GenericStage(word, args, pos=self.pos(name_at))

    def run(self, start_symbol: str, start: int, end: int):
        chunk = self.blank[start:end]
        saved = getattr(_context, "frame", None)
        _context.frame = (self, start, start + len(chunk) - len(chunk.lstrip()), end)
        try:
            return _lark().parse(chunk, start=start_symbol)
        except UnexpectedInput as exc:
            raise self._lark_error(exc, start, chunk, start_symbol) from None
        except VisitError as exc:
            if isinstance(exc.orig_exc, QuerySyntaxError):
                raise exc.orig_exc from None
            raise
        finally:
            _context.frame = saved

    def _lark_error(self, exc: UnexpectedInput, base: int, chunk: str, start_symbol: str) -> QuerySyntaxError:
        # LALR merges states that look alike, so the expected set can name tokens that belong to another
        # context (`asc` outside a sort, `:` outside a ternary); leave those out of the message
        noise = set()
        if start_symbol not in ("sort_stage", "top_stage"):
            noise |= {"ASC", "DESC"}
        if "?" not in chunk:
            noise.add("COLON")
        for attr in ("expected", "allowed"):
            if getattr(exc, attr, None):
                setattr(exc, attr, set(getattr(exc, attr)) - noise)
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
            # a token from Lark's fallback lexer can run on ("b)"); name only the word or character found
            found = str(tok) if str(tok)[:1] in "\"%" else re.match(r"[\w.]+|\S", str(tok)).group(0)
            return self.error(f"unexpected {found!r}" + (f": expected {expected}" if expected else ""), offset)
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
            elif inner.startswith("?"):
                segments.append(a.JsonFilter(inner))
            else:
                raise parser.error(f"json path {text!r}: expected [n], [*] or ['key'] at {text[i:close + 1]!r}",
                                   offset)
            i = close + 1
            expect_key = False
            if i < n and text[i] == "*":
                # `['actor']*['email']`: a wildcard written straight after a bracket (JSONPath's `*`, which
                # the Dropbox app's queries use to reach into every member of an object)
                i += 1
                segments.append(a.JsonWildcard(bracketed=False))
                if i < n and text[i] not in ".[":
                    raise parser.error(f"json path {text!r}: expected '.' or '[' after '*'", offset)
            if i < n and text[i] == ".":
                i += 1
                expect_key = True
                if i >= n or text[i] == ".":
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
        segments.append(a.JsonWildcard(bracketed=False) if key == "*" else a.JsonKey(key))
        i = j
        expect_key = False
        if i < n and text[i] == ".":
            i += 1
            expect_key = True
            if i >= n or text[i] == ".":  # `a.[*]` is accepted as `a[*]`
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
    """Wildcards of an anchor pattern; an escaped ``\\*`` is a literal star, ``\\\\*`` is not."""
    return len(re.findall(r"\\.|(\*)", pattern)) - len(re.findall(r"\\.", pattern))


class _Name(str):
    """A field name that remembers where it was written (relative to the parsed chunk)."""

    __slots__ = ("start_pos",)

    def __new__(cls, value: str, start_pos: int = 0):
        obj = super().__new__(cls, value)
        obj.start_pos = start_pos
        return obj

    def __reduce__(self):  # pickles and copies as a plain str
        return (str, (str(self),))


class _Build(Transformer):
    """Lark tree -> AST nodes, with absolute positions."""

    @property
    def p(self) -> _Parser:
        return _context.frame[0]

    @property
    def base(self) -> int:
        return _context.frame[1]

    # helpers
    def _at(self, children) -> a.Pos:
        """Position of the first child that has one (keywords are filtered out of ``children``)."""
        for child in children:
            if isinstance(child, (Token, _Name)):
                return self.p.pos(self.base + child.start_pos)
            if isinstance(child, a.Node):
                return child.pos
        return self._stage_at()

    def _stage_at(self) -> a.Pos:
        return self.p.pos(_context.frame[2])

    def _nest(self, node, *children):
        """Record how deep ``node`` nests; refuse depths that would exhaust recursion downstream (render,
        lint, the engine). Real queries stay far below the bound."""
        depth = 1 + max((getattr(c, "_depth", 0) for c in children), default=0)
        if depth > MAX_NESTING:
            raise self.p.error(f"expression nested more than {MAX_NESTING} levels deep", node.pos.offset)
        object.__setattr__(node, "_depth", depth)
        return node

    def _tok(self, tok: Token) -> a.Pos:
        return self.p.pos(self.base + tok.start_pos)

    def _err(self, message: str, where) -> QuerySyntaxError:
        if isinstance(where, Token):
            return self.p.error(message, self.base + where.start_pos)
        return self.p.error(message, self._at(where).offset)

    def _text(self) -> str:
        return self.p.blank[_context.frame[2]:_context.frame[3]]

    def _int(self, tok: Token) -> int:
        if not str(tok).isdigit():
            raise self._err(f"expected a whole number, found {str(tok)!r}", tok)
        return int(tok)

    # ------------------------------------------------------------------------------------ scope
    def scope(self, c):
        return c[0]

    def s_or(self, c):
        return self._nest(a.Or(tuple(c), pos=self._at(c)), *c)

    def s_and(self, c):
        return self._nest(a.And(tuple(c), pos=self._at(c)), *c)

    def s_negate(self, c):
        return self._nest(a.Not(c[-1], pos=self._at(c)), c[-1])

    def s_keyword(self, c):
        return a.Keyword(str(c[0]), pos=self._at(c))

    def s_phrase(self, c):
        return a.Phrase(decode_string(c[0]), pos=self._at(c))

    def s_field_match(self, c):
        name, op, (value, quoted) = c
        op = "!=" if op == "<>" else str(op)
        return a.FieldMatch(self.field([name]), op, value, quoted, pos=self._at(c))

    def s_value(self, c):
        tok = c[0]
        if tok.type == "STRING":
            return decode_string(tok), True
        return str(tok), False

    def s_subquery(self, c):
        return a.Subquery(str(c[0])[1:-1], pos=self._at(c))

    # ------------------------------------------------------------------------------------ expressions
    def field(self, c):
        tok = c[0]
        if tok.type == "NAME" and tok.lower() in _OPERATOR_WORDS:
            # the contextual lexer reads `and` as a name where `and` cannot go; Sumo would not
            raise self._err(f"unexpected {str(tok)!r}: expected a field name (write %\"{tok}\" for a field "
                            "of that name)", tok)
        if tok.type == "QFIELD":
            body = tok[1:].lstrip()
            return _Name(decode_string(body) if body[:1] == '"' else body, tok.start_pos)
        return _Name(tok, tok.start_pos)

    def field_list(self, c):
        return tuple(str(x) for x in c)

    def field_ref(self, c):
        return a.FieldRef(str(c[0]), pos=self._at(c))

    def string(self, c):
        return a.StringLit(decode_string(c[0]), pos=self._at(c))

    def number(self, c):
        return a.NumberLit(str(c[0]), pos=self._at(c))

    def regex(self, c):
        raw = str(c[0])
        close = raw.rfind("/")
        return a.RegexLit(raw[1:close], raw[close + 1:], pos=self._at(c))

    def subquery(self, c):
        return a.Subquery(str(c[0])[1:-1], pos=self._at(c))

    def args(self, c):
        return tuple(c)

    def call(self, c):
        return self._nest(a.Call(str(c[0]), c[1] or (), pos=self._at(c)), *(c[1] or ()))

    def ternary(self, c):
        return self._nest(a.Ternary(c[0], c[1], c[2], pos=self._at(c)), *c)

    def or_op(self, c):
        return self._nest(a.BinaryOp("or", c[0], c[1], pos=self._at(c)), *c)

    def and_op(self, c):
        return self._nest(a.BinaryOp("and", c[0], c[1], pos=self._at(c)), *c)

    def not_op(self, c):
        return self._nest(a.UnaryOp("not", c[-1], pos=self._at(c)), c[-1])

    def neg(self, c):
        return self._nest(a.UnaryOp("-", c[-1], pos=self._at(c)), c[-1])

    def compare(self, c):
        op = {"==": "=", "<>": "!="}.get(str(c[1]), str(c[1]))
        return self._nest(a.BinaryOp(op, c[0], c[2], pos=self._at(c)), c[0], c[-1])

    def compare_eq(self, c):
        return self._nest(a.BinaryOp("=", c[0], c[-1], pos=self._at(c)), c[0], c[-1])

    def binop(self, c):
        return self._nest(a.BinaryOp(str(c[1]), c[0], c[2], pos=self._at(c)), c[0], c[-1])

    def contains(self, c):
        return self._nest(a.BinaryOp("contains", c[0], c[1], pos=self._at(c)), c[0], c[-1])

    def in_list(self, c):
        return self._nest(a.InList(c[0], c[1] or (), False, pos=self._at(c)), c[0], *(c[1] or ()))

    def not_in_list(self, c):
        return self._nest(a.InList(c[0], c[1] or (), True, pos=self._at(c)), c[0], *(c[1] or ()))

    def matches(self, c):
        return self._nest(a.Matches(c[0], c[1], False, pos=self._at(c)), c[0], c[1])

    def not_matches(self, c):
        return self._nest(a.Matches(c[0], c[1], True, pos=self._at(c)), c[0], c[1])

    # ------------------------------------------------------------------------------------ stages
    def where_stage(self, c):
        return a.Where(c[0], pos=self._stage_at())

    def assign_stage(self, c):
        expr, alias = c
        if alias is None and not isinstance(expr, a.Call):
            raise self._err("expected 'as <field>' after the expression", c)
        return a.Assign(expr, alias, pos=self._stage_at())

    # parse / extract
    def opt_field(self, c):
        return ("field", c[-1])

    def opt_nodrop(self, c):
        return ("nodrop", True)

    def opt_multi(self, c):
        return ("multi", True)

    def regex_list(self, c):
        return ("patterns", tuple(decode_string(t) for t in c))

    def _options(self, items, allowed):
        opts: dict = {}
        for key, value in items:
            if key not in allowed:
                raise self._err(f"'{key}' is not an option of this operator", items)
            if key == "paths":
                opts.setdefault("paths", [])
                opts["paths"].extend(value)
                continue
            opts[key] = value
        return opts

    def parse_regex(self, c):
        o = self._options(c, {"field", "nodrop", "multi", "patterns"})
        return a.ParseRegex(o["patterns"], o.get("field"), o.get("nodrop", False), o.get("multi", False),
                            pos=self._stage_at())

    def extract_stage(self, c):
        o = self._options(c, {"field", "nodrop", "multi", "patterns"})
        return a.Extract(o["patterns"], o.get("field"), o.get("nodrop", False), o.get("multi", False),
                         pos=self._stage_at())

    def anchor_one(self, c):
        return a.AnchorPattern(decode_string(c[0]), (c[1],), pos=self._at(c))

    def anchor_many(self, c):
        return a.AnchorPattern(decode_string(c[0]), c[1], pos=self._at(c))

    def anchor_seq(self, c):
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

    def parse_anchor(self, c):
        o = self._options(c, {"field", "nodrop", "patterns"})
        return a.ParseAnchor(o["patterns"], o.get("field"), o.get("nodrop", False), pos=self._stage_at())

    # json
    def opt_auto(self, c):
        return ("auto", True)

    def opt_maxdepth(self, c):
        return ("maxdepth", self._int(c[1]))

    def opt_extractarrays(self, c):
        return ("extractarrays", True)

    def opt_keys(self, c):
        return ("keys", True)

    def opt_refonly(self, c):
        return ("refonly", True)

    def json_paths(self, c):
        return ("paths", [_json_path(self.p, decode_string(t), self.base + t.start_pos) for t in c])

    def json_as(self, c):
        return ("aliases", c[0])

    def json_stage(self, c):
        o = self._options(c, {"field", "nodrop", "auto", "maxdepth", "extractarrays", "keys", "refonly",
                                    "paths", "aliases"})
        paths = tuple(o.get("paths", ()))
        aliases = o.get("aliases", ())
        auto = o.get("auto", False)
        if not auto and not paths:
            raise self._err("json needs at least one \"path\" (or 'auto')", c)
        if o.get("keys") and not auto:
            raise self._err("'keys' is only valid with 'json auto'", c)
        if aliases and len(aliases) != len(paths):
            raise self._err(f"json has {len(paths)} path(s) but {len(aliases)} name(s) after 'as'", c)
        return a.Json(paths, aliases, o.get("field"), o.get("nodrop", False), auto, o.get("maxdepth"),
                      o.get("extractarrays", False), o.get("refonly", False), pos=self._stage_at())

    # lookup
    def lookup_all(self, c):
        return None

    def lookup_cols(self, c):
        return tuple(c)

    def lookup_col(self, c):
        return a.LookupField(c[0], c[1], pos=self._at(c))

    def lookup_on(self, c):
        # `on key` alone means the event field has the key's name
        return a.LookupOn(c[0], c[1] if c[1] is not None else c[0], pos=self._at(c))

    def lookup_stage(self, c):
        cols, source, *rest = c
        nodrop = bool(rest and rest[-1] is not None and isinstance(rest[-1], Token) and rest[-1].type == "NODROP")
        on = tuple(x for x in rest if isinstance(x, a.LookupOn))
        src = str(source)
        m = re.match(r'([A-Za-z][A-Za-z0-9+.-]*://)"(.*)"$', src, re.DOTALL)
        if m:
            src = m.group(1) + decode_string('"' + m.group(2) + '"')
        return a.Lookup(cols or (), src, on, nodrop, cols is None, pos=self._stage_at())

    # timeslice
    def timeslice_stage(self, c):
        number, unit, buckets, alias = c
        if number is None:
            return a.Timeslice(None, None, alias, pos=self._stage_at())
        if buckets is not None:
            if unit is not None:
                raise self._err(f"unexpected {str(unit)!r}: expected 'buckets'", unit)
            return a.Timeslice(None, self._int(number), alias, pos=self._stage_at())
        if unit is not None:
            number = Token("NUMBER", str(number) + str(unit), start_pos=number.start_pos)
        if not re.fullmatch(r"\d+(?:\.\d+)?(?:ms|s|m|h|d|w)", str(number), re.IGNORECASE):
            raise self._err(f"timeslice needs a duration such as 5m or 1h (or 'N buckets'), found {str(number)!r}",
                            number)
        return a.Timeslice(str(number), None, alias, pos=self._stage_at())

    # aggregates
    def agg_func(self, c):
        name, args, alias = c
        return a.AggCall(str(name).lower(), args or (), alias, pos=self._at(c))

    def agg_star(self, c):
        name, _star, alias = c
        return a.AggCall(str(name).lower(), (), alias, pos=self._at(c))

    def agg_bare(self, c):
        name, alias = c
        return a.AggCall(str(name).lower(), (), alias, pos=self._at(c))

    def agg_fields(self, c):
        name, fields = c
        refs = tuple(a.FieldRef(f) for f in fields)
        return ("fields", str(name).lower(), refs, self._at(c))

    def agg_alias_fields(self, c):
        name, alias, fields = c
        return ("fields", str(name).lower(), tuple(a.FieldRef(f) for f in fields), self._at(c), alias)

    def by_clause(self, c):
        return ("by", c[-1])

    def agg_stage(self, c):
        calls, by = [], ()
        for item in c:
            if item is None:
                continue
            if isinstance(item, tuple) and item[0] == "by":
                by = item[1]
            elif isinstance(item, tuple) and item[0] == "fields":
                _, name, refs, pos, *alias = item
                alias = alias[0] if alias else None
                if name == "count":  # `count [as n] x, y` is Sumo's shorthand for `count [as n] by x, y`
                    if len([x for x in c if x is not None]) > 1:
                        raise self._err("'count <fields>' cannot be combined with other aggregates or 'by'", c)
                    calls.append(a.AggCall("count", (), alias, pos=pos))
                    by = tuple(r.name for r in refs)
                elif alias is None:
                    calls.append(a.AggCall(name, refs, None, pos=pos))
                else:
                    raise self.p.error(f"'{name} as <name> <fields>' is only valid for count", pos.offset)
            else:
                calls.append(item)
        for call in calls:
            if call.function not in AGGREGATE_FUNCTIONS:
                raise self.p.error(f"{call.function!r} is not an aggregate function", call.pos.offset)
        return a.Aggregate(tuple(calls), tuple(by), pos=self._stage_at())

    # sort / top / limit / fields
    def sort_key(self, c):
        plus, expr, direction = c
        ascending = plus is not None or (direction is not None and direction.type == "ASC")
        if plus is not None and direction is not None and direction.type == "DESC":
            ascending = False
        return a.SortKey(expr, ascending, pos=self._at(c))

    def sort_stage(self, c):
        return a.Sort(tuple(k for k in c if isinstance(k, a.SortKey)), pos=self._stage_at())

    def top_stage(self, c):
        number, fields, *keys = c
        keys = [k for k in keys if k is not None]
        by = []
        for k in keys:
            if not isinstance(k.expr, a.FieldRef):
                raise self.p.error("top ... by takes field names", k.pos.offset)
            by.append(k.expr.name)
        plain = all(not k.ascending for k in keys) and not re.search(r"\b(?:asc|desc)\b", self._text(), re.I)
        return a.Top(self._int(number), fields, tuple(by), () if plain else tuple(keys), pos=self._stage_at())

    def limit_stage(self, c):
        return a.Limit(self._int(c[0]), pos=self._stage_at())

    def fields_stage(self, c):
        sign, names = c
        return a.Fields(names, sign is not None and sign.type == "MINUS", pos=self._stage_at())

    # transpose / fillmissing / compare / outlier
    def transpose_as(self, c):
        if isinstance(c[0], Token):
            return ("*",)
        return c[0]

    def transpose_stage(self, c):
        row, column, aliases = c
        return a.Transpose(row, column, aliases or (), pos=self._stage_at())

    def fill_item(self, c):
        name, args, field = c
        return a.FillmissingItem(a.Call(str(name), args or (), pos=self._tok(name)), field, pos=self._at(c))

    def fill_bare(self, c):
        name, qualifier, field = c
        return a.FillmissingItem(a.Call(str(name), (), pos=self._tok(name)), field,
                                 str(qualifier) if qualifier is not None else None, pos=self._at(c))

    def fill_number(self, c):
        number = c[-1]
        text = ("-" if len(c) == 2 else "") + str(number)
        if a.NumberLit(text).value is None:
            raise self._err(f"fillmissing ... with takes a number, a quoted string or null, found {str(number)!r}", number)
        return a.NumberLit(text, pos=self._at(c))

    def fill_null(self, c):
        return c[0]  # the NULL token, for its position; fill_default makes it None

    def fill_default(self, c):
        value, field = c
        pos = self._at(c)
        return a.FillmissingDefault(None if isinstance(value, Token) else value, field, pos=pos)

    def fillmissing_stage(self, c):
        items = tuple(x for x in c if isinstance(x, a.FillmissingItem))
        defaults = tuple(x for x in c if isinstance(x, a.FillmissingDefault))
        take_last = any(isinstance(x, Token) and x.type == "TAKELAST" for x in c)
        if take_last and not any(i.generator.lname == "timeslice" for i in items):
            # Sumo fills from "the previous timeslice": without a timeslice generator there is none
            raise self._err("'takelast' needs a timeslice generator (fillmissing timeslice, ...)",
                            [x for x in c if isinstance(x, Token) and x.type == "TAKELAST"])
        return a.Fillmissing(items, defaults, take_last, pos=self._stage_at())

    def shift(self, c):
        minus, period, count, agg, alias = c
        return a.CompareShift(("-" if minus is not None else "") + str(period),
                              self._int(count) if count is not None else None,
                              str(agg).lower() if agg is not None else None, alias, pos=self._at(c))

    def compare_stage(self, c):
        return a.Compare(tuple(x for x in c if isinstance(x, a.CompareShift)), pos=self._stage_at())

    def outlier_opt(self, c):
        return (str(c[0]).lower(), str(c[1]))

    def outlier_opts(self, c):
        return tuple(c)

    def outlier_stage(self, c):
        series, options, by, more = c
        return a.Outlier(series, (options or ()) + (more or ()), by or (), pos=self._stage_at())

    # csv / split
    def option(self, c):
        return (str(c[0]).lower(), str(c[1]) if c[1] is not None else "")

    def extract_numbered(self, c):
        return a.ExtractItem(c[1], self._int(c[0]), pos=self._at(c))

    def extract_named(self, c):
        return a.ExtractItem(c[0], None, pos=self._at(c))

    def extract_items(self, c):
        return tuple(c)

    def csv_stage(self, c):
        return a.Csv(c[0], c[-1], tuple(c[1:-1]), pos=self._stage_at())

    def split_stage(self, c):
        return a.Split(c[0], c[-1], tuple(c[1:-1]), pos=self._stage_at())

    # save / join
    def save_stage(self, c):
        append, path = c
        return a.Save(str(path), append is not None, pos=self._stage_at())

    def join_input(self, c):
        body, alias = c
        start = self.base + body.start_pos + 1
        end = self.base + body.end_pos - 1
        _, segs = scan(self.p.blank, start=start, end=end)
        try:
            stages = self.p.stages(segs, trailing_pipe_ok=False)
            query = a.Query(None, tuple(stages), pos=self.p.pos(start))
        except QuerySyntaxError as stage_error:
            # a join input may also open with a keyword scope: ("logType":"x" | json ...)
            try:
                scope = self.p.run("scope", segs[0].start, segs[0].end)
                stages = self.p.stages(segs[1:], trailing_pipe_ok=False)
            except QuerySyntaxError:
                raise stage_error from None
            query = a.Query(scope, tuple(stages), pos=self.p.pos(start))
        return a.JoinInput(query, alias, pos=self._at(c))

    def join_stage(self, c):
        inputs = tuple(x for x in c if isinstance(x, a.JoinInput))
        rest = [x for x in c if not isinstance(x, a.JoinInput)]
        on = rest[0] if rest else None
        window = str(rest[1]) if len(rest) > 1 and rest[1] is not None else None
        return a.Join(inputs, on, window, pos=self._stage_at())
