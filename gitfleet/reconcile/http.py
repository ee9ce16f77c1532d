"""The reconciler's HTTP endpoints, on the standard library's threaded server:
``/healthz`` (the process answers), ``/readyz`` (the last cycle read a valid fleet
repo; 503 with the error otherwise), ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gitfleet.reconcile.cycle import Health
from gitfleet.reconcile.metrics import CONTENT_TYPE, ReconcileMetrics

log = logging.getLogger(__name__)


class EndpointServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], health: Callable[[], Health], metrics: ReconcileMetrics) -> None:
        self.health = health
        self.metrics = metrics
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

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif path == "/readyz":
            health = self.server.health()
            body = json.dumps(health.to_json(), sort_keys=True).encode() + b"\n"
            self._send(200 if health.ready else 503, body, "application/json")
        elif path == "/metrics":
            self._send(200, self.server.metrics.exposition(), CONTENT_TYPE)
        else:
            self._send(404, b"not found: try /healthz, /readyz or /metrics\n", "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("http %s", format % args)


def serve(address: tuple[str, int], health: Callable[[], Health], metrics: ReconcileMetrics) -> EndpointServer:
    """Start the endpoints on ``address`` (port 0: any free port) in a daemon thread."""
    return EndpointServer(address, health, metrics).start()
