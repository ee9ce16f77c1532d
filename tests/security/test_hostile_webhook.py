"""Hostile requests to ``POST /hooks/git``, written byte by byte on a raw socket: a body
announced far over the bound (refused from its headers, never read), bogus and
repeated headers, bytes that are not ASCII, a client that stops mid-body (slowloris,
cut off by the socket timeout while the probes keep answering). None triggers a cycle,
none kills the server, and the log never holds the secret or the body."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from gitfleet.reconcile import Reconciler, RunConfig
from gitfleet.reconcile.hooks import sign
from gitfleet.reconcile.http import EndpointServer, HookEndpoint, serve
from gitfleet.reconcile.metrics import ReconcileMetrics

SECRET = b"hostile-webhook-secret-0123456789"
BODY = b'{"ref": "refs/heads/main", "marker": "body-marker-xyz"}'
TIMEOUT = 0.5  # the server's socket timeout in these tests (10 s in gitfleet run)


class Served:
    def __init__(self) -> None:
        self.calls = 0
        self.metrics = ReconcileMetrics()
        hook = HookEndpoint(SECRET, self._trigger, self.metrics)
        self.server: EndpointServer = serve(("127.0.0.1", 0), Reconciler(RunConfig(repo="unused")).health,
                                            self.metrics, hook=hook, request_timeout=TIMEOUT)

    def _trigger(self) -> None:
        self.calls += 1

    def count(self, result: str) -> float:
        return self.metrics.registry.get_sample_value("gitfleet_webhook_requests_total", {"result": result}) or 0.0


@pytest.fixture
def served() -> Iterator[Served]:
    s = Served()
    yield s
    s.server.stop()


def exchange(port: int, raw: bytes, wait: float = 5.0) -> bytes:
    """Send ``raw``, then read until the server closes (or ``wait`` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        try:
            sock.sendall(raw)
        except OSError:
            pass  # the server may refuse before reading everything: its answer still counts
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def status(answer: bytes) -> int:
    line = answer.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 else 0


def request(headers: list[tuple[bytes, bytes]], body: bytes = BODY, path: bytes = b"/hooks/git") -> bytes:
    head = b"POST " + path + b" HTTP/1.1\r\nHost: gitfleet\r\nConnection: close\r\n"
    return head + b"".join(name + b": " + value + b"\r\n" for name, value in headers) + b"\r\n" + body


GOOD = sign(BODY, SECRET).encode()
LENGTH = (b"Content-Length", str(len(BODY)).encode())


@pytest.mark.parametrize(("headers", "body", "code", "result"), [
    ([(b"Content-Length", b"10737418240"), (b"X-Hub-Signature-256", GOOD)], BODY, 413, "too_large"),
    ([(b"Content-Length", b"9" * 5000), (b"X-Hub-Signature-256", GOOD)], BODY, 413, "too_large"),
    ([(b"Content-Length", str((1 << 20) + 1).encode()), (b"X-Hub-Signature-256", GOOD)], b"x" * ((1 << 20) + 1),
     413, "too_large"),
    ([(b"X-Hub-Signature-256", GOOD)], BODY, 411, "bad_request"),
    ([(b"Transfer-Encoding", b"chunked"), (b"X-Hub-Signature-256", GOOD)],
     b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n", 411, "bad_request"),
    ([(b"Content-Length", b"-5"), (b"X-Hub-Signature-256", GOOD)], BODY, 400, "bad_request"),
    ([(b"Content-Length", b"0x20"), (b"X-Hub-Signature-256", GOOD)], BODY, 400, "bad_request"),
    ([LENGTH, LENGTH, (b"X-Hub-Signature-256", GOOD)], BODY, 400, "bad_request"),
    ([LENGTH, (b"Content-Length", b"3"), (b"X-Hub-Signature-256", GOOD)], BODY, 400, "bad_request"),
    ([LENGTH, (b"X-Hub-Signature-256", GOOD), (b"X-Hub-Signature-256", GOOD)], BODY, 401, "unauthorized"),
    ([LENGTH, (b"X-Hub-Signature-256", b"sha256=" + "\u00e9".encode("latin-1") * 64)], BODY, 401, "unauthorized"),
    ([LENGTH, (b"X-Hub-Signature-256", b"sha256=" + b"\xff\xfe" * 32)], BODY, 401, "unauthorized"),
    ([LENGTH, (b"X-Hub-Signature-256", b"sha256=" + b"a" * 60000)], BODY, 401, "unauthorized"),
    ([LENGTH, (b"X-Gitlab-Token", b"\x80" * 1000)], BODY, 401, "unauthorized"),
    ([LENGTH, (b"X-Gitlab-Token", SECRET + b"\x00")], BODY, 401, "unauthorized"),
    ([LENGTH, (b"X-Gitfleet-Signature", b"sha256=z" + GOOD[8:])], BODY, 401,
     "unauthorized"),
    ([LENGTH, (b"X-Hub-Signature-256", GOOD), (b"X-GitHub-Event", b"\xff" * 10000)], BODY, 202, "accepted"),
    ([(b"Content-Length", b"10"), (b"X-Hub-Signature-256", GOOD)], BODY, 401, "unauthorized"),  # a cut body
], ids=["ten-gib", "five-thousand-digits", "one-mib-and-a-byte", "no-length", "chunked", "negative-length",
        "hex-length", "repeated-length", "conflicting-lengths", "repeated-signature", "latin1-signature",
        "binary-signature", "huge-signature", "binary-token", "nul-after-token", "not-hex", "binary-event",
        "shorter-length"])
def test_a_hostile_request_is_refused_and_counted(served: Served, caplog: pytest.LogCaptureFixture,
                                                  headers: list[tuple[bytes, bytes]], body: bytes, code: int,
                                                  result: str) -> None:
    caplog.set_level(logging.DEBUG, logger="gitfleet.reconcile.http")
    started = time.monotonic()
    answer = exchange(served.server.port, request(headers, body))
    assert status(answer) == code, answer[:300]
    assert time.monotonic() - started < 4  # a refusal never waits for a body it will not read
    assert served.count(result) == 1
    assert served.calls == (1 if result == "accepted" else 0)
    assert SECRET.decode() not in caplog.text and "body-marker-xyz" not in caplog.text
    # The server is still there for the next request.
    assert status(exchange(served.server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) \
        == 200


@pytest.mark.parametrize("raw", [
    b"POST /hooks/git HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nX-Hub-Signature-256: " + GOOD + b"\r\n\r\n{\"re",
    b"POST /hooks/git HTTP/1.1\r\nHost: x\r\nContent-Len",
    b"POST /hooks/g",
], ids=["stalls-mid-body", "stalls-mid-headers", "stalls-mid-request-line"])
def test_a_slow_client_is_cut_off_and_the_probes_answer_meanwhile(served: Served, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=10) as slow:
        slow.sendall(raw)
        started = time.monotonic()
        # Another client is served while the slow one holds its thread.
        healthz = exchange(served.server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status(healthz) == 200
        answer = b""
        try:
            while chunk := slow.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        waited = time.monotonic() - started
    assert waited < TIMEOUT + 3, waited  # cut off by the socket timeout, not left open
    assert served.calls == 0
    if b"Content-Length: 100" in raw:
        assert status(answer) == 408 and served.count("bad_request") == 1
    else:
        assert served.count("bad_request") == 0  # never reached the hook


def test_many_stalled_clients_do_not_block_a_good_one(served: Served) -> None:
    stalled = [socket.create_connection(("127.0.0.1", served.server.port), timeout=10) for _ in range(50)]
    try:
        for sock in stalled:
            sock.sendall(b"POST /hooks/git HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        answer = exchange(served.server.port, request([LENGTH, (b"X-Hub-Signature-256", GOOD)]))
        assert status(answer) == 202 and served.calls == 1
    finally:
        for sock in stalled:
            sock.close()
