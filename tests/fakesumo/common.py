"""What every route of the fake shares: the request, the error shape, ids and timestamps."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

USER_ID = "0000000006743FDD"  # createdBy / modifiedBy of everything the fake makes


@dataclass
class Request:
    method: str
    path: str                 # below /api/, e.g. "v1/monitors/root"
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An error answer in Sumo's standard shape `{id, errors:[{code, message}]}`; `flat=True` gives the
    search-job shape `{status, id, code, message}`."""

    def __init__(self, status: int, code: str, message: str, *, flat: bool = False, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.flat = flat
        self.headers = headers or {}

    def response(self, rng: random.Random) -> Response:
        error_id = "-".join("".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(5))
                            for _ in range(3))
        if self.flat:
            body = {"status": self.status, "id": error_id, "code": self.code, "message": self.message}
        else:
            body = {"id": error_id, "errors": [{"code": self.code, "message": self.message}]}
        return Response(self.status, body, dict(self.headers))


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def require(cond: bool, code: str, message: str, status: int = 400) -> None:
    if not cond:
        raise ApiError(status, code, message)


def int_param(req: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = req.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "api.invalid.parameter", f"Parameter {name} must be an integer.") from None
    require(lo <= value <= hi, "api.invalid.parameter", f"Parameter {name} must be between {lo} and {hi}.")
    return value
