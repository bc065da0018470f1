"""The Sumo Logic log search query language: grammar, typed AST, syntax errors and lint.

Public API: ``parse``, ``QuerySyntaxError``, ``lint``, ``Finding``; the node classes live in
:mod:`sumoctl.query.ast`.
"""

from sumoctl.query import ast
from sumoctl.query.errors import QuerySyntaxError
from sumoctl.query.lint import Finding, lint
from sumoctl.query.parser import parse

__all__ = ["ast", "parse", "QuerySyntaxError", "lint", "Finding"]
