"""Run Sumo Logic log queries offline over CloudTrail events, with Sumo's semantics.

Public API:

* :func:`compile_query` (query text or a parsed :class:`~sumoctl.query.ast.Query` -> :class:`CompiledQuery`);
  an operator the engine cannot run raises :class:`QueryNotSupported` naming it and its position.
* :class:`Runner`: feeds :class:`~sumoctl.events.RawEvent` s to several compiled queries in one streaming pass
  (decoding a line only when some query may want it), reporting bad lines; ``results()`` gives the rows.
* :func:`run_query`: the one-query shortcut, ``run_query(text, events) -> rows``.
* :class:`Semantics` (switches where Sumo is unverified), geo providers (:class:`StaticGeoProvider`), threat
  intel providers (:class:`StaticThreatProvider`; the default :class:`NoThreatIntel` knows no indicator), lookup
  table providers (:class:`CsvLookupTables` over a repository's `lookups/` folder, :class:`StaticLookupTables`;
  the default :class:`NoLookupTables` knows no table).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sumoctl.engine.compiler import CompiledQuery, compile_query
from sumoctl.engine.errors import QueryInvalid, QueryNotSupported
from sumoctl.engine.geo import GeoIP2FastProvider, GeoProvider, StaticGeoProvider
from sumoctl.engine.tables import CsvLookupTables, LookupTable, LookupTables, NoLookupTables, StaticLookupTables
from sumoctl.engine.threat import NoThreatIntel, StaticThreatProvider, ThreatProvider
from sumoctl.engine.options import DEFAULT_SEMANTICS, Semantics
from sumoctl.engine.run import Runner, RunSummary, StrictModeError
from sumoctl.engine.values import display
from sumoctl.events import Metadata, RawEvent


def run_query(
    query: str,
    events: Iterable[RawEvent | dict[str, Any]],
    metadata: Metadata = Metadata(),
    semantics: Semantics = DEFAULT_SEMANTICS,
    geo: GeoProvider | None = None,
    prefilter: bool = True,
    threat: ThreatProvider | None = None,
    tables: LookupTables | None = None,
) -> list[dict[str, Any]]:
    """The result rows of one query over events (RawEvents, or plain record dicts)."""
    compiled = compile_query(query, semantics, geo, threat, tables)
    runner = Runner([compiled], metadata, semantics, prefilter=prefilter)
    runner.feed(e if isinstance(e, RawEvent) else RawEvent("<record>", i, record=e) for i, e in enumerate(events, 1))
    return runner.results()[0]


__all__ = [
    "CompiledQuery", "CsvLookupTables", "DEFAULT_SEMANTICS", "GeoIP2FastProvider", "GeoProvider", "LookupTable",
    "LookupTables", "NoLookupTables", "NoThreatIntel", "QueryInvalid", "StaticLookupTables",
    "QueryNotSupported", "StaticThreatProvider", "ThreatProvider",
    "RunSummary", "Runner", "Semantics", "StaticGeoProvider", "StrictModeError", "compile_query", "display",
    "run_query",
]
