"""`lookup a, b as x from /shared/... on col = field`: Sumo lookup tables, offline.

Sumo has two kinds. A Lookup Table in the Library, `path://"/Library/Users/me@example.com/Admin Users"` (the
lookup page); and the classic kind (the "lookup (Classic)" page): a file the `save` operator wrote, named by its
path (`/shared/aws/cloudtrail/admin_users`, `shared/statusupdates`), or a CSV file on an HTTPS server.
Offline their rows come from a provider. A detections repository keeps a CSV copy of each table it uses under
`lookups/`, at the table's path: `lookups/shared/aws/cloudtrail/admin_users.csv`,
`lookups/Library/Users/me@example.com/Admin Users.csv`, `lookups/https/example.com/risky.csv` for
`https://example.com/risky.csv` (:class:`CsvLookupTables`). Tests pass a :class:`StaticLookupTables`; without
a provider no table is known (:class:`NoLookupTables`) and compiling says which file to add.

The CSV: UTF-8 (a byte-order mark is allowed), first row the column names (trimmed, as Sumo trims a header),
every other row as many cells as the header, an empty cell is null. Every value is text.

Semantics, from Sumo's two lookup pages: a left join (a message without a matching row keeps going, the
looked-up fields null, overwriting a field of the same name: both pages test a mismatch with `isNull`); several
`on` pairs (`,` or `and`) must all match. Values match case-insensitively in a Lookup Table ("matches event field
names and values to lookup table field names and values in a case-insensitive manner") and case-sensitively in a
classic one ("joinColumn-x need to be of the same data type and are case sensitive"); column names always match
case-insensitively, as Sumo's field names do. Sumo's examples write a pair either way round (`on userEmail=email`,
`on status = code`), so each pair is read by which side is a column of the table. A null (or missing) event
value matches no row, not even an empty cell. Values compare as text (`display`), so a number 42 matches the
cell "42". When several rows have one key, the last one is used, as the classic page says ("The last value
associated with a duplicated key will be used"); a Lookup Table keeps one row per primary key, the last written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from sumoctl.engine.errors import QueryInvalid, QueryNotSupported
from sumoctl.engine.lookups import lookup_outputs
from sumoctl.engine.values import display
from sumoctl.errors import SumoctlError
from sumoctl.query import ast

LOOKUPS_DIR = "lookups"


def table_path(source: str) -> str | None:
    """How a lookup-table source names its table: the Library path with a leading `/` (`/shared/x` and
    `shared/x` give `/shared/x`, `path://"/Library/x"`, parsed as `path:///Library/x`, gives `/Library/x`), or
    an HTTPS address without its credentials (`https://user:pw@host/t.csv` gives `https://host/t.csv`). None for
    any other scheme (geo://, sumo://threat/..., http://, which Sumo refuses)."""
    lowered = source.lower()
    if lowered.startswith("path://"):
        source = source[len("path://"):]
    elif lowered.startswith("https://"):
        rest = source[len("https://"):]
        host, slash, tail = rest.partition("/")
        return "https://" + host.rpartition("@")[2].lower() + slash + tail
    elif "://" in source:
        return None
    return "/" + source.lstrip("/")


def redacted(source: str) -> str:
    """A lookup source fit for a message: credentials in an address (`https://user:pw@host/...`, which Sumo's
    classic lookup accepts) become `(sensitive)`."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1(sensitive)@", source)


def case_sensitive(source: str) -> bool:
    """Whether a table's values match case-sensitively: a classic table's do, a Lookup Table's (path://) do not."""
    return not source.lower().startswith("path://")


def csv_name(path: str) -> str:
    """Where under `lookups/` the CSV copy of the table at `path` lives: `shared/aws/admin_users.csv`,
    `https/example.com/risky.csv` for `https://example.com/risky.csv`."""
    if path.startswith("https://"):
        name = "https/" + path[len("https://"):]
        return name if name.lower().endswith(".csv") else name + ".csv"
    return path.lstrip("/") + ".csv"


@dataclass(frozen=True)
class LookupTable:
    """A table's rows: `columns` as the header spells them, each row one cell per column (None: empty)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]
    origin: str = "<table>"  # where the rows come from, for messages: lookups/shared/x.csv
    # The rows as dicts keyed by some columns (see `_index`), each built once however many queries or test
    # cases compile a lookup of this table in the same way.
    indexes: dict[tuple, dict] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dicts(cls, rows: list[dict[str, str | None]], origin: str = "<table>") -> LookupTable:
        """A table from row dicts (the columns are the keys, in first-seen order; a missing key is null)."""
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        names = tuple(columns)
        return cls(names, tuple(tuple(_cell(row.get(c)) for c in names) for row in rows), origin)


def _cell(value: Any) -> str | None:
    return None if value is None or value == "" else display(value)


class MissingTable(Exception):
    """The provider has no copy of a table; the message says what to add."""


class LookupTables(Protocol):
    def table(self, path: str) -> LookupTable:
        """The table named `path` (see `table_path`: `/shared/x`, `/Library/x`, `https://host/x.csv`); raises
        MissingTable when there is no copy."""


class NoLookupTables:
    """Knows no table: `eval --query` outside a repository."""

    def table(self, path: str) -> LookupTable:
        raise MissingTable(f"add {LOOKUPS_DIR}/{csv_name(path)} (a CSV copy of the table) to a detections repository")


class StaticLookupTables:
    """Fixed tables: `{"/shared/admins": [{"user_name": "alice", "role": "admin"}]}` (or LookupTable values)."""

    def __init__(self, tables: dict[str, list[dict[str, str | None]] | LookupTable]):
        self.tables = {
            (path if "://" in path else "/" + path.lstrip("/")):
                t if isinstance(t, LookupTable) else LookupTable.from_dicts(t, f"<table {path}>")
            for path, t in tables.items()
        }

    def table(self, path: str) -> LookupTable:
        found = self.tables.get(path)
        if found is None:
            raise MissingTable(f"no table {path} among the static tables ({', '.join(sorted(self.tables)) or 'none'})")
        return found


class CsvLookupTables:
    """Tables from CSV files under a folder (a repository's `lookups/`), each read once, on first use.
    `shown` is how messages name the folder (`lookups`)."""

    def __init__(self, folder: Path, shown: str = LOOKUPS_DIR):
        self.folder = Path(folder)
        self.shown = shown
        self._read: dict[str, LookupTable] = {}

    def table(self, path: str) -> LookupTable:
        found = self._read.get(path)
        if found is not None:
            return found
        name = csv_name(path)
        if any(part in ("", ".", "..") for part in name.split("/")) or any(c in name for c in "\\?#\x00"):
            raise MissingTable(f"{path} has no place for a CSV copy under {self.shown}/ (no empty, . or .. parts, no ?, # or \\)")
        relative = PurePosixPath(name)
        shown = f"{self.shown}/{relative}"
        file = self.folder.joinpath(*relative.parts)
        if not file.is_file():
            raise MissingTable(f"add {shown}")
        found = self._read[path] = read_csv(file, shown)
        return found


def read_csv(file: Path, shown: str) -> LookupTable:
    """A CSV copy of a lookup table; a malformed file is an error naming its line."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise SumoctlError(f"not UTF-8 text (byte {err.start})", shown) from None
    except OSError as err:
        raise SumoctlError(f"cannot read: {err.strerror}", shown) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[str | None, ...]] = []
    columns: tuple[str, ...] | None = None
    try:
        for cells in reader:
            if not cells:
                continue  # a blank line
            if columns is None:
                columns = tuple(c.strip() for c in cells)
                _check_header(columns, shown, reader.line_num)
                continue
            if len(cells) != len(columns):
                raise SumoctlError(f"row has {len(cells)} cell(s) but the header has {len(columns)} column(s)", shown, reader.line_num)
            rows.append(tuple(c if c != "" else None for c in cells))
    except csv.Error as err:
        raise SumoctlError(f"not valid CSV: {err}", shown, reader.line_num) from None
    if columns is None:
        raise SumoctlError("empty file: the first line must name the columns", shown)
    return LookupTable(columns, tuple(rows), shown)


def _check_header(columns: tuple[str, ...], shown: str, line: int) -> None:
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise SumoctlError("a column in the header has no name", shown, line)
        if name.casefold() in seen:
            raise SumoctlError(f"column {name!r} appears twice in the header (names are case-insensitive)", shown, line)
        seen.add(name.casefold())


# --- the stage --------------------------------------------------------------------------------------------------------


def join_pairs(node: ast.Lookup, columns: tuple[str, ...], table: str, known: dict[str, str]) -> list[tuple[str, str]]:
    """(table column, event field key) for each `on` pair. A pair names a column on one side and an event field
    on the other, either way round; when both sides are columns, the one that is not an event field so far is
    the column, and the left one otherwise (as in `ip = src_ip`)."""
    if not node.on:
        raise QueryInvalid(f"a lookup from {table} needs `on <column> = <field>`", node.pos)
    spelled = {c.casefold(): c for c in columns}
    pairs = []
    for pair in node.on:
        left, right = pair.key.casefold(), pair.field.casefold()
        if left in spelled and (right not in spelled or left not in known or right in known):
            column, event = spelled[left], pair.field
        elif right in spelled:
            column, event = spelled[right], pair.key
        else:
            raise QueryInvalid(
                f"{table} has no column {pair.key!r} or {pair.field!r} to join on (it has {', '.join(columns)})",
                pair.pos or node.pos,
            )
        if event.casefold() not in known:
            raise QueryInvalid(f"field {event!r} not found", pair.pos or node.pos)
        pairs.append((column, event.casefold()))
    return pairs


def table_lookup_stage(node: ast.Lookup, known: dict[str, str], tables: LookupTables) -> tuple[Callable[[dict], Any], ast.Lookup]:
    """The stage, and the lookup with each `on` pair written `column = field` (the order the prefilter reads)."""
    path = table_path(node.source)
    try:
        table = tables.table(path)
    except MissingTable as missing:
        raise QueryNotSupported(f"lookup table {path} has no local copy: {missing}", node.pos) from None
    name = f"{path} ({table.origin})"
    pairs = join_pairs(node, table.columns, name, known)
    outputs = lookup_outputs(node, table.columns, name, known)
    exact = case_sensitive(node.source)
    index = _index(table, [c for c, _ in pairs], [c for c, _ in outputs], exact)
    sources = [event for _, event in pairs]
    keys = [key for _, key in outputs]
    nulls = (None,) * len(keys)
    resolved = ast.Lookup(
        node.fields, node.source, tuple(ast.LookupOn(c, e, pos=p.pos) for (c, e), p in zip(pairs, node.on)),
        node.nodrop, node.all_fields, pos=node.pos,
    )

    if len(sources) == 1:
        source = sources[0]

        def apply(msg: dict[str, Any]):
            value = msg.get(source)
            if value is None:
                found = nulls
            else:
                text = display(value)
                found = index.get(text if exact else text.casefold(), nulls)
            for key, cell in zip(keys, found):
                msg[key] = cell
            return msg
    else:
        def apply(msg: dict[str, Any]):
            values = [msg.get(s) for s in sources]
            if None in values:
                found = nulls
            else:
                texts = [display(v) for v in values]
                found = index.get(tuple(texts if exact else [t.casefold() for t in texts]), nulls)
            for key, cell in zip(keys, found):
                msg[key] = cell
            return msg

    return apply, resolved


def _index(table: LookupTable, on: list[str], wanted: list[str], exact: bool) -> dict[Any, tuple[str | None, ...]]:
    """The table as a dict from the `on` cells (case-folded unless `exact`) to the wanted cells, built once per
    table and shape of lookup. A row with a null key cell can never match; of rows with one key, the last wins."""
    shape = (tuple(on), tuple(wanted), exact)
    index = table.indexes.get(shape)
    if index is None:
        index = table.indexes[shape] = _build_index(table, on, wanted, exact)
    return index


def _build_index(table: LookupTable, on: list[str], wanted: list[str], exact: bool) -> dict[Any, tuple[str | None, ...]]:
    position = {c: i for i, c in enumerate(table.columns)}
    on_at = [position[c] for c in on]
    out_at = [position[c] for c in wanted]
    index: dict[Any, tuple[str | None, ...]] = {}
    for row in table.rows:
        cells = [row[i] for i in on_at]
        if None in cells:
            continue
        if not exact:
            cells = [c.casefold() for c in cells]
        index[cells[0] if len(cells) == 1 else tuple(cells)] = tuple(row[i] for i in out_at)
    return index
