"""What a `lookup` stage writes, shared by the geo and threat-intel lookups."""

from __future__ import annotations

from sumoctl.engine.errors import QueryInvalid
from sumoctl.query import ast


def lookup_outputs(node: ast.Lookup, columns: tuple[str, ...], table: str, known: dict[str, str]) -> list[tuple[str, str]]:
    """(column, output field key) for each field the stage asks for (all columns for `lookup *`); an unknown
    column is an error naming the table; the output fields become known to later stages."""
    wanted = [(f.name.lower(), f.alias or f.name) for f in node.fields] if not node.all_fields else [(c, c) for c in columns]
    for name, _ in wanted:
        if name not in columns:
            raise QueryInvalid(f"{table} has no field {name!r} (it has {', '.join(columns)})", node.pos)
    for _, alias in wanted:
        known.setdefault(alias.casefold(), alias)
    return [(name, alias.casefold()) for name, alias in wanted]
