"""Errors the engine raises before it reads a single event: the query asks for something it cannot run."""

from __future__ import annotations

from sumoctl.errors import SumoctlError
from sumoctl.query.ast import NOPOS, Pos


class QueryNotSupported(SumoctlError):
    """An operator, function, option or lookup source the offline engine does not implement. Never a silent
    pass: the detection's tests fail loudly instead of passing on a query that was not really run."""

    def __init__(self, message: str, pos: Pos = NOPOS, path: str | None = None):
        super().__init__(message, path, pos.line or None, pos.column or None)
        self.pos = pos


class QueryInvalid(SumoctlError):
    """A query Sumo itself would refuse when it runs: an unknown field, a regex without named groups."""

    def __init__(self, message: str, pos: Pos = NOPOS, path: str | None = None):
        super().__init__(message, path, pos.line or None, pos.column or None)
        self.pos = pos
