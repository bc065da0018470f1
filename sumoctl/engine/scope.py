"""The keyword expression before the first pipe: keywords and phrases against `_raw`, metadata globs.

Keywords match case-insensitively and as whole terms: `test` matches `TEST` but not `TESTClientImpl`. Offline
rule (the notes' practical rule): a keyword matches where a substring of `_raw` equals it, with a term boundary
at each end where the keyword's first or last character is alphanumeric. `*` stands for any run of word
characters and `?` for one, inside a term. Word characters are letters, digits and `_` (so `foo` does not match
`foo_bar` but does match `foo-bar`: unverified, probe P12). Metadata values (`_sourceCategory=aws/*`) match as
whole-value globs, case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sumoctl.engine.errors import QueryNotSupported
from sumoctl.query import ast

Fields = dict[str, Any]


def _term_regex(text: str) -> re.Pattern:
    text = " ".join(text.split())
    parts = []
    for ch in text:
        if ch == "*":
            parts.append(r"\w*")
        elif ch == "?":
            parts.append(r"\w")
        elif ch == " ":
            parts.append(r"\s+")
        else:
            parts.append(re.escape(ch))
    body = "".join(parts)
    stripped = text.strip("*?")
    if text[:1].isalnum() or text[:1] in "*?" and stripped[:1].isalnum():
        body = r"(?<!\w)" + body
    if text[-1:].isalnum() or text[-1:] in "*?" and stripped[-1:].isalnum():
        body = body + r"(?!\w)"
    return re.compile(body, re.IGNORECASE)


def metadata_glob(value: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(p) for p in value.split("*")), re.IGNORECASE | re.DOTALL)


def compile_scope(node: ast.ScopeExpr | None) -> Callable[[Fields], bool]:
    if node is None:
        return lambda f: True
    if isinstance(node, (ast.Keyword, ast.Phrase)):
        text = node.text if isinstance(node, ast.Keyword) else node.value
        if text.strip("*") == "":
            return lambda f: True
        regex = _term_regex(text)
        return lambda f: regex.search(f.get("_raw") or "") is not None
    if isinstance(node, ast.FieldMatch):
        key = node.field.casefold()
        if node.op not in ("=", "!="):
            raise QueryNotSupported(f"scope comparison {node.field}{node.op} is not supported offline", node.pos)
        if node.value.strip() == "*":
            # `account=*` (a dashboard placeholder's default) matches every message, set or not.
            return (lambda f: True) if node.op == "=" else (lambda f: False)
        glob = metadata_glob(node.value)
        # A message's metadata takes a handful of values (one source category, one name per file): the glob's
        # verdict is remembered per value.
        verdicts: dict[Any, bool] = {}

        def matches(v) -> bool:
            verdict = verdicts.get(v) if type(v) is str else None
            if verdict is None:
                verdict = glob.fullmatch(str(v)) is not None
                if type(v) is str and len(verdicts) < 10_000:
                    verdicts[v] = verdict
            return verdict

        if node.op == "=":
            return lambda f: (v := f.get(key)) is not None and matches(v)
        return lambda f: (v := f.get(key)) is None or not matches(v)
    if isinstance(node, ast.And):
        items = [compile_scope(i) for i in node.items]
        return lambda f: all(i(f) for i in items)
    if isinstance(node, ast.Or):
        items = [compile_scope(i) for i in node.items]
        return lambda f: any(i(f) for i in items)
    if isinstance(node, ast.Not):
        inner = compile_scope(node.operand)
        return lambda f: not inner(f)
    raise QueryNotSupported(f"{type(node).__name__.lower()} in the search scope is not supported offline", node.pos)


def metadata_only(node: ast.ScopeExpr | None) -> bool:
    """Whether the scope reads only metadata (never `_raw`), so it can be decided before decoding a line."""
    if node is None:
        return True
    if isinstance(node, ast.FieldMatch):
        return node.field.startswith("_") and node.field.casefold() != "_raw"
    if isinstance(node, (ast.And, ast.Or)):
        return all(metadata_only(i) for i in node.items)
    if isinstance(node, ast.Not):
        return metadata_only(node.operand)
    return False
