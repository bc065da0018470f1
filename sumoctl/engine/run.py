"""Running one or more compiled queries over events in a single streaming pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gc
import io
import multiprocessing
import os
import traceback
from contextlib import contextmanager

import msgspec

from sumoctl.engine.compiler import CompiledQuery
from sumoctl.engine.geo import GEO_SOURCES, default_provider
from sumoctl.engine.options import DEFAULT_SEMANTICS, Semantics
from sumoctl.engine.parts import export_query, merge_query
from sumoctl.engine.prefilter import Prefilter, Seeder, fast_plan
from sumoctl.engine.stages import RECORD
from sumoctl.events.message import Metadata, RawEvent, compact_raw
from sumoctl.events.reader import (
    READ_BUFFER, RECORDS_LINE, BadLine, EventFile, EventReadError, content_size, decode_record, is_plain_jsonl,
    iter_files, record_texts,
)
from sumoctl.query import ast


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
    t = Seeder.record_time(record)  # message_time(record), each hour parsed once (engine.clock)
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
    of an aggregate update. Reference counting still frees everything; the collector runs again afterwards.

    Every object made meanwhile is still in the young generation, and the first young collection after the
    collector is back would scan them all (a third of a second for 600,000 groups, once per run). They move
    straight to the oldest generation instead (freeze, then unfreeze: no scan), as if they had survived the scans
    they were spared; a full collection looks at them when one comes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
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
        jobs: int = 1,
        sized_rows: bool = True,
    ):
        """`on_row(query_index, row)` receives each row of a streaming query (`CompiledQuery.streams`: no
        aggregate, sort, top or limit) as soon as it is produced; those rows are then not kept for `results()`.
        `sized_rows` False: rows may go without `_size`, for a consumer that never reads it (see Seeder)."""
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
        # Worker processes that run the queries over pieces of the input (see `_pieces`); a small input is read here.
        self.jobs = max(1, jobs)
        self.parallel_min_bytes = 16 << 20
        self.range_bytes = 8 << 20  # what a worker reads at a time: large enough that few groups recur across ranges
        self.prefilter = Prefilter([q.query for q in queries], semantics) if prefilter and queries else None
        # Queries that can start from a seed of projected values (no full decode): see prefilter.fast_plan.
        self.seeder = None
        self.fast_start: list[int | None] = [None] * len(queries)
        if self.prefilter is not None:
            plans = [fast_plan(q.query) for q in queries]
            if any(plans):
                self.seeder = Seeder(plans, sized=sized_rows)
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
        queries = self.queries
        indexes = list(indexes)
        last = len(indexes) - 1
        for n, index in enumerate(indexes):
            # Stages change the message they get: each query its own copy, the last one the original.
            if queries[index].push(base if n == last else base.copy()):
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
        with _no_cyclic_gc():
            yield from self._iter_steps(self._file_steps(paths))

    def iter_feed(self, events: Iterable[RawEvent]) -> Iterator[tuple[int, dict[str, Any]]]:
        """`feed` as an iterator of `(query_index, row)`, like `iter_rows`: an event is read from `events` only
        when the rows of the ones before it have been consumed."""
        yield from self._iter_steps(self._feed_steps(events))

    def _iter_steps(self, steps: Iterator[None]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Drive `steps` (one per event read), yielding streamed rows between steps, then the other queries' rows."""
        pending: list[tuple[int, dict[str, Any]]] = []
        for index, q in enumerate(self.queries):
            if q.streams:
                q.sink = lambda row, index=index: pending.append((index, row))
        for _ in steps:
            if pending:
                yield from pending
                pending.clear()
        for index, rows in enumerate(self.results()):
            for row in rows:
                yield index, row

    def _file_steps(self, paths: Iterable) -> Iterator[None]:
        files = iter_files(paths)
        if self.jobs > 1 and self.prefilter is not None:
            files = list(files)
            pieces = self._pieces(files)
            if pieces is not None:
                yield from self._evaluate_parallel(pieces)
                return
        for path in files:
            with EventFile(path) as events:
                yield from self._one_file_steps(events)

    def _one_file_steps(self, events: EventFile) -> Iterator[None]:
        """The hot loop: most lines (and records of S3 objects) end after one msgspec projection and one dict
        lookup per indexed path (`_screen`); only the lines some query may want reach `_kept_steps`."""
        if self.prefilter is not None and events.jsonl:
            yield from self._lines_steps(_read(events), events.origin)
        elif self.prefilter is not None and events.texts is not None:  # a document's records are screened as lines
            yield from self._lines_steps(events.texts, events.origin, records_line=())
        else:
            yield from self._feed_steps(events.records(self._bad_unread))

    def _lines_steps(self, lines: Iterable[bytes], origin: str, records_line: bytes | tuple = RECORDS_LINE,
                     at_line: int | None = None, totals: list[int] | None = None) -> Iterator[None]:
        """Screen `lines` (of a JSONL file, or the records of a document) and deliver the kept ones. A line that
        starts with `records_line` holds a whole S3 object (`()`: none does); `at_line` numbers every bad record
        at that line, for the records of such a line. `totals`, when given, ends as [lines, blank lines]."""
        summary = self.summary
        totals = [0, 0] if totals is None else totals
        first_event = summary.events
        progress = self.progress
        report = None if progress is None else (lambda number, blank: progress(first_event + number - blank))
        meta_fields = self._meta_fields(origin)
        kept = _screen(lines, self.prefilter, meta_fields, totals, report, records_line)
        state = [summary.events]
        yield from self._kept_steps(kept, origin, meta_fields, state, at_line)
        summary.events = state[0] + totals[0] - totals[1]

    def _meta_fields(self, origin: str) -> dict:
        return {
            "_sourcecategory": self.metadata.source_category, "_source": self.metadata.source,
            "_collector": self.metadata.collector, "_sourcehost": self.metadata.source_host, "_sourcename": origin,
        }

    def _pieces(self, files: list[Path]) -> list[tuple[Path, int | None, int | None]] | None:
        """What the workers evaluate, in input order: the byte ranges of each large plain JSONL file, and every
        other file whole (S3 objects, gzipped files, small files). None when the input is too small to be worth
        starting workers for (`parallel_min_bytes` in all)."""
        pieces: list[tuple[Path, int | None, int | None]] = []
        total = 0
        for path in files:
            try:
                size = content_size(path)
                # A file this large makes the input worth the workers by itself: cutting it is never wasted.
                if size >= self.parallel_min_bytes and is_plain_jsonl(path):
                    pieces += [(path, start, end) for start, end in _line_ranges(path, self.jobs, self.range_bytes)]
                else:
                    pieces.append((path, None, None))
            except OSError as err:
                raise EventReadError(f"cannot read: {err}", str(path)) from None
            total += size
        return pieces if total >= self.parallel_min_bytes else None

    def _evaluate_parallel(self, pieces: list[tuple[Path, int | None, int | None]]) -> Iterator[None]:
        """Workers run every query over a piece each and send back its part: streamed rows and bad lines in
        the order one process would have produced them, aggregation groups, collected rows and counts. Parts are
        taken here in input order, so the result is exactly that of one process (tests/engine/test_parallel.py);
        this process only merges, and no line travels between processes."""
        jobs = min(self.jobs, len(pieces))
        context = multiprocessing.get_context("fork")
        workers = []
        _load_lookup_data(self.queries)
        try:
            # Worker k takes pieces k, k + jobs, ... in order and sends each part down its own pipe as soon as it
            # is done; piece r's part is read from worker r % jobs. A worker waits while its pipe is full, so
            # at most about one part per worker is ever waiting here, and no thread or task queue is needed.
            for k in range(jobs):
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    # Forked: the worker inherits this runner and its compiled queries; nothing is pickled.
                    target=_worker, args=(self, pieces[k::jobs], sender), daemon=True, name=f"sumoctl-engine-{k}",
                )
                process.start()
                sender.close()
                workers.append((process, receiver))
            lines_before = 0
            for r, (path, start, _) in enumerate(pieces):
                process, receiver = workers[r % jobs]
                try:
                    part = receiver.recv()
                except EOFError:
                    raise RuntimeError(f"engine worker {process.name} ended without its part (exit code {process.exitcode})") from None
                if part[0] == "read-error":
                    raise EventReadError(part[1], str(path))
                if part[0] == "error":
                    error, trace = part[1], part[2]
                    if error is None:  # it could not be pickled
                        raise RuntimeError(f"engine worker {process.name} failed:\n{trace}")
                    error.add_note(f"in engine worker {process.name}:\n{trace}")
                    raise error
                if not start:  # a whole file, or the first range of one: its lines are numbered from 1
                    lines_before = 0
                yield from self._take_part(part[1], str(path), lines_before)
                lines_before += part[1][0]
        finally:
            for process, receiver in workers:
                if process.is_alive():
                    # The consumer stopped early or something failed (or, at the end, the worker is exiting).
                    process.terminate()
                process.join()
                receiver.close()

    def _take_part(self, part: tuple, origin: str, lines_before: int) -> Iterator[None]:
        _, event_count, matched, out, partials = part
        summary = self.summary
        summary.events += event_count
        queries = self.queries
        for index, item in out:
            if index < 0:  # a bad line, numbered within its range
                self._bad(BadLine(origin, item.line + lines_before, item.reason))
            else:
                queries[index].sink(item)
        summary.matched += matched
        for query, partial in zip(queries, partials):
            merge_query(query, partial)
        if self.progress is not None:
            self.progress(summary.events)
        yield

    def _kept_steps(self, kept: Iterable[tuple], origin: str, meta_fields: dict, state: list[int],
                    at_line: int | None = None) -> Iterator[None]:
        """Deliver the lines `_screen` kept. `state[0]` is the event count before line 1 (minus the events of
        Records lines already counted), so that `summary.events` is exact whenever the loop pauses."""
        seeder = self.seeder
        summary = self.summary
        for number, blank, line, wanted in kept:
            if wanted is _RECORDS:
                # A whole S3 object on one line: its records, not the line, are the events, screened as lines are.
                summary.events = state[0] + number - blank
                try:
                    texts = record_texts(line)
                except msgspec.DecodeError as err:  # not JSON after all: one bad event
                    self._bad_unread(BadLine(origin, number, f"not valid JSON: {err}"))
                else:
                    yield from self._lines_steps([line] if texts is None else texts, origin, (), number)
                state[0] = summary.events - number + blank
                continue
            seeded_hit = False
            if wanted is _EVERYONE:
                wanted = list(range(len(self.queries)))
            elif seeder is not None:
                wanted, seeded_hit = self._run_seeded(line, wanted, meta_fields)
                if not wanted:
                    if seeded_hit:
                        summary.matched += 1
                        summary.events = state[0] + number - blank  # exact while paused
                        yield
                    continue
            try:
                record = decode_record(line)
            except ValueError as err:
                self._bad(BadLine(origin, number if at_line is None else at_line, str(err)))
                continue
            self._deliver(record, origin, wanted, seeded_hit)
            summary.events = state[0] + number - blank  # exact while paused
            yield

    def _run_seeded(self, line: bytes, wanted: list[int], meta_fields: dict) -> tuple[list[int], bool]:
        """Run the fast-path queries among `wanted` from projected values; return the ones still to run from the
        decoded record (all of them when the projection cannot be built for this line)."""
        fast_start = self.fast_start
        fast = [q for q in wanted if fast_start[q] is not None]
        if not fast:
            return wanted, False
        seeder = self.seeder
        try:
            obj = seeder.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return wanted, False
        when = seeder.time(obj)
        runs = seeder.runs
        hit = False
        for q in fast:
            run = runs.get(q)
            if run is None:
                run = runs[q] = seeder.runner(q, self.queries[q], fast_start[q])
            # The prefilter checked each fast query's scope: it reads only metadata (fast_plan requires it).
            if run(obj, when, meta_fields):
                hit = True
        if len(fast) == len(wanted):
            return [], hit
        return [q for q in wanted if fast_start[q] is None], hit

    def results(self) -> list[list[dict[str, Any]]]:
        with _no_cyclic_gc():  # the rows of every group are made while all of them are still held
            return [q.finish() for q in self.queries]


# --- screening lines (in this process or in workers) ----------------------------------------------------------------

_EVERYONE = "everyone"  # the projection failed: the full decoder judges the line (and reports it when bad)
_RECORDS = "records"    # a `{"Records": [...]}` line: its records are the events


def _screen(lines: Iterable[bytes], prefilter: Prefilter, meta_fields: dict, totals: list[int], progress=None,
            records_line: bytes | tuple = RECORDS_LINE) -> Iterator[tuple]:
    """`(number, blank, line, wanted)` for each line some query may want, where `blank` counts the lines before
    it (and itself, for a Records line: one that starts with `records_line`) that are not events. `totals` ends
    as [lines, blanks]."""
    decode = prefilter.decode
    wanted_by = prefilter.wanted
    blank = 0
    number = 0
    try:
        for number, line in enumerate(lines, 1):
            if progress is not None and not number & 0x3FFF:
                progress(number, blank)
            if line.isascii():
                try:
                    wanted = wanted_by(decode(line), meta_fields)
                except (msgspec.ValidationError, msgspec.DecodeError):
                    if not line.strip():
                        blank += 1  # a blank line is not an event
                        continue
                    wanted = _EVERYONE
                else:
                    if line.startswith(records_line):
                        blank += 1
                        yield number, blank, line, _RECORDS
                        continue
                    if not wanted:
                        continue
            elif not line.strip():
                blank += 1
                continue
            elif line.startswith(records_line):  # an S3 object with non-ASCII text in it
                blank += 1
                yield number, blank, line, _RECORDS
                continue
            else:
                wanted = _EVERYONE
            yield number, blank, line, wanted
    finally:
        totals[0], totals[1] = number, blank


def _read(events: EventFile) -> Iterator[bytes]:
    """The file's lines, with an error reading them said as the file's read error. Only reading is covered: an
    error raised by what consumes the lines (a sink writing rows out, say) is that code's own."""
    try:
        yield from events.lines()
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise events.read_error(err) from None


class _WorkerReadError(Exception):
    """In a worker: the range could not be read (sent to the parent as a read error)."""


class _RangeFile(io.RawIOBase):
    """Bytes `start` to `end` of an open file, as a raw file of their own: a BufferedReader over it gives the range's
    lines at the speed of a plain file's. Reading the whole range into one bytes object first costs more than its
    lines do (a fresh 8 MB of memory each range), and cuts nothing: no line crosses a range's end."""

    def __init__(self, descriptor: int, start: int, end: int):
        self.descriptor, self.position, self.end = descriptor, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self.end - self.position)
        if wanted <= 0:
            return 0
        try:  # straight into the reader's buffer: no megabyte of fresh memory per read
            count = os.preadv(self.descriptor, [memoryview(buffer)[:wanted]], self.position)
        except OSError as err:
            raise _WorkerReadError(err) from None
        if not count:
            raise _WorkerReadError(f"the file ended {self.end - self.position} bytes early (was it truncated?)")
        self.position += count
        return count


def _line_ranges(path, jobs: int, range_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges of `path` that start at line starts: at least four per worker, so that they finish close together,
    and about `range_bytes` each, so that what is in flight stays small."""
    size = path.stat().st_size
    pieces = max(jobs * 4, size // range_bytes)
    cuts = [0]
    with open(path, "rb") as handle:
        for k in range(1, pieces):
            if size * k // pieces == 0:  # a file of a few bytes: nothing to cut before its first byte
                continue
            handle.seek(size * k // pieces - 1)
            handle.readline()  # to the start of the next line (a cut on a line start stays there)
            at = handle.tell()
            if cuts[-1] < at < size:
                cuts.append(at)
    cuts.append(size)
    return list(zip(cuts, cuts[1:]))


def _load_lookup_data(queries: list[CompiledQuery]) -> None:
    """Load the packaged geo dataset here, once, before the workers are forked: they share it then, instead of
    each loading its own copy on first use (a sixth of a second each, as long as a small file takes)."""
    if any(isinstance(stage, ast.Lookup) and stage.source.lower() in GEO_SOURCES for q in queries for stage in q.query.stages):
        default_provider().lookup("8.8.8.8")


def _worker(runner: Runner, pieces: list[tuple[Path, int | None, int | None]], sender) -> None:
    """A worker process's life: the parts of its pieces, in order, down `sender`. What goes wrong goes down it
    too: a file that cannot be read, as the parent would say it; anything else (a bug), as the exception
    itself with its traceback, for the parent to raise."""
    try:
        for path, start, end in pieces:
            sender.send(("part", _evaluate_piece(runner, path, start, end)))
    except _WorkerReadError as err:
        sender.send(("read-error", f"cannot read: {err}"))
    except EventReadError as err:
        sender.send(("read-error", err.message))
    except KeyboardInterrupt:
        pass  # Ctrl-C reached the whole process group: the parent stops and says so
    except BaseException as err:
        trace = traceback.format_exc()
        try:
            sender.send(("error", err, trace))
        except Exception:  # the exception does not pickle: its traceback still tells
            sender.send(("error", None, trace))
    finally:
        sender.close()


def _evaluate_piece(runner: Runner, path: Path, start: int | None, end: int | None) -> tuple:
    """In a worker: run every query over one piece (a byte range of a file, or a whole file when `start` is None),
    from a fresh state. Returns the piece's line count (of a range), its events, matched events, streamed rows and
    bad lines in order, and each query's part."""
    out: list[tuple[int, Any]] = []
    runner.summary = RunSummary()
    runner.strict = False  # the parent decides, when it reaches the bad line in input order
    runner.progress = None
    runner.on_bad_line = lambda bad: out.append((-1, bad))
    for index, query in enumerate(runner.queries):
        query.reset()
        if query.sink is not None:
            query.sink = lambda row, index=index: out.append((index, row))
    if start is None:
        with EventFile(path) as events:
            for _ in runner._one_file_steps(events):
                pass
        lines, events = 0, runner.summary.events
    else:
        lines, events = _evaluate_range(runner, path, start, end)
    return lines, events, runner.summary.matched, out, [export_query(q) for q in runner.queries]


def _evaluate_range(runner: Runner, path: Path, start: int, end: int) -> tuple[int, int]:
    """The lines from byte `start` to `end` of a plain JSONL file through the screen and the queries: (lines,
    events)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError as err:
        raise _WorkerReadError(err) from None
    totals = [0, 0]
    try:
        lines = io.BufferedReader(_RangeFile(descriptor, start, end), READ_BUFFER)
        for _ in runner._lines_steps(lines, str(path), totals=totals):
            pass
    finally:
        os.close(descriptor)
    return totals[0], runner.summary.events
