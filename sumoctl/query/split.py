"""The pre-pass before the grammar: placeholders, comments, and cutting a query into its stages.

Sumo's lexing traps live here, in one hand-written scanner, because they depend on context a token
grammar cannot see cheaply (see ``shared/design/query-language.md`` §A.0):

* ``//`` and ``/* */`` are comments, except inside ``"strings"``, inside ``matches /regex/`` literals, and
  when glued to the word before them (``geo://location``, ``sumo://threat/cs``, ``_sourceCategory=aws/*``).
* A stage boundary is a ``|`` outside strings, regex literals, comments, ``( )`` and ``[ ]`` (subqueries
  and join inputs contain pipes of their own).

Comments are blanked to spaces rather than removed, so every offset still points into the caller's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sumoctl.query.errors import QuerySyntaxError

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}|\$\$([A-Za-z_][A-Za-z0-9_]*)|\*\*(TO_REPLACE)\*\*")
# `/*` right after one of these is part of a wildcard value (aws/*, */*), not a comment
_GLUED_BEFORE_WILDCARD = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_*.-=/:")
_MATCHES_BEFORE = re.compile(r"(?<![A-Za-z0-9_])matches\s*$", re.IGNORECASE)
_SPECIAL = re.compile(r"[\"'/()\[\]|]")
_ARG_BEFORE = re.compile(r"[(,]\s*$")
_CHAR_QUOTE = re.compile(r"'(?:\\.|[^'\\\n])'")


def substitute_placeholders(text: str, placeholders: dict[str, str] | None, default: str | None) -> str:
    """Replace dashboard placeholders ``{{var}}``, ``$$Var`` and ``**TO_REPLACE**``.

    A name found in ``placeholders`` takes that value; any other takes ``default`` when given (Sumo
    dashboards default most variables to ``*``), and is left as written otherwise.
    """
    if not placeholders and default is None:
        return text
    placeholders = placeholders or {}

    def value(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name in placeholders:
            return placeholders[name]
        return default if default is not None else m.group(0)

    return _PLACEHOLDER.sub(value, text)


@dataclass(frozen=True)
class Segment:
    """One piece of the query between top-level pipes: ``start``/``end`` offsets into the text."""

    start: int
    end: int


def scan(text: str, *, start: int = 0, end: int | None = None) -> tuple[str, list[Segment]]:
    """Blank comments and cut ``text[start:end]`` at top-level pipes.

    Returns the text with comments replaced by spaces (same length as ``text``) and the segments, the
    first being the scope. Raises :class:`QuerySyntaxError` for an unterminated string, regex or comment,
    or unbalanced brackets.
    """
    end = len(text) if end is None else end
    chars = list(text) if "/" in text else None  # only comments need rewriting
    segments: list[Segment] = []
    seg_start = start
    stack: list[tuple[str, int]] = []  # open brackets and where they are
    i = start
    while True:
        m = _SPECIAL.search(text, i, end)  # jump over ordinary characters
        if m is None:
            break
        i = m.start()
        ch = text[i]
        if ch == '"':
            i = _skip_string(text, i, end)
            continue
        if ch == "'":
            m = _CHAR_QUOTE.match(text, i)
            if m and m.end() <= end:
                i = m.end()
                continue
        if ch == "/":
            nxt = text[i + 1] if i + 1 < end else ""
            may_comment = i == start or text[i - 1] not in _GLUED_BEFORE_WILDCARD
            # `//` is a comment unless it belongs to a URI such as geo://location (glued to a ':');
            # `/*` unless glued to a word, since `_sourceCategory=aws/*` is a wildcard
            if nxt == "/" and (i == start or text[i - 1] != ":"):
                j = text.find("\n", i, end)
                j = end if j < 0 else j
                chars[i:j] = " " * (j - i)
                i = j
                continue
            if nxt == "*" and may_comment:
                j = text.find("*/", i + 2, end)
                if j < 0:
                    raise QuerySyntaxError("unterminated /* comment", text, i)
                for k in range(i, j + 2):
                    if chars[k] != "\n":
                        chars[k] = " "
                i = j + 2
                continue
            if _MATCHES_BEFORE.search(text, max(start, i - 80), i) and nxt not in ("", " "):
                i = _skip_regex(text, i, end)
                continue
            if _ARG_BEFORE.search(text, max(start, i - 80), i) and nxt not in ("", " "):
                # a regex argument such as replace(_raw, /\s+/, " "); if it does not close, it was not one
                try:
                    i = _skip_regex(text, i, end)
                    continue
                except QuerySyntaxError:
                    pass
        elif ch in "([":
            stack.append((ch, i))
        elif ch in ")]":
            want = "(" if ch == ")" else "["
            if not stack or stack[-1][0] != want:
                raise QuerySyntaxError(f"unbalanced '{ch}'", text, i)
            stack.pop()
        elif ch == "|" and not stack:
            segments.append(Segment(seg_start, i))
            seg_start = i + 1
        i += 1
    if stack:
        ch, where = stack[-1]
        closing = ")" if ch == "(" else "]"
        raise QuerySyntaxError(f"'{ch}' is never closed: expected '{closing}'", text, where)
    segments.append(Segment(seg_start, end))
    return ("".join(chars) if chars is not None else text), segments


def _skip_string(text: str, i: int, end: int) -> int:
    j = i + 1
    while j < end:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    raise QuerySyntaxError("unterminated string: expected a closing '\"'", text, i)


def _skip_regex(text: str, i: int, end: int) -> int:
    j = i + 1
    while j < end and text[j] != "\n":
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "/":
            j += 1
            while j < end and text[j].isalpha():
                j += 1
            return j
        j += 1
    raise QuerySyntaxError("unterminated regular expression: expected a closing '/'", text, i)


_STRING_OR_PLACEHOLDER = re.compile(r'"(?:[^"\\]|\\.)*"|\{\{\s*[^{}]*?\s*\}\}', re.DOTALL)
_BEFORE_DURATION = re.compile(r"(?:timeslice(?:\s+by)?|timeshift)\s*$", re.IGNORECASE)
_BEFORE_COUNT = re.compile(r"(?:limit|top)\s*$", re.IGNORECASE)


def sample_placeholder_values(text: str) -> str:
    """Fill ``{{var}}`` placeholders with a value that fits where each one stands.

    For parsing dashboard exports whose variable definitions are lost (the community corpus): Sumo
    dashboards default most variables to ``*``, which is what a placeholder inside a string or in the
    scope gets here. A placeholder standing where Sumo needs a duration (``timeslice {{g}}``), a count
    (``limit {{n}}``) or a field or expression (``sum({{metric}})``) cannot have defaulted to ``*``; it gets
    ``1h``, ``10`` or the field name ``placeholder`` instead.
    """
    try:
        _, segments = scan(text)
        scope_end = segments[0].end
    except QuerySyntaxError:
        scope_end = len(text)

    def fill(m: re.Match) -> str:
        token = m.group(0)
        if token.startswith('"'):
            return _PLACEHOLDER.sub("*", token)
        if m.start() < scope_end:
            return "*"
        before = text[max(0, m.start() - 40):m.start()]
        if _BEFORE_DURATION.search(before):
            return "1h"
        if _BEFORE_COUNT.search(before):
            return "10"
        return "placeholder"

    return _STRING_OR_PLACEHOLDER.sub(fill, text)
