"""The fake's data: what a Sumo org holds. Tests may read and edit it directly (as the UI would)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.fakesumo.common import USER_ID, now_rfc3339

PERSONAL_EMAIL = "sumoctl-tests@example.com"


@dataclass
class SearchOutcome:
    """What a search job finds for a query. `error` makes the job report a query error."""

    messages: list[dict[str, str]] = field(default_factory=list)
    records: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    polls_until_done: int = 2


@dataclass
class SearchJob:
    id: str
    query: str
    outcome: SearchOutcome
    cookie: str
    polls: int = 0
    error_reported: bool = False
    deleted: bool = False
    cancelled: bool = False  # left unpolled for longer than `FakeState.search_job_idle_s`
    last_seen: float = field(default_factory=time.monotonic)


class FakeState:
    """Monitors library, connections, log searches, content folders and search jobs of one fake org."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._next_id = 0x0000000000A1B000
        self.monitors: dict[str, dict[str, Any]] = {}      # id -> stored response (folders without children)
        self.connections: dict[str, dict[str, Any]] = {}   # id -> stored definition incl. real header values
        self.log_searches: dict[str, dict[str, Any]] = {}
        self.content: dict[str, dict[str, Any]] = {}       # id -> content folder
        self.search_jobs: dict[str, SearchJob] = {}
        # query text -> outcome; `search_outcome` decides for queries not listed
        self.search_outcomes: dict[str, SearchOutcome] = {}
        self.search_outcome: Callable[[str], SearchOutcome] = default_search_outcome
        # Sumo cancels a job nobody has asked about for 20-30 s (sumo-api.md §5).
        self.search_job_idle_s = 30.0
        self.monitor_root_id = self.new_id()
        stamp = now_rfc3339()
        self.monitors[self.monitor_root_id] = {
            "id": self.monitor_root_id, "name": "Monitor", "description": "Root folder", "version": 0,
            "createdAt": stamp, "createdBy": USER_ID, "modifiedAt": stamp, "modifiedBy": USER_ID,
            "parentId": "0000000000000000", "contentType": "Folder", "type": "MonitorsLibraryFolderResponse",
            "isSystem": True, "isMutable": False, "isLocked": False, "permissions": ["Create", "Read", "Update", "Delete", "Manage"],
        }
        self.library_id = self.new_id()
        self.users_id = self.new_id()
        self.personal_folder_id = self.new_id()
        for fid, name, parent in ((self.library_id, "Library", "0000000000000000"),
                                  (self.users_id, "Users", self.library_id),
                                  (self.personal_folder_id, PERSONAL_EMAIL, self.users_id)):
            self.content[fid] = {"id": fid, "name": name, "description": "", "parentId": parent, "itemType": "Folder",
                                 "createdAt": stamp, "createdBy": USER_ID, "modifiedAt": stamp, "modifiedBy": USER_ID,
                                 "permissions": ["View", "GrantView", "Edit", "GrantEdit", "Manage", "GrantManage"]}

    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return f"{self._next_id:016X}"

    # Conveniences for tests ------------------------------------------------------------------------

    def monitors_named(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.monitors.values() if m["name"] == name]

    def monitors_in(self, folder_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.monitors.values() if m["parentId"] == folder_id]

    def edit_monitor(self, id: str, **changes: Any) -> dict[str, Any]:
        """Change a monitor as a user in the UI would: fields change, version and modifiedAt move."""
        with self.lock:
            m = self.monitors[id]
            m.update(changes)
            m["version"] += 1
            m["modifiedAt"] = now_rfc3339()
            return m


_AGGREGATES = ("count", "sum", "avg", "min", "max", "count_distinct", "pct", "stddev", "first", "last", "top")


def is_aggregate(query: str) -> bool:
    stages = [s.strip().split(" ", 1)[0].split("(", 1)[0].lower() for s in query.split("|")[1:]]
    return any(s in _AGGREGATES for s in stages)


def default_search_outcome(query: str) -> SearchOutcome:
    """Queries nobody registered: a syntax check the fake can do (balanced quotes and parentheses), then
    no results."""
    if query.count('"') % 2 or query.count("(") != query.count(")"):
        return SearchOutcome(error="Parse error: unbalanced quotes or parentheses in the query.")
    return SearchOutcome()
