"""Result rows as `sumoctl eval` prints them: values as Sumo displays them, without the bulky or internal fields
(the whole message is in the event file already)."""

from __future__ import annotations

from typing import Any

from sumoctl.engine.values import display

HIDDEN = frozenset({"_raw", "raw", "_size", "_receipttime", "_source", "_collector", "_sourcehost", "_sourcename", "_sourcecategory"})

# The engine measures `_size` of a streamed row by decoding its line a second time; rows printed here never show
# it, so a run whose rows are only printed can spare it (Runner's `sized_rows`).
NEEDS_SIZE = "_size" not in HIDDEN


def printable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: display(v) for k, v in row.items() if k.casefold() not in HIDDEN}
