"""When and how long to wait before trying a request again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

# 501 means "not implemented": trying again cannot help.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Backoff:
    """Exponential backoff with jitter, within a total time budget per call."""

    base_s: float = 0.5
    cap_s: float = 30.0
    budget_s: float = 120.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1-based). A Retry-After from the server wins;
        otherwise "equal jitter": half the exponential step fixed, half random, so that clients that
        failed together do not retry together and the wait still grows."""
        if retry_after is not None:
            return max(0.0, retry_after)
        step = min(self.cap_s, self.base_s * (2 ** (attempt - 1)))
        return step / 2 + self.rng.uniform(0, step / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
