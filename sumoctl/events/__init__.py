"""Reading CloudTrail records into Sumo messages.

Public API: :func:`read_events` (records from files and folders, streaming), :class:`RawEvent` (one record
as read, its JSON not yet decoded), :class:`Metadata` (the `_sourceCategory`, `_source`, `_collector` a
CloudTrail source would stamp), :class:`BadLine` (a record that could not be read, with file and line).
"""

from sumoctl.events.message import Metadata, RawEvent, compact_raw, message_time
from sumoctl.events.reader import BadLine, EventFile, EventReadError, decode_record, iter_files, iter_records, read_events

__all__ = [
    "BadLine",
    "EventFile",
    "EventReadError",
    "decode_record",
    "iter_records",
    "Metadata",
    "RawEvent",
    "compact_raw",
    "iter_files",
    "message_time",
    "read_events",
]
