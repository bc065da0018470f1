"""Times a user types for a search: `now`, relative `-24h` / `-1d12h` / `-30m`, ISO 8601, epoch ms."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sumoctl.errors import SumoctlError

_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RELATIVE = re.compile(r"^-((?:\d+[smhdw])+)$")


def parse_time(text: str, now: datetime, *, option: str = "time") -> datetime:
    """A timezone-aware datetime. Naive ISO times are UTC."""
    value = text.strip()
    if value.lower() == "now":
        return now
    m = _RELATIVE.match(value)
    if m:
        delta = timedelta()
        for amount, unit in re.findall(r"(\d+)([smhdw])", m.group(1)):
            delta += timedelta(**{_UNIT[unit]: int(amount)})
        return now - delta
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SumoctlError(f"{option}: {text!r} is not a time; use now, -24h, -7d, -1d12h, "
                           "2026-11-01T00:00:00Z or epoch milliseconds") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
