"""The reconciler's HTTP endpoints, on the standard library's threaded server:
``/healthz`` (the process answers), ``/readyz`` (the last cycle read a valid fleet
repo; 503 with the error otherwise), ``/metrics`` (Prometheus text format), and, when
a webhook secret is configured, ``POST /hooks/git`` (a Git host asks for a cycle now;
the checks are :mod:`gitfleet.reconcile.hooks`). The hook can have a listener of its
own, so the Git host never reaches the probes and metrics."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gitfleet.reconcile.cycle import Health
from gitfleet.reconcile.hooks import MAX_BODY, Headers, Verdict, admit, event, verify
from gitfleet.reconcile.logfmt import log as log_event
from gitfleet.reconcile.metrics import CONTENT_TYPE, ReconcileMetrics

log = logging.getLogger(__name__)
HOOK_PATH = "/hooks/git"
# A client that stalls mid-request (slowloris) holds its thread this long, no longer.
REQUEST_TIMEOUT = 10.0
# What a refused request may still send before its connection closes (see _linger).
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 << 20
_TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class HookEndpoint:
    """``POST /hooks/git``: the shared secret, what an accepted request calls (it must
    return at once: the cycle runs elsewhere), and the counter of the outcomes."""

    secret: bytes
    trigger: Callable[[], None]
    metrics: ReconcileMetrics
    max_body: int = MAX_BODY


class EndpointServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog (5) resets connections when a Git host delivers a burst.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], health: Callable[[], Health], metrics: ReconcileMetrics,
                 hook: HookEndpoint | None = None, probes: bool = True,
                 request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.health = health
        self.metrics = metrics
        self.hook = hook
        self.probes = probes  # False: a listener of the hook alone
        self.request_timeout = request_timeout
        self.thread: threading.Thread | None = None
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> EndpointServer:
        self.thread = threading.Thread(target=self.serve_forever, name="gitfleet-http", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: EndpointServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == HOOK_PATH and self.server.hook is not None:
            self.close_connection = True  # a body may follow, unread
            self._send(405, b"POST only\n", _TEXT, {"Allow": "POST"})
            self._linger()
        elif not self.server.probes:
            self._not_found()
        elif path == "/healthz":
            self._send(200, b"ok\n", _TEXT)
        elif path == "/readyz":
            health = self.server.health()
            body = json.dumps(health.to_json(), sort_keys=True).encode() + b"\n"
            self._send(200 if health.ready else 503, body, "application/json")
        elif path == "/metrics":
            self._send(200, self.server.metrics.exposition(), CONTENT_TYPE)
        else:
            self._not_found()

    def do_POST(self) -> None:
        hook = self.server.hook
        if self.path.split("?", 1)[0] != HOOK_PATH or hook is None:
            self.close_connection = True  # its body stays unread
            self._not_found()
            self._linger()
            return
        headers = self._headers()
        admitted = admit(headers, hook.max_body)
        if isinstance(admitted, Verdict):
            self.close_connection = True
            self._answer(hook, admitted)
            self._linger()
            return
        body = self._read(admitted)
        if body is None:
            self.close_connection = True
            self._answer(hook, Verdict("bad_request", 408, "the body did not arrive in time", "content-length"))
            return
        verdict = verify(headers, body, hook.secret)
        if verdict.result == "accepted":
            hook.trigger()
        self._answer(hook, verdict, event(headers))

    def _headers(self) -> Headers:
        found: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            found.setdefault(name.lower(), []).append(value)
        return found

    def _read(self, length: int) -> bytes | None:
        """The body, or None when the client stalls or hangs up before sending it all."""
        chunks: list[bytes] = []
        left = length
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, 64 << 10))
                if not chunk:
                    return None
                chunks.append(chunk)
                left -= len(chunk)
        except (TimeoutError, ConnectionError):
            return None
        return b"".join(chunks)

    def _linger(self) -> None:
        """After refusing a body unread: close our side, then discard what the client is
        still sending, bounded in bytes and time. Closing at once would make the kernel
        answer the unread bytes with a reset, which can destroy the refusal before the
        client reads it (the "lingering close" of Apache and nginx)."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS / 4)
            deadline, left = time.monotonic() + LINGER_SECONDS, LINGER_BYTES
            while left > 0 and time.monotonic() < deadline:
                chunk = self.connection.recv(min(left, 64 << 10))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass  # gone, or too slow: the socket closes now either way

    def _answer(self, hook: HookEndpoint, verdict: Verdict, kind: str | None = None) -> None:
        hook.metrics.webhook(verdict.result)
        level = logging.INFO if verdict.result in ("accepted", "ignored") else logging.WARNING
        # The source and the header, never the secret, the body or a header's value.
        log_event(log, level, f"webhook_{verdict.result}", source=self.client_address[0],
                  header=verdict.header, reason=verdict.reason, kind=kind)
        text = {"accepted": "a cycle is due now\n", "ignored": "pong\n"}.get(verdict.result,
                                                                             f"{verdict.reason}\n")
        try:
            self._send(verdict.status, text.encode(), _TEXT)
        except (TimeoutError, ConnectionError):
            self.close_connection = True  # the client went away: nothing to tell it

    def _not_found(self) -> None:
        paths = ("/healthz, /readyz, /metrics" if self.server.probes else "") + (
            f"{', ' if self.server.probes else ''}POST {HOOK_PATH}" if self.server.hook is not None else "")
        self._send(404, f"not found: try {paths}\n".encode(), _TEXT)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("http %s", format % args)


def serve(address: tuple[str, int], health: Callable[[], Health], metrics: ReconcileMetrics,
          hook: HookEndpoint | None = None, probes: bool = True,
          request_timeout: float = REQUEST_TIMEOUT) -> EndpointServer:
    """Start the endpoints on ``address`` (port 0: any free port) in a daemon thread:
    the probes and metrics unless ``probes`` is False, ``POST /hooks/git`` with a
    ``hook``."""
    return EndpointServer(address, health, metrics, hook, probes, request_timeout).start()
