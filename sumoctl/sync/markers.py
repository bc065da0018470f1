"""The marker every managed object carries: which environment and detection it belongs to, and a digest of what
sumoctl last applied (the whole object, and each managed field on its own).

Sync is stateless: the marker is the state. Comparing the remote object with the digests tells a hand edit
(remote != last applied) from a pending change in the repository (desired != last applied), and names the field.

Monitors carry the marker as tags; connections and log searches, which have no tags, as the last line of their
description. Secrets (webhook URL, authorization header values) enter the digests only through a salted hash, of
which the marker keeps 24 bits: enough to notice that a secret changed, too little to test guesses against.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from urllib.parse import quote, unquote
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MARKER_VERSION = "v1"
TAG_MANAGED = "sumoctl"        # value: <environment>/<detection id or connection name>
TAG_STATE = "sumoctl-state"    # value: v1.<one digest per managed field>
FIELD_DIGEST_HEX = 6  # per field: a hand edit goes unnoticed with odds of 1 in 16 million
_LINE = re.compile(r"\n*\[sumoctl (?P<owner>[^\s\]]+) (?P<state>v1\.[0-9a-f]*)\]\s*$")


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint_salt(environment: str) -> str:
    """The salt of an environment's secret fingerprints. It must be the same for every user of the environment
    (a key of one user's would show every secret as changed to the next user), so it is public: the protection
    is that markers keep only FIELD_DIGEST_HEX hex digits of the salted digest."""
    return f"sumoctl/{environment}"


def secret_fingerprint(value: Any, salt: str) -> str:
    """A salted digest of a secret: equal secrets give equal fingerprints."""
    return hmac.new(salt.encode(), _canonical_json(value), hashlib.sha256).hexdigest()


def field_digest(value: Any) -> str:
    return hashlib.sha256(_canonical_json(value)).hexdigest()[:FIELD_DIGEST_HEX]


@dataclass(frozen=True)
class State:
    """Digests of one object's managed fields, in the fixed field order of its kind."""

    fields: tuple[str, ...]

    @classmethod
    def of(cls, canonical: Mapping[str, Any], order: Sequence[str]) -> State:
        return cls(tuple(field_digest(canonical.get(f)) for f in order))

    def encode(self) -> str:
        return f"{MARKER_VERSION}.{''.join(self.fields)}"

    @classmethod
    def decode(cls, text: str, count: int) -> State | None:
        version, _, digests = text.partition(".")
        if version != MARKER_VERSION or len(digests) != count * FIELD_DIGEST_HEX:
            return None
        n = FIELD_DIGEST_HEX
        return cls(tuple(digests[i:i + n] for i in range(0, len(digests), n)))

    def digest_of(self, order: Sequence[str], name: str) -> str:
        return self.fields[list(order).index(name)]


@dataclass(frozen=True)
class Marker:
    environment: str
    key: str          # detection id, or connection name
    state_text: str   # State.encode(); decoded against the field order of the object's kind

    @property
    def owner(self) -> str:
        return f"{self.environment}/{self.key}"

    def state(self, order: Sequence[str]) -> State | None:
        return State.decode(self.state_text, len(order))

    # -- monitors: tags ------------------------------------------------------------------------------------------

    def tags(self) -> dict[str, str]:
        return {TAG_MANAGED: self.owner, TAG_STATE: self.state_text}

    @classmethod
    def from_tags(cls, tags: Mapping[str, Any] | None) -> Marker | None:
        if not tags or not isinstance(tags.get(TAG_MANAGED), str) or "/" not in tags[TAG_MANAGED]:
            return None
        environment, key = tags[TAG_MANAGED].split("/", 1)
        return cls(environment, key, str(tags.get(TAG_STATE) or ""))

    # -- connections and log searches: the description's last line -------------------------------------------------

    def line(self) -> str:
        # Connection names may hold blanks: the owner is percent-encoded to stay one token.
        return f"[sumoctl {quote(self.owner, safe='/@:+-_.')} {self.state_text}]"

    def describe(self, description: str, limit: int | None = None) -> str:
        """`description` with the marker line appended, cut so that the whole fits in `limit` characters."""
        line = self.line()
        text = fit_description(description, limit, len(line))
        return f"{text}\n\n{line}" if text else line

    @classmethod
    def from_description(cls, description: str | None) -> Marker | None:
        match = _LINE.search(description or "")
        if not match or "/" not in match.group("owner"):
            return None
        environment, key = unquote(match.group("owner")).split("/", 1)
        return cls(environment, key, match.group("state"))


def fit_description(description: str, limit: int | None, marker_length: int) -> str:
    """The user's description, shortened (with an ellipsis) so that it and the marker line fit in `limit`."""
    text = (description or "").strip()
    room = None if limit is None else limit - marker_length - 2
    if room is not None and len(text) > room:
        text = text[: max(0, room - 1)].rstrip() + "…" if room > 1 else ""
    return text


def strip_marker(description: str | None) -> str:
    """The description without its marker line: what a user wrote."""
    return _LINE.sub("", description or "").strip()
