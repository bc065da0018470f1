"""Sumo's value model offline: nearly everything is a string; numbers appear where arithmetic, aggregates or a
cast make them; null is a field that a `nodrop` parse, a lookup or a missing key left unset.

`display` is how Sumo prints a value in a result row: strings as they are, numbers without a trailing `.0`,
booleans as `true`/`false`, nested JSON compact.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

Value = Any  # str | int | float | bool | None


def to_number(value: Value) -> int | float | None:
    """The implicit cast Sumo applies where a number is needed; None when the value is not numeric."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


def display(value: Value) -> str | None:
    """A value as Sumo prints it in a result row; None stays None (the caller decides how to show null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return orjson.dumps(value).decode("utf-8")


# What `json` puts in a field for one JSON value (a string's text, numbers and booleans as text, nested objects
# and arrays as compact JSON text in their key order, JSON null as null) is exactly how Sumo prints a value.
json_value = display


def truth(value: Value) -> bool:
    """A value used as a condition (`where is_public`): booleans as they are, "true"/"false" strings, non-zero
    numbers; null is false."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().lower() == "true"
    if isinstance(value, (int, float)):
        return value != 0
    return False
