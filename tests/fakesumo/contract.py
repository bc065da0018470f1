"""Every exchange with the fake, checked against Sumo's OpenAPI spec (openapi-core).

Rules: every answer the fake gives must match the spec; every request must match it too, except those the
fake itself refused as invalid (tests that probe the fake's validation send such requests on purpose).
Where the spec is known to be incomplete, KNOWN_GAPS says what is skipped and why — nowhere else.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "sumo-api" / "sumologic-openapi.yml"
SPEC_SERVER = "https://api.sumologic.com"

# The one list of the spec's gaps. Each entry: what, how it is handled, why.
KNOWN_GAPS = {
    "search jobs": ("paths under /api/v1/search/jobs are not validated",
                    "the Search Job API is documented only in Sumo's docs, not in the OpenAPI spec (sumo-api.md §5)"),
    "monitor tags": ("`tags` is removed from monitor bodies before validation",
                     "the server stores and returns monitor tags (Terraform provider 2.26.0) but neither spec version has them"),
    "monitor isLocked": ("`isLocked` is removed from monitor responses before validation",
                         "the server returns it (Terraform reads it) but the spec does not list it"),
    "null page token": ("a null `next` (connections) or `token` (log searches) on the last page is removed before validation",
                        "the spec's own parameter text says the token is null when no pages are left, but its schema "
                        "declares a non-nullable string; the fake answers null as the text says"),
}
NULL_TOKEN_PATHS = {"/api/v1/connections": "next", "/api/v1/logSearches": "token"}
SKIPPED_PREFIXES = ("/api/v1/search/jobs",)
SERVED_PATHS = ("/v1/monitors", "/v1/connections", "/v1/logSearches", "/v2/content")
UNSPECIFIED_MONITOR_FIELDS = ("tags", "isLocked")


@functools.cache
def spec_document() -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)


@functools.cache
def openapi():
    """The spec, loaded once per process (1.3 MB of YAML: about two seconds)."""
    from jsonschema_path import SchemaPath
    from openapi_core import Config, OpenAPI

    spec = dict(spec_document())
    # openapi-core finds a request's path by trying every path template; keeping only the families the
    # fake serves makes each check about twice as fast. A request elsewhere is still caught (PathNotFound).
    spec["paths"] = {p: v for p, v in spec["paths"].items() if p.startswith(SERVED_PATHS)}
    # The spec document itself does not pass openapi-spec-validator (an `items` under SCIM `Operations`
    # is malformed, far from anything we use), so the document check is off; the exchanges are checked.
    return OpenAPI(SchemaPath.from_dict(spec), config=Config(spec_validator_cls=None))


def _strip_gaps(path: str, data):
    """Remove what KNOWN_GAPS names: unspecified monitor fields (also nested: children, search items, maps),
    null page tokens."""
    key = NULL_TOKEN_PATHS.get(path)
    if key and isinstance(data, dict) and key in data and data[key] is None:
        data = {k: v for k, v in data.items() if k != key}
    if not path.startswith("/api/v1/monitors"):
        return data

    def walk(node):
        if isinstance(node, dict):
            if node.get("type", "").startswith("MonitorsLibrary") or "contentType" in node:
                for key in UNSPECIFIED_MONITOR_FIELDS:
                    node.pop(key, None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)  # `data` was just parsed from the recorded bytes: changing it in place is safe
    return data


def _body(path: str, raw: bytes) -> bytes:
    if not raw:
        return raw
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    return json.dumps(_strip_gaps(path, data)).encode()


def check_call(call) -> list[str]:
    """Problems with one exchange (empty when it conforms)."""
    from openapi_core.testing import MockRequest, MockResponse
    from werkzeug.datastructures import ImmutableMultiDict

    if call.path.startswith(SKIPPED_PREFIXES):
        return []
    api = openapi()
    headers = {k: v for k, v in call.request_headers.items()}
    if "Authorization" in headers or "authorization" in headers:
        headers["Authorization"] = "Basic c2Vuc2l0aXZl"
    request = MockRequest(SPEC_SERVER, call.method.lower(), call.path, args=ImmutableMultiDict(call.query),
                          headers=headers, data=_body(call.path, call.request_body) or None,
                          content_type=call.request_headers.get("Content-Type", "application/json"))
    where = f"{call.method} {call.path}{'?' + '&'.join(f'{k}={v}' for k, v in call.query) if call.query else ''}"
    problems = []
    if not call.validation_refusal:
        try:
            api.validate_request(request)
        except Exception as exc:  # openapi-core raises a family of validation errors
            problems.append(f"request {where}: {_describe(exc)}")
    if call.status is not None:
        response = MockResponse(_body(call.path, call.response_body), status_code=call.status,
                                headers=call.response_headers,
                                content_type=call.response_headers.get("Content-Type", "application/json"))
        try:
            api.validate_response(request, response)
        except Exception as exc:
            if call.validation_refusal and type(exc).__name__ in ("PathNotFound", "OperationNotFound"):
                # A request to a route the spec does not have: the refusal must still be a standard error.
                problems += [f"response {call.status} to {where}: {p}" for p in _error_body_problems(call.response_body)]
            else:
                problems.append(f"response {call.status} to {where}: {_describe(exc)}")
    return problems


def _error_body_problems(raw: bytes) -> list[str]:
    from openapi_schema_validator import OAS30Validator

    schema = {"$ref": "#/components/schemas/ErrorResponse", "components": spec_document()["components"]}
    try:
        body = json.loads(raw)
    except ValueError:
        return ["the body is not JSON"]
    return [e.message for e in OAS30Validator(schema).iter_errors(body)]


def _describe(exc: Exception) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__
    while cause is not None:
        details = getattr(cause, "schema_errors", None)
        if details:
            parts.extend(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in details[:5])
        else:
            parts.append(str(cause))
        cause = cause.__cause__
    return " <- ".join(parts)


def assert_calls_conform(calls) -> None:
    problems = [p for call in list(calls) for p in check_call(call)]
    if problems:
        raise AssertionError(f"{len(problems)} exchange(s) break the OpenAPI contract:\n" + "\n".join(problems[:20]))
