"""Keeps secrets (access key, auth header values, webhook URLs) out of errors and logs."""

from __future__ import annotations

import threading

from sumoctl.sumo.credentials import REDACTED

# Short strings would redact ordinary words; no real secret is this short.
_MIN_SECRET_LEN = 6


class Redactor:
    """Replaces every registered secret in a text with `(sensitive)`."""

    def __init__(self, secrets=()):
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= _MIN_SECRET_LEN:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            if s in text:
                text = text.replace(s, REDACTED)
        return text
