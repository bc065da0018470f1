"""What a CloudTrail source in Sumo Logic makes of one record: the message text and its built-in metadata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson


@dataclass(frozen=True)
class Metadata:
    """The built-in metadata a hosted CloudTrail source stamps on every message it collects.

    Offline there is no collector, so these come from the environment (its `source_category` parameter) or the
    command line. `_sourceName` is set per file (the S3 object a real source would have read).
    """

    source_category: str = "aws/cloudtrail"
    source: str = "aws-cloudtrail"
    collector: str = "sumoctl"
    source_host: str = ""


@dataclass(slots=True)
class RawEvent:
    """One record as read: `data` is the JSON text of a JSONL line (not yet decoded), or `record` is the
    already decoded object of a `{"Records": [...]}` or array file. `line` is 1-based; for records of a
    document file it is the record's 1-based index in that file."""

    origin: str
    line: int
    data: bytes | None = None
    record: dict[str, Any] | None = None


def compact_raw(record: dict[str, Any]) -> str:
    """`_raw` as the CloudTrail source stores it: the record as compact JSON, keys in their original order."""
    return orjson.dumps(record).decode("utf-8")


def message_time(record: dict[str, Any]) -> int | None:
    """`_messageTime` in epoch milliseconds, from `eventTime` (or `@timestamp`, as Logstash-shipped trails
    have it). None when neither parses; Sumo would fall back to the receipt time, which offline does not exist."""
    for key in ("eventTime", "@timestamp"):
        value = record.get(key)
        if isinstance(value, str):
            parsed = parse_timestamp(value)
            if parsed is not None:
                return parsed
    return None


def parse_timestamp(text: str) -> int | None:
    """ISO 8601 (`2020-09-14T01:19:40Z`, with or without fraction or offset) to epoch ms; naive times are UTC."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1000)
