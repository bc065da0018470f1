"""Switches for the places where Sumo's behaviour is not documented. Defaults follow the design notes'
recommendations (the README, "Testing detections offline" lists each one); tests pin both settings where they differ."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Semantics:
    # `x = "a"`, `x != "a"`, `x < 5`, `x in (...)`, `x not in (...)`, `x matches ...` on a null x: false when
    # True (the notes' default); when False, null compares as the empty string. `!` / `not` always negates.
    null_comparisons_false: bool = True
    # `json "a", "b"` without nodrop where only some keys exist: drop the message (the UI warning's wording).
    json_drops_on_any_missing_key: bool = True
    # Literal text in anchor patterns (`parse "user=*:"`) matches case-insensitively (the anchor page's example).
    anchor_case_insensitive: bool = True
    # Time zone for `timeslice` buckets and `formatDate` without an explicit zone.
    timezone: str = "UTC"


DEFAULT_SEMANTICS = Semantics()
