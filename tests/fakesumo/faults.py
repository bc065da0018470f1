"""Switchable faults: each request draws at most one, from a seeded random generator."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

KINDS = ("429", "5xx", "reset", "lost-response", "slow")


@dataclass
class Faults:
    """Probabilities (0..1) per request of: a 429 refusal, a 5xx before anything is applied, a connection
    reset before anything is applied, a response lost after the change was committed, a slow answer."""

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    reset: float = 0.0
    lost_response: float = 0.0
    slow: float = 0.0
    slow_s: float = 0.2
    # Retry-After on 429s: "always", "never" or "sometimes" (half of them). Sumo does not document it.
    retry_after: str = "sometimes"
    retry_after_s: int = 0
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        if self.rate_429 + self.rate_5xx + self.reset + self.lost_response + self.slow > 1:
            raise ValueError("fault probabilities add up to more than 100%")

    @classmethod
    def parse(cls, text: str, seed: int | None = None, **kw) -> Faults:
        """`"429=20%,5xx=10%,reset=5%,lost-response=5%"` (percent sign optional; `0.2` also works)."""
        names = {"429": "rate_429", "5xx": "rate_5xx", "reset": "reset", "lost-response": "lost_response",
                 "lost": "lost_response", "slow": "slow"}
        values = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            m = re.fullmatch(r"([\w-]+)\s*=\s*([\d.]+)\s*(%?)", part)
            if not m or m.group(1) not in names:
                raise ValueError(f"bad fault {part!r}; use e.g. 429=20%,5xx=10%,reset=5%,lost-response=5%,slow=5%")
            value = float(m.group(2))
            values[names[m.group(1)]] = value / 100 if m.group(3) or value > 1 else value
        return cls(seed=seed, **values, **kw)

    def draw(self) -> str | None:
        with self._lock:
            u = self._rng.random()
            for kind, p in (("429", self.rate_429), ("5xx", self.rate_5xx), ("reset", self.reset),
                            ("lost-response", self.lost_response), ("slow", self.slow)):
                if u < p:
                    return kind
                u -= p
            return None

    def choice(self, options):
        with self._lock:
            return self._rng.choice(options)

    def send_retry_after(self) -> bool:
        if self.retry_after == "always":
            return True
        if self.retry_after == "never":
            return False
        with self._lock:
            return self._rng.random() < 0.5
