"""The fake Sumo Logic HTTP server: auth, content type, rate limiter, faults, routing, and a record of
every exchange for the contract checks."""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.fakesumo import connections, content, log_searches, monitors, search_jobs
from tests.fakesumo.common import ApiError, Request, Response

ROUTES = [(method, re.compile(pattern), handler)
          for module in (monitors, connections, log_searches, content, search_jobs)
          for method, pattern, handler in module.ROUTES]


@dataclass
class Call:
    """One exchange as the fake saw it. The Authorization value is not kept."""

    method: str
    path: str                      # as sent, e.g. /api/v1/monitors/root
    query: list[tuple[str, str]]
    request_headers: dict[str, str]
    request_body: bytes
    status: int | None = None      # None: the connection was reset, no answer
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    fault: str | None = None
    committed: bool = False        # the route ran (the change, if any, happened)
    validation_refusal: bool = False  # the fake refused the request itself (a 4xx other than 429)
    received_at: float = field(default_factory=time.monotonic)


def route(method: str, path: str):
    allowed = False
    for m, pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match:
            if m == method:
                return handler, match.groupdict()
            allowed = True
    if allowed:
        raise ApiError(405, "method.unsupported", f"Method {method} is not supported on this path.")
    raise ApiError(404, "notfound", "The requested resource does not exist.")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # Headers and body leave in one segment: otherwise Nagle and delayed ACKs add ~40 ms per answer.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def log_message(self, format, *args):  # the record of calls replaces the access log
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _reset(self) -> None:
        """Drop the connection without an answer (RST)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _send(self, call: Call, resp: Response) -> None:
        payload = b"" if resp.body is None or resp.status == 204 else json.dumps(resp.body).encode()
        self.send_response(resp.status)
        headers = dict(resp.headers)
        if payload:
            headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(payload))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)
        call.status, call.response_headers, call.response_body = resp.status, headers, payload

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        headers = {k: ("(sensitive)" if k.lower() == "authorization" else v) for k, v in self.headers.items()}
        call = Call(self.command, url.path, parse_qsl(url.query, keep_blank_values=True), headers, raw)
        with fake._calls_lock:
            fake.calls.append(call)
        user = self._user()
        admitted = False
        try:
            if user is None:
                raise ApiError(401, "unauthorized", "Credential could not be verified.")
            if fake.limiter is not None:
                refused = fake.limiter.enter(user)
                if refused:
                    raise fake.rate_limit_error(f"Rate limit exceeded ({refused}).")
                admitted = True
            call.fault = fault = fake.faults.draw() if fake.faults else None
            if fault == "429":
                raise fake.rate_limit_error("Rate limit exceeded.")
            if fault == "5xx":
                status, code = fake.faults.choice([(500, "internal.error"), (502, "bad.gateway"),
                                                   (503, "service.unavailable")])
                raise ApiError(status, code, "The service is temporarily unavailable.")
            if fault == "reset":
                self._reset()
                return
            delay = fake.latency_s + (fake.faults.slow_s if fault == "slow" else 0.0)
            if delay:
                time.sleep(delay)
            resp = self._dispatch(call, raw)
            if fault == "lost-response":
                self._reset()
                return
            self._send(call, resp)
        except ApiError as err:
            # A 4xx other than 429 judges the request itself (auth, content type, route, body).
            call.validation_refusal = 400 <= err.status < 500 and err.status != 429
            self._send(call, err.response(fake.rng))
        finally:
            if admitted:
                fake.limiter.leave(user)

    def _user(self) -> str | None:
        fake = self.server.fake
        value = self.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            access_id, _, access_key = base64.b64decode(value[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if (access_id, access_key) != (fake.access_id, fake.access_key):
            return None
        return access_id

    def _dispatch(self, call: Call, raw: bytes) -> Response:
        fake = self.server.fake
        url = urlsplit(self.path)
        if not url.path.startswith("/api/"):
            raise ApiError(404, "notfound", "The requested resource does not exist.")
        body = None
        if raw:
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                raise ApiError(415, "contenttype.invalid", "Content-Type must be application/json.")
            try:
                body = json.loads(raw)
            except ValueError:
                raise ApiError(400, "api.invalid.json", "The body is not valid JSON.") from None
        cookies = {k: m.value for k, m in SimpleCookie(self.headers.get("Cookie", "")).items()}
        req = Request(self.command, url.path[len("/api/"):], dict(parse_qsl(url.query, keep_blank_values=True)),
                      body, dict(self.headers.items()), cookies)
        handler, params = route(req.method, req.path)
        with fake.state.lock:
            resp = handler(fake.state, req, **params)
            call.committed = True
            return resp


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class Server:
    """Owns the listening socket and the serving thread."""

    def __init__(self, fake):
        self._httpd = _Server(fake)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="fakesumo", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
