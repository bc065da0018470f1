"""Running one or more compiled queries over events in a single streaming pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import gc
from contextlib import contextmanager

import msgspec

from sumoctl.engine.compiler import CompiledQuery
from sumoctl.engine.options import DEFAULT_SEMANTICS, Semantics
from sumoctl.engine.prefilter import Prefilter, Seeder, fast_plan
from sumoctl.engine.stages import RECORD
from sumoctl.events.message import Metadata, RawEvent, compact_raw, message_time
from sumoctl.events.reader import RECORDS_LINE, BadLine, EventFile, decode_record, iter_files, records_on_one_line


@dataclass
class RunSummary:
    events: int = 0       # records read (good and bad)
    skipped: int = 0      # bad lines skipped
    matched: int = 0      # records that came out of the per-message stages of at least one query
    bad_lines: list[BadLine] = field(default_factory=list)


class StrictModeError(Exception):
    def __init__(self, bad: BadLine):
        super().__init__(str(bad))
        self.bad = bad


def make_message(record: dict[str, Any], metadata: Metadata, origin: str) -> dict[str, Any]:
    raw = compact_raw(record)
    t = message_time(record)
    return {
        "_raw": raw,
        "_messagetime": t,
        "_receipttime": t,
        "_sourcecategory": metadata.source_category,
        "_source": metadata.source,
        "_collector": metadata.collector,
        "_sourcehost": metadata.source_host,
        "_sourcename": origin,
        "_size": len(raw),
        RECORD: record,
    }


@contextmanager
def _no_cyclic_gc():
    """The event loop creates no reference cycles, but it keeps growing aggregation state (dicts and sets of
    every group), and CPython's cyclic collector rescans all of it again and again: measured at 7x the cost
    of an aggregate update. Reference counting still frees everything; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Runner:
    """Feeds events to queries. With `prefilter` (the default) a line is decoded only when some query may want
    it; every line is still validated, so bad lines are reported either way."""

    def __init__(
        self,
        queries: list[CompiledQuery],
        metadata: Metadata = Metadata(),
        semantics: Semantics = DEFAULT_SEMANTICS,
        prefilter: bool = True,
        strict: bool = False,
        on_bad_line: Callable[[BadLine], None] | None = None,
        progress: Callable[[int], None] | None = None,
        on_row: Callable[[int, dict[str, Any]], None] | None = None,
    ):
        """`on_row(query_index, row)` receives each row of a streaming query (`CompiledQuery.streams`: no
        aggregate, sort, top or limit) as soon as it is produced; those rows are then not kept for `results()`."""
        self.queries = queries
        if on_row is not None:
            for index, q in enumerate(queries):
                if q.streams:
                    q.sink = lambda row, index=index: on_row(index, row)
        self.metadata = metadata
        self.strict = strict
        self.on_bad_line = on_bad_line
        self.progress = progress
        self.summary = RunSummary()
        self.prefilter = Prefilter([q.query for q in queries], semantics) if prefilter and queries else None
        # Queries that can start from a seed of projected values (no full decode): see prefilter.fast_plan.
        self.seeder = None
        self.fast_start: list[int | None] = [None] * len(queries)
        if self.prefilter is not None:
            plans = [fast_plan(q.query) for q in queries]
            if any(plans):
                self.seeder = Seeder(plans)
                self.fast_start = [q.stream_at[p.prelude] if p else None for q, p in zip(queries, plans)]

    def _bad(self, bad: BadLine) -> None:
        self.summary.skipped += 1
        if len(self.summary.bad_lines) < 1000:
            self.summary.bad_lines.append(bad)
        if self.on_bad_line is not None:
            self.on_bad_line(bad)
        if self.strict:
            raise StrictModeError(bad)

    def _bad_unread(self, bad: BadLine) -> None:
        """A bad record the event loop did not count yet (a broken document, a bad entry of Records)."""
        self.summary.events += 1
        self._bad(bad)

    def _deliver(self, record: dict, origin: str, indexes: Iterable[int], hit: bool = False) -> None:
        base = make_message(record, self.metadata, origin)
        for index in indexes:
            if self.queries[index].push(dict(base)):
                hit = True
        if hit:
            self.summary.matched += 1

    def feed(self, events: Iterable[RawEvent]) -> RunSummary:
        for _ in self._feed_steps(events):
            pass
        return self.summary

    def _feed_steps(self, events: Iterable[RawEvent]) -> Iterator[None]:
        """The event loop of `feed`, pausing (yield) after each event delivered to some query, so that
        `iter_rows` can hand out the rows it produced before reading on."""
        everyone = range(len(self.queries))
        prefilter = self.prefilter
        summary = self.summary
        meta_fields = {
            "_sourcecategory": self.metadata.source_category, "_source": self.metadata.source,
            "_collector": self.metadata.collector, "_sourcehost": self.metadata.source_host, "_sourcename": "",
        }
        for event in events:
            summary.events += 1
            if self.progress is not None and summary.events % 10_000 == 0:
                self.progress(summary.events)
            if event.record is not None:
                self._deliver(event.record, event.origin, everyone)
                yield
                continue
            data = event.data
            wanted: Iterable[int] = everyone
            if prefilter is not None and data.isascii():
                try:
                    projected = prefilter.decode(data)
                except msgspec.ValidationError:
                    projected = None  # a key on a path is not an object: decode in full below
                except msgspec.DecodeError:
                    projected = None
                if projected is not None:
                    meta_fields["_sourcename"] = event.origin
                    wanted = prefilter.wanted(projected, meta_fields)
                    if not wanted:
                        continue
            try:
                record = decode_record(data)
            except ValueError as err:
                self._bad(BadLine(event.origin, event.line, str(err)))
                continue
            self._deliver(record, event.origin, wanted)
            yield

    def run_files(self, paths: Iterable) -> RunSummary:
        """Every event file named or under a named folder, in one pass. JSONL lines take a fast path: each
        line is validated and projected by msgspec, and decoded in full only when some query may want it."""
        with _no_cyclic_gc():
            for _ in self._file_steps(paths):
                pass
        return self.summary

    def iter_rows(self, paths: Iterable) -> Iterator[tuple[int, dict[str, Any]]]:
        """`run_files` as an iterator of `(query_index, row)`: the rows of streaming queries come out while the
        input is read (lazily: nothing is read ahead of the consumer), then the rows of every other query
        once the input is exhausted. Only aggregation state is kept in memory."""
        pending: list[tuple[int, dict[str, Any]]] = []
        for index, q in enumerate(self.queries):
            if q.streams:
                q.sink = lambda row, index=index: pending.append((index, row))
        with _no_cyclic_gc():
            for _ in self._file_steps(paths):
                if pending:
                    yield from pending
                    pending.clear()
        for index, rows in enumerate(self.results()):
            for row in rows:
                yield index, row

    def iter_feed(self, events: Iterable[RawEvent]) -> Iterator[tuple[int, dict[str, Any]]]:
        """`feed` as an iterator of `(query_index, row)`, like `iter_rows`: an event is read from `events` only
        when the rows of the ones before it have been consumed."""
        pending: list[tuple[int, dict[str, Any]]] = []
        for index, q in enumerate(self.queries):
            if q.streams:
                q.sink = lambda row, index=index: pending.append((index, row))
        for _ in self._feed_steps(events):
            if pending:
                yield from pending
                pending.clear()
        for index, rows in enumerate(self.results()):
            for row in rows:
                yield index, row

    def _file_steps(self, paths: Iterable) -> Iterator[None]:
        for path in iter_files(paths):
            with EventFile(path) as events:
                if events.jsonl and self.prefilter is not None:
                    try:
                        yield from self._jsonl_steps(events)
                    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
                        raise events.read_error(err) from None
                else:
                    yield from self._feed_steps(events.records(self._bad_unread))

    def _jsonl_steps(self, events: EventFile) -> Iterator[None]:
        """The hot loop: most lines end after one msgspec projection and one dict lookup per indexed path."""
        origin = events.origin
        prefilter = self.prefilter
        decode = prefilter.decode
        wanted_by = prefilter.wanted
        meta_fields = {
            "_sourcecategory": self.metadata.source_category, "_source": self.metadata.source,
            "_collector": self.metadata.collector, "_sourcehost": self.metadata.source_host, "_sourcename": origin,
        }
        everyone = list(range(len(self.queries)))
        progress = self.progress
        seeder = self.seeder
        summary = self.summary
        first_event = summary.events
        blank = 0
        number = 0
        for number, line in enumerate(events.lines(), 1):
            if progress is not None and not number & 0x3FFF:
                progress(first_event + number - blank)
            if line.isascii():
                try:
                    wanted = wanted_by(decode(line), meta_fields)
                except (msgspec.ValidationError, msgspec.DecodeError):
                    if not line.strip():
                        blank += 1  # a blank line is not an event
                        continue
                    wanted = everyone  # judged below by the full decoder
                else:
                    if line.startswith(RECORDS_LINE):
                        # A whole S3 object on one line: its records, not the line, are the events.
                        blank += 1
                        summary.events = first_event + number - blank
                        yield from self._feed_steps(records_on_one_line(line.strip(), origin, number, self._bad_unread))
                        first_event = summary.events - number + blank
                        continue
                    if not wanted:
                        continue
            elif not line.strip():
                blank += 1
                continue
            else:
                wanted = everyone
            seeded_hit = False
            if seeder is not None and wanted is not everyone:
                wanted, seeded_hit = self._run_seeded(line, wanted, meta_fields)
                if not wanted:
                    if seeded_hit:
                        summary.matched += 1
                        summary.events = first_event + number - blank  # exact while paused
                        yield
                    continue
            try:
                record = decode_record(line)
            except ValueError as err:
                self._bad(BadLine(origin, number, str(err)))
                continue
            self._deliver(record, origin, wanted, seeded_hit)
            summary.events = first_event + number - blank  # exact while paused
            yield
        summary.events = first_event + number - blank

    def _run_seeded(self, line: bytes, wanted: list[int], meta_fields: dict) -> tuple[list[int], bool]:
        """Run the fast-path queries among `wanted` from projected values; return the ones still to run from the
        decoded record (all of them when the projection cannot be built for this line)."""
        fast = [q for q in wanted if self.fast_start[q] is not None]
        if not fast:
            return wanted, False
        try:
            obj = self.seeder.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return wanted, False
        base = {
            "_sourcecategory": meta_fields["_sourcecategory"], "_source": meta_fields["_source"],
            "_collector": meta_fields["_collector"], "_sourcehost": meta_fields["_sourcehost"],
            "_sourcename": meta_fields["_sourcename"],
        }
        hit = False
        for q, seed in zip(fast, self.seeder.seeds(obj, base, fast)):
            # The prefilter checked each fast query's scope: it reads only metadata (fast_plan requires it).
            if self.queries[q].push(seed, self.fast_start[q], scoped=True):
                hit = True
        return [q for q in wanted if self.fast_start[q] is None], hit

    def results(self) -> list[list[dict[str, Any]]]:
        return [q.finish() for q in self.queries]
