"""`_messageTime` of the many messages of a run, cheaply.

A trail's `eventTime` is `YYYY-MM-DDTHH:MM:SSZ`, and a file holds a few days of events: each hour is parsed
once (by `parse_timestamp`) and remembered, and a message's time is its hour plus its minutes and seconds:
exactly what `parse_timestamp` gives for it. Every other form of time goes to `parse_timestamp` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sumoctl.events.message import message_time_rule, parse_timestamp

HOURS_LIMIT = 100_000  # remembered hours (11 years of them); beyond it, parse_timestamp parses each time

_hours: dict[str, int] = {}  # "2024-05-06T13" -> epoch ms of that hour


# "MM:SS" -> its ms, for every valid minute and second: one lookup checks and converts both.
_CLOCKS = {f"{m:02d}:{s:02d}": m * 60_000 + s * 1000 for m in range(60) for s in range(60)}


def _clock(text: str) -> int | None:
    """The minutes and seconds of `YYYY-MM-DDTHH:MM:SSZ` in ms (None for any other form)."""
    if len(text) == 20 and text[13] == ":" and text[19] == "Z":
        return _CLOCKS.get(text[14:19])
    return None


def timestamp(text: str) -> int | None:
    """`parse_timestamp(text)`."""
    clock = _clock(text)
    if clock is not None:
        hour = _hours.get(text[:13])
        if hour is not None:
            return hour + clock
    parsed = parse_timestamp(text)
    if parsed is not None and clock is not None:
        head = text[:13]
        if head[10] == "T" and head[11:].isascii() and head[11:].isdigit() and len(_hours) < HOURS_LIMIT:
            _hours[head] = parsed - clock
    return parsed


# `message_time` of a record's `eventTime` and `@timestamp` values, and of a record: its rule, read by `timestamp`.
event_time, record_time = message_time_rule(timestamp)


def remembered_time_reader(attribute: str, otherwise: Callable[[Any], int | None]) -> Callable[[Any], int | None]:
    """`otherwise(obj)`, for objects whose `attribute` holds the event time, in one call when that is a trail's
    `YYYY-MM-DDTHH:MM:SSZ` of a remembered hour (most events of a run): `timestamp`'s own first case, without the
    five calls on the way to it. Generated, so that the attribute is read as `obj.<attribute>`."""
    if not attribute.isidentifier():
        raise ValueError(f"not an attribute name: {attribute!r}")
    source = (
        "def read(obj):\n"
        f"    text = obj.{attribute}\n"
        "    if text.__class__ is str and len(text) == 20 and text[13] == ':' and text[19] == 'Z':\n"
        "        clock = CLOCKS.get(text[14:19])\n"
        "        if clock is not None:\n"
        "            hour = HOURS.get(text[:13])\n"
        "            if hour is not None:\n"
        "                return hour + clock\n"
        "    return otherwise(obj)\n"
    )
    namespace = {"CLOCKS": _CLOCKS, "HOURS": _hours, "otherwise": otherwise}
    exec(compile(source, "<event time>", "exec"), namespace)
    return namespace["read"]
