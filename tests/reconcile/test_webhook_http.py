"""``POST /hooks/git`` on the real HTTP server (:func:`serve`): the answers, the trigger
called only for an authentic request, the metric by result, the log line (source and
header, never the secret or the body), the endpoint's absence without a secret, and a
listener of its own; then the coalescing of triggers into cycles with the real
scheduler."""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitfleet.reconcile import CycleReport, Reconciler, RunConfig
from gitfleet.reconcile.hooks import WebhookSettings, sign
from gitfleet.reconcile.http import HookEndpoint, serve
from gitfleet.reconcile.loop import CycleTrigger, scheduler_for, serve_all
from gitfleet.reconcile.metrics import ReconcileMetrics
from gitfleet.testing.clusters import free_port

SECRET = b"0123456789abcdef-webhook"
BODY = b'{"ref": "refs/heads/main", "after": "c0ffee", "token": "body-only-marker"}'


def post(port: int, headers: dict[str, str], body: bytes = BODY, path: str = "/hooks/git",
         method: str = "POST") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body if method == "POST" else None, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def metric(metrics: ReconcileMetrics, result: str) -> float:
    value = metrics.registry.get_sample_value("gitfleet_webhook_requests_total", {"result": result})
    return value or 0.0


class Hook:
    """A hook endpoint on a real server whose trigger counts its calls."""

    def __init__(self, **serve_args: object) -> None:
        self.calls = 0
        self.metrics = ReconcileMetrics()
        self.endpoint = HookEndpoint(SECRET, self._trigger, self.metrics)
        reconciler_health = Reconciler(RunConfig(repo="unused")).health
        self.server = serve(("127.0.0.1", 0), reconciler_health, self.metrics, hook=self.endpoint,
                            **serve_args)  # type: ignore[arg-type]

    def _trigger(self) -> None:
        self.calls += 1


@pytest.fixture
def hook() -> Iterator[Hook]:
    served = Hook()
    yield served
    served.server.stop()


GITHUB_PUSH = {"X-Hub-Signature-256": sign(BODY, SECRET), "X-GitHub-Event": "push",
               "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "Content-Type": "application/json"}


@pytest.mark.parametrize(("headers", "status", "answer", "result", "triggered"), [
    (GITHUB_PUSH, 202, "a cycle is due now\n", "accepted", 1),
    ({"X-Hub-Signature-256": sign(BODY, SECRET), "X-GitHub-Event": "ping"}, 200, "pong\n", "ignored", 0),
    ({"X-Gitlab-Token": SECRET.decode(), "X-Gitlab-Event": "Push Hook"}, 202, "a cycle is due now\n", "accepted", 1),
    ({"X-Gitfleet-Signature": sign(BODY, SECRET)}, 202, "a cycle is due now\n", "accepted", 1),
    ({"X-Hub-Signature-256": sign(BODY + b"!", SECRET)}, 401, "signature does not match\n", "unauthorized", 0),
    ({"X-Hub-Signature-256": sign(BODY, b"guess")}, 401, "signature does not match\n", "unauthorized", 0),
    ({"X-Hub-Signature-256": "sha1=" + sign(BODY, SECRET)[7:47]}, 401, "not sha256=<64 hex digits>\n",
     "unauthorized", 0),
    ({"X-Gitlab-Token": "guess"}, 401, "wrong token\n", "unauthorized", 0),
    ({"X-Gitfleet-Signature": SECRET.decode()}, 401, "not sha256=<64 hex digits>\n", "unauthorized", 0),
    ({"X-GitHub-Event": "push"}, 401, "no signature header\n", "unauthorized", 0),
], ids=["github-push", "github-ping", "gitlab", "generic", "github-tampered", "github-wrong-secret",
        "github-sha1", "gitlab-wrong", "generic-bare-secret", "unsigned"])
def test_a_request_is_answered_and_counted(hook: Hook, caplog: pytest.LogCaptureFixture, headers: dict[str, str],
                                           status: int, answer: str, result: str, triggered: int) -> None:
    caplog.set_level(logging.INFO, logger="gitfleet.reconcile.http")
    assert post(hook.server.port, headers) == (status, answer)
    assert hook.calls == triggered
    assert metric(hook.metrics, result) == 1
    assert sum(metric(hook.metrics, r) for r in ("accepted", "unauthorized", "ignored", "too_large")) == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "gitfleet.reconcile.http"]
    assert len(logged) == 1 and logged[0].startswith(f"event=webhook_{result} source=127.0.0.1 header=")
    level = caplog.records[-1].levelno
    assert level == (logging.WARNING if result == "unauthorized" else logging.INFO)
    for secret_or_body in (SECRET.decode(), "body-only-marker", sign(BODY, SECRET)[7:]):
        assert secret_or_body not in caplog.text


def test_the_body_bound_and_the_method(hook: Hook) -> None:
    port = hook.server.port
    big = b"x" * ((1 << 20) + 1)
    assert post(port, {"X-Hub-Signature-256": sign(big, SECRET)}, big)[0] == 413
    assert hook.calls == 0 and metric(hook.metrics, "too_large") == 1
    assert post(port, {}, method="GET")[0] == 405
    assert post(port, GITHUB_PUSH, path="/hooks/git?from=github") == (202, "a cycle is due now\n")
    assert post(port, GITHUB_PUSH, path="/hooks/gitlab")[0] == 404
    assert post(port, GITHUB_PUSH, path="/healthz")[0] == 404  # POST to a probe
    assert hook.calls == 1
    # The probes stay on the same listener.
    assert post(port, {}, method="GET", path="/healthz") == (200, "ok\n")


def test_without_a_secret_the_endpoint_is_not_there(tmp_path: Path) -> None:
    reconciler = Reconciler(RunConfig(repo=str(tmp_path)))
    server = serve(("127.0.0.1", 0), reconciler.health, reconciler.metrics)
    try:
        assert post(server.port, GITHUB_PUSH)[0] == 404
        assert post(server.port, {}, method="GET")[0] == 404
        assert post(server.port, {}, method="GET", path="/healthz")[0] == 200
    finally:
        server.stop()
    assert metric(reconciler.metrics, "unauthorized") == metric(reconciler.metrics, "accepted") == 0


@pytest.mark.parametrize("apart", [False, True], ids=["same-listener", "own-listener"])
def test_the_hook_on_its_own_listener(tmp_path: Path, apart: bool) -> None:
    main, own = free_port(), free_port()
    config = RunConfig(repo=str(tmp_path), listen=f"127.0.0.1:{main}", webhook=WebhookSettings(
        SECRET, "unused", f"127.0.0.1:{own}" if apart else None))
    reconciler = Reconciler(config)
    trigger = CycleTrigger(reconciler)  # no scheduler: a request only marks a cycle pending
    server, hook_server = serve_all(config, reconciler, trigger)
    try:
        assert (hook_server is not None) == apart
        assert post(main, GITHUB_PUSH)[0] == (404 if apart else 202)
        assert post(main, {}, method="GET", path="/metrics")[0] == 200
        if apart:
            assert post(own, GITHUB_PUSH)[0] == 202
            for probe in ("/healthz", "/readyz", "/metrics"):
                assert post(own, {}, method="GET", path=probe)[0] == 404  # the Git host sees no probe
        assert metric(reconciler.metrics, "accepted") == 1
    finally:
        server.stop()
        if hook_server is not None:
            hook_server.stop()


class CountingReconciler(Reconciler):
    """Cycles that take a while, counted."""

    def __init__(self, config: RunConfig, seconds: float) -> None:
        super().__init__(config)
        self.seconds = seconds
        self.calls = 0
        self.running = threading.Event()

    def run_cycle(self) -> CycleReport:
        self.calls += 1
        self.running.set()
        time.sleep(self.seconds)
        self.running.clear()
        return CycleReport("unchanged")


def _settle(reconciler: CountingReconciler, calls: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while (reconciler.calls < calls or reconciler.running.is_set()) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # and no further cycle starts


def test_a_burst_of_triggers_is_one_cycle(tmp_path: Path) -> None:
    reconciler = CountingReconciler(RunConfig(repo=str(tmp_path), interval=3600), seconds=0.3)
    trigger = CycleTrigger(reconciler, delay=0.3)
    scheduler = scheduler_for(reconciler, trigger)
    scheduler.start()
    try:
        _settle(reconciler, 1)  # the first cycle runs at once
        assert reconciler.calls == 1
        # Idle: twenty requests from as many threads within the delay are one cycle.
        started = time.monotonic()
        threads = [threading.Thread(target=trigger.request) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started < 0.3
        _settle(reconciler, 2)
        assert reconciler.calls == 2
        # During a cycle: the requests earn exactly one more, right after it.
        before = reconciler.calls
        trigger.request()
        assert reconciler.running.wait(5)
        for _ in range(20):
            trigger.request()
        _settle(reconciler, before + 2)
        assert reconciler.calls == before + 2
    finally:
        trigger.close()
        scheduler.shutdown(wait=True)
    trigger.request()  # closed: ignored, and no scheduler call on a stopped scheduler
    assert reconciler.calls == before + 2
