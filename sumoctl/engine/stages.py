"""Per-message stages (parse, json, where, assignments, lookup, timeslice) as closures.

Each streaming stage takes a message (a dict of case-folded field name to value) and returns None (dropped),
the message, or a list of messages (`parse ... multi` fans out copies). Private bookkeeping keys start with NUL
and never reach a result row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from sumoctl.engine import expr as _expr
from sumoctl.engine.errors import QueryInvalid, QueryNotSupported
from sumoctl.engine.expr import compile_regex, duration_ms
from sumoctl.engine.geo import GEO_FIELDS, GEO_SOURCES, GeoProvider
from sumoctl.engine.lookups import lookup_outputs
from sumoctl.engine.tables import redacted
from sumoctl.engine.options import Semantics
from sumoctl.engine.values import display, json_value
from sumoctl.query import ast

Fields = dict[str, Any]
Stage = Callable[[Fields], Any]

RECORD = "\x00record"  # the decoded CloudTrail record behind `_raw`
CHAIN = "\x00chain"    # ids of nodrop parse stages that matched this message (see ParseChain)
PRIVATE = "\x00"


class ParseChain:
    """`parse A nodrop | parse B`: a message that an earlier nodrop parse matched survives a later parse that
    fails (the nodrop page: the chain acts as an OR). Consecutive parse/json stages form one chain."""

    def __init__(self):
        self.nodrop_ids: list[int] = []
        self.next_id = 0

    def new_stage(self, nodrop: bool) -> tuple[int, tuple[int, ...]]:
        earlier = tuple(self.nodrop_ids)
        stage_id = self.next_id
        self.next_id += 1
        if nodrop:
            self.nodrop_ids.append(stage_id)
        return stage_id, earlier

    def reset(self):
        self.nodrop_ids = []


def _survives(msg: Fields, earlier: tuple[int, ...]) -> bool:
    matched = msg.get(CHAIN)
    return bool(matched) and any(i in matched for i in earlier)


def _mark(msg: Fields, stage_id: int) -> None:
    matched = msg.get(CHAIN)
    if matched is None:
        msg[CHAIN] = {stage_id}
    else:
        matched.add(stage_id)


# --- parse regex / extract ------------------------------------------------------------------------------------------


def parse_regex(node: ast.ParseRegex, known: dict[str, str], chain: ParseChain) -> Stage:
    source = (node.field or "_raw").casefold()
    if source not in known:
        raise QueryInvalid(f"field {node.field!r} not found", node.pos)
    regexes = []
    for pattern in node.patterns:
        regex = compile_regex(pattern, 0, node.pos)
        names = sorted(regex.groupindex, key=regex.groupindex.get)  # in group order, as a match's groups()
        if not names:
            raise QueryInvalid(f"regex {pattern!r} has no named group (?<name>...)", node.pos)
        if regex.groups != len(names):
            raise QueryInvalid(f"regex {pattern!r} has an unnamed capturing group; use (?:...)", node.pos)
        for n in names:
            known.setdefault(n.casefold(), n)
        regexes.append((regex, [n.casefold() for n in names]))
    stage_id, earlier = chain.new_stage(node.nodrop)
    whole = None if _expr.REFERENCE else whole_capture(node)
    if whole is not None:
        return _whole_capture_stage(whole, source, regexes[0], stage_id, earlier, node.nodrop)
    if node.multi:
        return _fan_out_stage(source, regexes, stage_id, earlier, node.nodrop)
    return _captures_stage(source, regexes, stage_id, earlier, node.nodrop)


def _captures_stage(source: str, compiled: list[tuple[re.Pattern, list[str]]], stage_id: int, earlier: tuple,
                    nodrop: bool) -> Stage:
    """`parse regex` (without multi) and `parse "anchor*"`: each pattern's captures, in group order, go to its
    keys; a pattern that does not match sets its keys to null. The message goes on when every pattern matched,
    or when it is nodrop or an earlier nodrop parse of its chain matched."""

    def apply(msg: Fields):
        value = msg.get(source)
        text = None if value is None else display(value)
        all_matched = True
        for regex, keys in compiled:
            hit = regex.search(text) if text is not None else None
            if hit is None:
                all_matched = False
                for key in keys:
                    msg[key] = None
                continue
            for key, captured in zip(keys, hit.groups()):
                msg[key] = captured
        if all_matched:
            if nodrop:
                _mark(msg, stage_id)
            return msg
        return msg if nodrop or _survives(msg, earlier) else None

    return apply


def _fan_out_stage(source: str, compiled: list[tuple[re.Pattern, list[str]]], stage_id: int, earlier: tuple,
                   nodrop: bool) -> Stage:
    """`parse regex ... multi`: a copy of the message for each match (for each match of every pattern, with
    several); otherwise as `_captures_stage`."""

    def apply(msg: Fields):
        value = msg.get(source)
        text = None if value is None else display(value)
        copies = [msg]
        all_matched = True
        for regex, keys in compiled:
            found = list(regex.finditer(text)) if text is not None else []
            if not found:
                all_matched = False
                for key in keys:
                    for m in copies:
                        m[key] = None
                continue
            fanned = []
            for m in copies:
                for hit in found:
                    copy = dict(m)
                    for key, captured in zip(keys, hit.groups()):
                        copy[key] = captured
                    fanned.append(copy)
            copies = fanned
        if all_matched:
            if nodrop:
                for m in copies:
                    _mark(m, stage_id)
            return copies[0] if len(copies) == 1 else copies
        if nodrop or _survives(msg, earlier):
            return copies[0] if len(copies) == 1 else copies
        return None

    return apply


# `parse regex "(?<raw>{.*)"`, the prelude of every blog search, copies a whole message: when the text starts
# with `{` (or the pattern needs no brace) and has no line break, the greedy `.*` takes all of it, so the capture
# is the text itself and the regex need not run over it (the other cases run it).
_WHOLE_BODIES = {"{.*": "{", "\\{.*": "{", "^{.*": "{", "^\\{.*": "{", ".*": "", "^.*": ""}


def whole_capture(node: ast.ParseRegex) -> tuple[str, str] | None:
    """(capture name, the text's required first character or "") for a one-pattern whole-text capture."""
    if node.multi or len(node.patterns) != 1:
        return None
    pattern = node.patterns[0]
    for name_start in ("(?<", "(?P<"):
        if pattern.startswith(name_start) and pattern.endswith(")") and ">" in pattern:
            name, body = pattern[len(name_start):-1].split(">", 1)
            if body in _WHOLE_BODIES and name.replace("_", "").isalnum() and name[:1].isalpha():
                return name, _WHOLE_BODIES[body]
    return None


def _whole_capture_stage(whole: tuple[str, str], source: str, compiled: tuple, stage_id: int, earlier: tuple, nodrop: bool) -> Stage:
    first = whole[1]
    regex, keys = compiled
    key = keys[0]

    def apply(msg: Fields):
        value = msg.get(source)
        text = None if value is None else display(value)
        if text is not None and text.startswith(first) and "\n" not in text:
            msg[key] = text
        else:
            hit = regex.search(text) if text is not None else None
            if hit is None:
                msg[key] = None
                return msg if nodrop or _survives(msg, earlier) else None
            msg[key] = hit.group(1)
        if nodrop:
            _mark(msg, stage_id)
        return msg

    return apply


# --- anchor parse ------------------------------------------------------------------------------------------------


_ANCHOR_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def anchor_regex(pattern: str, ignore_case: bool) -> re.Pattern:
    """`"user=*:"` as a regex: the text before the first `*` is searched for (not anchored), each `*` captures
    lazily up to the next literal, and a trailing `*` captures to the end of the line."""
    literal = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in _ANCHOR_ESCAPES:
            literal.append(_ANCHOR_ESCAPES[pattern[i + 1]])
            i += 2
            continue
        literal.append("\x00" if ch == "*" else ch)
        i += 1
    parts = "".join(literal).split("\x00")
    body = []
    for index, part in enumerate(parts):
        if index > 0:
            last = index == len(parts) - 1
            body.append("(.*)" if last and part == "" else "(.*?)")
        body.append(re.escape(part))
    prefix = "^" if parts[0] == "" else ""
    return re.compile(prefix + "".join(body), re.IGNORECASE if ignore_case else 0)


def parse_anchor(node: ast.ParseAnchor, known: dict[str, str], chain: ParseChain, semantics: Semantics) -> Stage:
    source = (node.field or "_raw").casefold()
    if source not in known:
        raise QueryInvalid(f"field {node.field!r} not found", node.pos)
    compiled = []
    for item in node.patterns:
        stars = item.pattern.count("*")
        if stars != len(item.fields):
            raise QueryInvalid(f"pattern {item.pattern!r} has {stars} '*' but {len(item.fields)} field names", item.pos or node.pos)
        if "**" in item.pattern:
            raise QueryInvalid("adjacent '**' in a parse pattern", item.pos or node.pos)
        keys = [f.casefold() for f in item.fields]
        for f in item.fields:
            known.setdefault(f.casefold(), f)
        compiled.append((anchor_regex(item.pattern, semantics.anchor_case_insensitive), keys))
    stage_id, earlier = chain.new_stage(node.nodrop)
    return _captures_stage(source, compiled, stage_id, earlier, node.nodrop)


# --- json ---------------------------------------------------------------------------------------------------------

_MISSING = object()


def json_lookup(document: Any, segments: tuple) -> Any:
    """Walk a json path; `_MISSING` when a key or index is absent. `[*]` (or `*`) maps the rest of the path over
    an array's elements or an object's member values, in document order, and keeps the hits as a list."""
    value = document
    for index, segment in enumerate(segments):
        if isinstance(segment, ast.JsonKey):
            if not isinstance(value, dict) or segment.name not in value:
                return _MISSING
            value = value[segment.name]
        elif isinstance(segment, ast.JsonIndex):
            if not isinstance(value, list) or not -len(value) <= segment.index < len(value):
                return _MISSING
            value = value[segment.index]
        else:  # JsonWildcard (json_stage refuses JsonFilter): an array's elements, an object's member values
            if isinstance(value, dict):
                value = list(value.values())
            elif not isinstance(value, list):
                return _MISSING
            rest = segments[index + 1:]
            items = [json_lookup(item, rest) for item in value]
            return [item for item in items if item is not _MISSING]
    return value


def _path_getter(segments: tuple) -> Callable[[Any], Any]:
    """A fast lookup for the common paths (`eventName`, `userIdentity.type`); json_lookup for the rest."""
    if segments and all(isinstance(s, ast.JsonKey) for s in segments) and len(segments) <= 2:
        first = segments[0].name
        if len(segments) == 1:
            return lambda d: d.get(first, _MISSING) if d.__class__ is dict else _MISSING
        second = segments[1].name

        def two(d):
            if d.__class__ is not dict:
                return _MISSING
            inner = d.get(first, _MISSING)
            return inner.get(second, _MISSING) if inner.__class__ is dict else _MISSING

        return two
    return lambda d: json_lookup(d, segments)


def _decode_json_field(msg: Fields, source: str, text: str):
    """The JSON document in a field; when the field holds exactly `_raw`, reuse the record already decoded."""
    record = msg.get(RECORD)
    if record is not None:
        raw = msg.get("_raw")
        if text is raw or (raw is not None and len(text) == len(raw) and text == raw):
            return record
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _MISSING


def json_stage(node: ast.Json, known: dict[str, str], chain: ParseChain, semantics: Semantics) -> Stage:
    if node.auto:
        return json_auto(node, known, chain)
    source = (node.field or "_raw").casefold()
    if source not in known:
        raise QueryInvalid(f"field {node.field!r} not found", node.pos)
    _refuse_json_filters(node)
    if node.aliases and len(node.aliases) != len(node.paths):
        raise QueryInvalid(f"json has {len(node.paths)} paths but {len(node.aliases)} names", node.pos)
    names = list(node.aliases) if node.aliases else [p.text for p in node.paths]
    keys = [n.casefold() for n in names]
    for n in names:
        known.setdefault(n.casefold(), n)
    stage_id, earlier = chain.new_stage(node.nodrop)
    if _expr.REFERENCE:
        return _json_closure(source, keys, [p.segments for p in node.paths], stage_id, earlier, node.nodrop,
                             semantics.json_drops_on_any_missing_key)
    return _json_apply(source, keys, [p.segments for p in node.paths], stage_id, earlier, node.nodrop,
                       semantics.json_drops_on_any_missing_key)


def _refuse_json_filters(node: ast.Json) -> None:
    """A JSONPath filter (`[?(@.x == 1)]`) needs an evaluator of its own: refuse it rather than walk past it."""
    for path in node.paths:
        if any(isinstance(segment, ast.JsonFilter) for segment in path.segments):
            raise QueryNotSupported(f"json path filter in {path.text!r} is not supported by the offline engine",
                                    path.pos if path.pos.line else node.pos)


def _json_closure(source: str, keys: list[str], paths: list[tuple], stage_id: int, earlier: tuple, nodrop: bool,
                  drop_on_any: bool) -> Stage:
    """The json stage as a loop over its paths: what `_json_apply` generates, written plainly."""
    lookups = list(zip(keys, [_path_getter(segments) for segments in paths]))

    def apply(msg: Fields):
        value = msg.get(source)
        document = _MISSING if value is None else _decode_json_field(msg, source, display(value))
        missing = 0
        for key, lookup in lookups:
            found = _MISSING if document is _MISSING else lookup(document)
            if found is _MISSING:
                missing += 1
                msg[key] = None
            else:
                msg[key] = json_value(found)
        complete = missing == 0 if drop_on_any else missing < len(keys)
        if complete and document is not _MISSING:
            if nodrop:
                _mark(msg, stage_id)
            return msg
        return msg if nodrop or _survives(msg, earlier) else None

    return apply


def _json_apply(source: str, keys: list[str], paths: list[tuple], stage_id: int, earlier: tuple, nodrop: bool,
                drop_on_any: bool) -> Stage:
    """The json stage as one generated function: each key path a line or two of dict lookups (`json_lookup`
    for paths with indexes or wildcards), each found value rendered by `json_value`. A record's dozen paths
    were a dozen calls of a lookup closure and of json_value each."""
    names: dict[str, Any] = {
        "M": _MISSING, "jv": json_value, "display": display, "decode": _decode_json_field, "mark": _mark,
        "survives": _survives, "dict": dict, "str": str, "isinstance": isinstance,
    }
    lines = [
        "def apply(msg):",
        f"    value = msg.get({source!r})",
        f"    document = M if value is None else decode(msg, {source!r}, display(value))",
        "    if document is M:",
        *[f"        msg[{key!r}] = None" for key in keys],
        f"        missing = {len(keys)}",
        "    else:",
        "        missing = 0",
    ]
    for n, (key, segments) in enumerate(zip(keys, paths)):
        if segments and all(isinstance(s, ast.JsonKey) for s in segments) and len(segments) <= 2:
            lines.append(f"        v = document.get({segments[0].name!r}, M) if document.__class__ is dict else M")
            if len(segments) == 2:
                lines.append(f"        v = v.get({segments[1].name!r}, M) if v.__class__ is dict else M")
        elif segments and all(isinstance(s, ast.JsonKey) for s in segments):
            # A longer key path, step by step as json_lookup walks it.
            lines.append("        v = document")
            for segment in segments:
                lines.append(f"        v = v[{segment.name!r}] if isinstance(v, dict) and {segment.name!r} in v else M")
        else:
            names[f"p{n}"] = segments
            names["lookup"] = json_lookup
            lines.append(f"        v = lookup(document, p{n})")
        lines += [
            "        if v is M:",
            "            missing += 1",
            f"            msg[{key!r}] = None",
            "        else:",
            f"            msg[{key!r}] = v if v.__class__ is str else jv(v)",
        ]
    complete = "missing == 0" if drop_on_any else f"missing < {len(keys)}"
    lines += [
        f"    if {complete} and document is not M:",
        *([f"        mark(msg, {stage_id})"] if nodrop else []),
        "        return msg",
        "    return msg" if nodrop else f"    return msg if survives(msg, {earlier!r}) else None",
    ]
    exec(compile("\n".join(lines), "<json stage>", "exec"), names)
    return names["apply"]


def json_auto(node: ast.Json, known: dict[str, str], chain: ParseChain) -> Stage:
    """`json auto` names its fields only at run time (from each message's keys), so later stages cannot be
    checked against them; refused with a pointer to the explicit form."""
    raise QueryNotSupported(
        "json auto is not supported offline; name the keys: json \"key1\", \"key2\" as a, b", node.pos
    )


# --- where, assignments -----------------------------------------------------------------------------------------------


def where_stage(condition: Callable[[Fields], bool]) -> Stage:
    return lambda msg: msg if condition(msg) else None


def assign_stage(key: str, expr: Callable[[Fields], Any]) -> Stage:
    def apply(msg: Fields):
        msg[key] = expr(msg)
        return msg
    return apply


# --- lookup (geo) -------------------------------------------------------------------------------------------------


def lookup_stage(node: ast.Lookup, known: dict[str, str], geo: GeoProvider) -> Stage:
    if node.source.lower() not in GEO_SOURCES:
        raise QueryNotSupported(
            f"lookup from {redacted(node.source)} is not supported offline (geo://location, sumo://threat/... and lookup tables "
            "such as /shared/x or path://\"/Library/...\" are)", node.pos,
        )
    if len(node.on) != 1 or node.on[0].key.lower() != "ip":
        raise QueryInvalid("geo lookup needs `on ip = <field>`", node.pos)
    source = node.on[0].field.casefold()
    if source not in known:
        raise QueryInvalid(f"field {node.on[0].field!r} not found", node.on[0].pos or node.pos)
    outputs = lookup_outputs(node, tuple(GEO_FIELDS), "geo://location", known)

    def apply(msg: Fields):
        ip = msg.get(source)
        found = geo.lookup(display(ip)) if ip is not None else {}
        for name, key in outputs:
            msg[key] = found.get(name)
        return msg

    return apply


# --- timeslice -------------------------------------------------------------------------------------------------------


def timeslice_stage(node: ast.Timeslice, known: dict[str, str], tz_name: str) -> Stage:
    if node.size is None:
        raise QueryNotSupported("timeslice N buckets needs the search's time range, which offline runs do not have", node.pos)
    size = duration_ms(node.size)
    if not size:
        raise QueryInvalid(f"timeslice size {node.size!r} is not a duration such as 5m, 1h, 1d", node.pos)
    alias = node.alias or "_timeslice"
    key = alias.casefold()
    known.setdefault(key, alias)
    zone = None if tz_name.upper() == "UTC" else ZoneInfo(tz_name)

    def apply(msg: Fields):
        t = msg.get("_messagetime")
        if t is None:
            msg[key] = None
            return msg
        offset = 0
        if zone is not None:
            delta = datetime.fromtimestamp(t / 1000, timezone.utc).astimezone(zone).utcoffset()
            offset = int(delta.total_seconds() * 1000) if delta else 0
        msg[key] = ((t + offset) // size) * size - offset
        return msg

    return apply


# --- fields ------------------------------------------------------------------------------------------------------


def fields_keeps(key: str, named: frozenset[str]) -> bool:
    """Whether `fields a, b` (naming `named`) keeps a field: the named ones and every `_` field (the metadata
    stays), and the engine's private keys, which later stages still read and no row prints."""
    return key in named or key.startswith(("_", PRIVATE))


def fields_stage(named: frozenset[str]) -> Stage:
    """`fields a, b`: drops the fields `fields_keeps` does not keep (decided once per key: messages share keys)."""
    keeps: dict[str, bool] = {}

    def apply(msg: Fields):
        gone = []
        for key in msg:
            keep = keeps.get(key)
            if keep is None:
                keep = keeps[key] = fields_keeps(key, named)
            if not keep:
                gone.append(key)
        for key in gone:
            del msg[key]
        return msg

    return apply


def fields_remove_stage(removed: frozenset[str]) -> Stage:
    """`fields - a, b`: drops the named fields."""

    def apply(msg: Fields):
        for key in removed:
            msg.pop(key, None)
        return msg

    return apply


# --- stages on rows (after an aggregate, or on raw messages once collected) --------------------------------------------


def sort_rows(rows: list[Fields], keys: list[tuple[Callable, bool]]) -> list[Fields]:
    """Sumo sorts descending by default. Numbers sort as numbers, strings by code point (case-sensitive, upper
    case first); nulls go last either way."""
    for get, ascending in reversed(keys):
        present = [r for r in rows if get(r) is not None]
        nulls = [r for r in rows if get(r) is None]

        def order(row, get=get):
            value = get(row)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return (0, value, "")
            return (1, 0, display(value))

        present.sort(key=order, reverse=not ascending)
        rows = present + nulls
    return rows


def rows_where(condition: Callable[[Fields], bool]) -> Callable[[list[Fields]], list[Fields]]:
    return lambda rows: [r for r in rows if condition(r)]


__all__ = [
    "CHAIN", "PRIVATE", "RECORD", "ParseChain", "anchor_regex", "assign_stage", "fields_keeps", "fields_remove_stage",
    "fields_stage", "json_lookup", "json_stage", "lookup_stage", "parse_anchor", "parse_regex", "rows_where", "sort_rows", "timeslice_stage", "where_stage",
]
