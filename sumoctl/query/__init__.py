"""The Sumo Logic log search query language: grammar, typed AST, syntax errors and lint.

Public API: ``parse``, ``QuerySyntaxError``, ``lint``, ``Finding``; the node classes live in
:mod:`sumoctl.query.ast`.
"""

from sumoctl.query import ast

__all__ = ["ast"]
