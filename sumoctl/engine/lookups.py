"""What a `lookup` stage writes, shared by the geo, threat-intel and lookup-table lookups."""

from __future__ import annotations

from sumoctl.engine.errors import QueryInvalid
from sumoctl.query import ast


def lookup_outputs(node: ast.Lookup, columns: tuple[str, ...], table: str, known: dict[str, str]) -> list[tuple[str, str]]:
    """(column, output field key) for each field the stage asks for (all columns for `lookup *`); an unknown
    column is an error naming the table; the output fields become known to later stages. Column names match
    case-insensitively; the column comes back as `columns` spells it (a CSV header keeps its own spelling)."""
    spelled = {c.casefold(): c for c in columns}
    if node.all_fields:
        wanted = [(c, c) for c in columns]
    else:
        wanted = []
        for f in node.fields:
            column = spelled.get(f.name.casefold())
            if column is None:
                raise QueryInvalid(f"{table} has no field {f.name.lower()!r} (it has {', '.join(columns)})", f.pos or node.pos)
            wanted.append((column, f.alias or f.name))
    for _, alias in wanted:
        known.setdefault(alias.casefold(), alias)
    return [(name, alias.casefold()) for name, alias in wanted]
