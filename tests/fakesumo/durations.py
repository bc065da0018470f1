"""How Sumo rewrites durations on read: `60m` -> `1h`, `-15m` kept negative for trigger time ranges."""

from __future__ import annotations

import re

_UNITS = [("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]
_SECONDS = dict(_UNITS)
_DURATION = re.compile(r"^([+-]?)(\d+)([smhdw])$")


def seconds(value: str) -> int | None:
    m = _DURATION.match(value.strip())
    if not m:
        return None
    sign = -1 if m.group(1) == "-" else 1
    return sign * int(m.group(2)) * _SECONDS[m.group(3)]


def canonical(value: str, *, negative: bool | None = None) -> str:
    """The largest whole unit: `60m` -> `1h`, `90m` -> `90m`. `negative=True` forces a leading `-`
    (trigger time ranges come back negative whatever the sign sent); None keeps the sign."""
    secs = seconds(value)
    if secs is None:
        return value
    sign = "-" if (secs < 0 if negative is None else negative) else ""
    secs = abs(secs)
    if secs == 0:
        return "0m"
    for unit, size in _UNITS:
        if secs % size == 0:
            return f"{sign}{secs // size}{unit}"
    return value
