"""Syntax errors of Sumo queries, with a position and a caret excerpt."""

from __future__ import annotations


class QuerySyntaxError(ValueError):
    """A query that Sumo would reject. ``line`` and ``column`` are 1-based, in the text given to ``parse``."""

    def __init__(self, message: str, text: str, offset: int):
        offset = max(0, min(offset, len(text)))
        self.message = message
        self.text = text
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"

    def excerpt(self) -> str:
        """The offending line and a caret under the column (tabs kept so the caret lines up)."""
        lines = self.text.split("\n")
        source = lines[self.line - 1] if self.line - 1 < len(lines) else ""
        pad = "".join(ch if ch == "\t" else " " for ch in source[: self.column - 1])
        return f"{source}\n{pad}^"
