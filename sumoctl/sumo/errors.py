"""Typed errors of the Sumo Logic API, parsed from both of its error body shapes."""

from __future__ import annotations

from typing import Any

from sumoctl.errors import SumoctlError

# Codes Sumo uses when a body gives none, by HTTP status (sumo-api.md §1.5).
GENERIC_CODES = {
    301: "moved", 401: "unauthorized", 403: "forbidden", 404: "notfound", 405: "method.unsupported",
    415: "contenttype.invalid", 429: "rate.limit.exceeded", 500: "internal.error", 503: "service.unavailable",
}


class SumoApiError(SumoctlError):
    """An error answer of the Sumo Logic API (or no answer at all: `status` is None)."""

    def __init__(self, status: int | None, code: str, message: str, request_id: str | None = None,
                 *, method: str | None = None, path: str | None = None, detail: str | None = None):
        super().__init__(message)  # SumoctlError's `path` is a file location; ours is `api_path`
        self.status = status
        self.code = code
        self.request_id = request_id
        self.method = method
        self.api_path = path
        self.detail = detail
        self.retry_after: float | None = None

    @property
    def unknown_outcome(self) -> bool:
        """True when the server may or may not have applied the request (timeout, reset, 5xx)."""
        return self.status is None or self.status >= 500

    def __str__(self) -> str:
        what = f"{self.method} {self.api_path}: " if self.method else ""
        status = f"HTTP {self.status} " if self.status is not None else ""
        rid = f" (error id {self.request_id})" if self.request_id else ""
        return f"Sumo Logic API {what}{status}{self.code}: {self.message}{rid}"

    def __repr__(self) -> str:
        return (f"SumoApiError(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
                f"request_id={self.request_id!r})")


class SumoConnectionError(SumoApiError):
    """No usable answer: connection refused or reset, timeout, or a body that is not JSON."""

    def __init__(self, message: str, *, method: str | None = None, path: str | None = None, code: str = "connection.error"):
        super().__init__(None, code, message, None, method=method, path=path)


def error_from_body(status: int, body: Any, *, method: str, path: str, redact=lambda s: s) -> SumoApiError:
    """Map an error body to SumoApiError. Standard: `{id, errors:[{code,message,detail}]}`;
    search jobs (legacy): `{status, id, code, message}`."""
    code = GENERIC_CODES.get(status, f"http.{status}")
    message = ""
    request_id = None
    detail = None
    if isinstance(body, dict):
        request_id = body.get("id") if isinstance(body.get("id"), str) else None
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            code = str(first.get("code") or code)
            message = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
            detail = first.get("detail")
        elif "code" in body:
            code = str(body["code"])
            message = str(body.get("message", ""))
    if not message:
        message = f"HTTP {status}"
    return SumoApiError(status, code, redact(message), request_id, method=method, path=path,
                        detail=redact(detail) if isinstance(detail, str) else None)
