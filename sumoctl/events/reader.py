"""Finding and reading CloudTrail files: JSONL, `{"Records": [...]}` (the S3 delivery format), JSON arrays,
`.gz` of any of these, and folders walked recursively (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`).

JSONL lines are handed on undecoded (`RawEvent.data`): the engine decides per line whether it needs the
whole record at all. One JSON decoder, msgspec's, is the authority on what a valid record is, so that a line
the engine skips undecoded and a line it decodes are judged by the same rules.
"""

from __future__ import annotations

import gzip
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import msgspec
from isal import igzip

from sumoctl.errors import SumoctlError
from sumoctl.events.message import RawEvent

_DECODER = msgspec.json.Decoder()
_NOT_READ = object()
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(_DECODER.decode(line), dict)
    except msgspec.DecodeError:
        return False

# A file is a document (not JSONL) when its first line alone is not a whole JSON value, or is an array or
# a `{"Records": [...]}` object. Documents are decoded whole; CloudTrail's S3 objects are a few MB at most.
_EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".gz")


class EventReadError(SumoctlError):
    """A file that cannot be read at all (missing, unreadable, not gzip)."""


@dataclass(frozen=True)
class BadLine:
    """A record that is not a JSON object: reported with its place and skipped (fatal under --strict)."""

    origin: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}:{self.line}: {self.reason}"


def iter_records(paths: Iterable[str | Path], on_bad_line: Callable[[BadLine], None]) -> Iterator[tuple[RawEvent, dict[str, Any]]]:
    """Every record decoded, with bad lines reported to `on_bad_line` and skipped."""
    for event in read_events(paths, on_bad_line):
        if event.record is not None:
            yield event, event.record
            continue
        try:
            yield event, decode_record(event.data)
        except ValueError as err:
            on_bad_line(BadLine(event.origin, event.line, str(err)))


def decode_record(data: bytes) -> dict[str, Any]:
    """Decode one JSONL line into a record; raise ValueError with a short reason when it is not a JSON object."""
    try:
        value = _DECODER.decode(data)
    except msgspec.DecodeError as err:
        raise ValueError(f"not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object (a CloudTrail record), got {type(value).__name__}")
    return value


# Beside its logs, a trail with log file validation delivers hourly digest files (AWSLogs/<account>/CloudTrail-Digest/
# ..., named <account>_CloudTrail-Digest_...json.gz): hashes and signatures, not events. A folder walk leaves them
# out, as a Sumo source reading AWSLogs/*/CloudTrail/ never sees them; a digest named on its own is read as given.
_DIGESTS = "CloudTrail-Digest"


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every event file named or found under a named folder, folders walked in sorted order."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d != _DIGESTS)
                for name in sorted(files):
                    if (name.endswith(_EVENT_SUFFIXES) and not name.endswith(".index.jsonl")
                            and f"_{_DIGESTS}_" not in name):
                        yield Path(root) / name
        elif path.is_file():
            yield path
        else:
            raise EventReadError("no such file or folder", str(given))


# Event files are read a megabyte at a time: with the default 8 KB, the read calls cost more than splitting the
# lines does (0.7 us a line of a trail against 0.3 us, bench/engine_throughput.py's lines of 1.2 KB).
READ_BUFFER = 1 << 20


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        # ISA-L inflates CloudTrail's objects three times as fast as zlib (1.3 GB/s against 0.4 here): gunzip
        # was 3 us of each record, as much as decoding it. Same file object and errors as the gzip module's.
        return igzip.open(path, "rb")
    return open(path, "rb", buffering=READ_BUFFER)


class _LookupEvent(msgspec.Struct):
    """An entry of `aws cloudtrail lookup-events` output: the record is the JSON text in `CloudTrailEvent`."""

    CloudTrailEvent: str | msgspec.UnsetType = msgspec.UNSET


class _Delivery(msgspec.Struct):
    """CloudTrail's S3 delivery format, `{"Records": [...]}`, each record's JSON text left undecoded; or the
    output of `aws cloudtrail lookup-events`, `{"Events": [{"CloudTrailEvent": "<record as JSON>", ...}]}`."""

    Records: list[msgspec.Raw] | msgspec.UnsetType = msgspec.UNSET
    Events: list[_LookupEvent] | msgspec.UnsetType = msgspec.UNSET
    eventName: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET  # set: a record that happens to have such a key


_RECORD_TEXTS = msgspec.json.Decoder(list[msgspec.Raw] | _Delivery)
_WHOLE = msgspec.json.Decoder(msgspec.Raw)  # validates one JSON value, building nothing


def record_texts(document: bytes) -> list[bytes] | None:
    """The JSON text of each record of a CloudTrail document (`{"Records": [...]}`, a JSON array, or
    `lookup-events` output), in order and undecoded: the engine screens them as it screens JSONL lines. None when
    the document is a single record. Raises msgspec.DecodeError when it is not valid JSON."""
    try:
        value = _RECORD_TEXTS.decode(document)
    except msgspec.ValidationError:
        return None  # valid JSON of another shape: a scalar, or an object whose "Records" is not an array
    if isinstance(value, list):
        return [bytes(text) for text in value]
    if value.eventName is not msgspec.UNSET:
        return None
    if value.Records is not msgspec.UNSET:
        return [bytes(text) for text in value.Records]
    if value.Events is not msgspec.UNSET:
        # An entry without its record says so as a record that is not an object would (null).
        return [b"null" if e.CloudTrailEvent is msgspec.UNSET else e.CloudTrailEvent.encode() for e in value.Events]
    return None


class EventFile:
    """One opened event file: JSONL (`lines()` gives its raw lines, 1-based, unstripped) or a JSON document
    (`records()`)."""

    def __init__(self, path: Path, display: str | None = None):
        self.path = path
        self.origin = display or str(path)
        try:
            self._handle = _open(path)
            self._first = self._handle.readline()
        except (OSError, EOFError, gzip.BadGzipFile) as err:
            raise EventReadError(f"cannot read: {err}", self.origin) from None
        self._buffered: list[bytes] | None = None
        self._document: Any = _NOT_READ
        self.texts: list[bytes] | None = None  # a document's records, undecoded (see `record_texts`)
        # `.jsonl` / `.ndjson` say what they are; anything else (`.json`, as S3 delivers CloudTrail) is sniffed.
        self.jsonl = path.name.endswith(_JSONL_SUFFIXES) or not _starts_document(self._first)
        if not self.jsonl:
            self._read_whole()

    def _read_whole(self) -> None:
        """A document is decoded whole. When that fails but its later lines are JSON objects, it was JSONL
        with a broken first line after all, and is read line by line so each bad line is reported."""
        try:
            text = self._first + self._handle.read()
        except (OSError, EOFError, gzip.BadGzipFile) as err:
            raise EventReadError(f"cannot read: {err}", self.origin) from None
        try:
            self.texts = record_texts(text)
            if self.texts is None:
                self._document = _DECODER.decode(text)
            return
        except msgspec.DecodeError as err:
            self._document_error = f"not a valid JSON document: {err}"
        lines = text.splitlines(keepends=True)
        if len(lines) == 1 or any(_is_object(line) for line in lines[1:6]):
            self.jsonl = True
            self._buffered = lines

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "EventFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lines(self) -> Iterator[bytes]:
        """The raw lines (unstripped). A read error past the first line surfaces as EventReadError from the
        caller's loop (see `read_error`)."""
        if self._buffered is not None:
            return iter(self._buffered)
        return itertools.chain((self._first,), self._handle)

    def read_error(self, err: Exception) -> EventReadError:
        return EventReadError(f"cannot read: {err}", self.origin)

    def _document_records(self, on_bad_line: Callable[[BadLine], None]) -> Iterator[RawEvent]:
        """A document's records, numbered from 1, undecoded as JSONL lines are (a single record: decoded)."""
        if self.texts is not None:
            for index, text in enumerate(self.texts, 1):
                yield RawEvent(self.origin, index, text)
        elif self._document is _NOT_READ:
            on_bad_line(BadLine(self.origin, 1, self._document_error))
        elif isinstance(self._document, dict):
            yield RawEvent(self.origin, 1, record=self._document)
        else:
            on_bad_line(BadLine(self.origin, 1, "record is not a JSON object"))

    def records(self, on_bad_line: Callable[[BadLine], None]) -> Iterator[RawEvent]:
        """Every record, as RawEvents (JSONL lines undecoded)."""
        if not self.jsonl:
            yield from self._document_records(on_bad_line)
            return
        try:
            yield from self._records_of_lines(on_bad_line)
        except (OSError, EOFError, gzip.BadGzipFile) as err:
            raise self.read_error(err) from None

    def _records_of_lines(self, on_bad_line: Callable[[BadLine], None]) -> Iterator[RawEvent]:
        for number, line in enumerate(self.lines(), 1):
            data = line.strip()
            if not data:
                continue
            if data.startswith(RECORDS_LINE):
                # A whole S3 object on one line (some exporters write them so).
                yield from records_on_one_line(data, self.origin, number, on_bad_line)
            else:
                yield RawEvent(self.origin, number, data)


RECORDS_LINE = b'{"Records":'


def read_file(path: Path, on_bad_line: Callable[[BadLine], None], display: str | None = None) -> Iterator[RawEvent]:
    """The records of one file, streaming for JSONL. Bad documents go to `on_bad_line`; JSONL lines are
    passed on undecoded (see `decode_record`)."""
    with EventFile(path, display) as events:
        yield from events.records(on_bad_line)


def content_size(path: Path) -> int:
    """The bytes of events in `path`: its size, or for a gzip file what it holds, from the gzip trailer (the
    size of the last member, modulo 4 GiB: enough to weigh work; CloudTrail writes one member)."""
    size = path.stat().st_size
    if path.suffix != ".gz" or size < 18:  # 18: the smallest gzip file
        return size
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return max(size, int.from_bytes(handle.read(4), "little"))


def is_plain_jsonl(path: Path) -> bool:
    """Whether `path` is JSONL and not gzipped, so that reading may start at any line start."""
    if path.suffix == ".gz":
        return False
    if path.name.endswith(_JSONL_SUFFIXES):
        return True
    with open(path, "rb") as handle:
        return not _starts_document(handle.readline())


def _starts_document(first: bytes) -> bool:
    head = first.lstrip()
    if head[:1] == b"[":
        return True
    if head[:1] != b"{":
        return False
    try:
        if head[:11] == b'{"Records":':
            # A whole S3 object on one line is a Records line of JSONL: only check that it is whole, without
            # copying out its records (the line may be a whole trail).
            _WHOLE.decode(first)
            return False
        return record_texts(first) is not None
    except msgspec.DecodeError:
        return True  # a pretty-printed object spans lines


def records_on_one_line(data: bytes, origin: str, number: int, on_bad_line) -> Iterator[RawEvent]:
    """The records of a whole S3 object written on one line, undecoded, all at that line's number."""
    try:
        texts = record_texts(data)
    except msgspec.DecodeError as err:
        on_bad_line(BadLine(origin, number, f"not valid JSON: {err}"))
        return
    for text in [data] if texts is None else texts:
        yield RawEvent(origin, number, text)


def read_events(paths: Iterable[str | Path], on_bad_line: Callable[[BadLine], None] | None = None) -> Iterator[RawEvent]:
    """Every record of every file under `paths`, in order, streaming. JSONL lines come undecoded (the engine
    decodes and validates them); a bad JSON document goes to `on_bad_line` (default: ignored). An unreadable
    file raises EventReadError."""
    report = on_bad_line or (lambda bad: None)
    for path in iter_files(paths):
        yield from read_file(path, report)
