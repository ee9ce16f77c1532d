"""Git webhooks against a real ``gitfleet run`` process with a ten-minute interval, so
only a webhook can make it see a new commit in time: a bad signature is 401 and the
commit waits; a good one brings it to the status branch within seconds; a burst of
twenty is at most two cycles. The fleet's one member is in Pull mode, so no API server
is needed: the status branch records each commit's manifests for its agent."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pygit2
import pytest

from gitfleet.reconcile.hooks import sign
from gitfleet.testing.clusters import free_port
from tests.failover.kit import metric, wait_for
from tests.fleetrepo import FleetRepo

SECRET = "a-webhook-secret-for-the-test"
STATUS = "refs/heads/gitfleet/status"


def files(greeting: str) -> dict[str, str | None]:
    # A Pull member: its manifests go to the status branch, no API server is reached.
    return {
        "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: hooked}\n",
        "clusters/edge.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: edge}\n"
                              "spec: {syncMode: Pull}\n",
        "policies/cfg.yaml": "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
                             "metadata: {name: cfg, namespace: default}\nspec:\n"
                             "  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: cfg}]\n"
                             "  placement: {clusterAffinity: {clusterNames: [edge]}}\n",
        "templates/cfg.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\n"
                              f"data: {{greeting: {greeting}}}\n",
    }


def recorded(repo: Path) -> str | None:
    """The source commit the status branch's tip records."""
    ref = pygit2.Repository(str(repo)).references.get(STATUS)
    if ref is None:
        return None
    for line in ref.peel(pygit2.Commit).message.splitlines():
        if line.startswith("Gitfleet-Source: "):
            return line.removeprefix("Gitfleet-Source: ").strip()
    return None


def push_hook(port: int, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/hooks/git", body=body, headers={"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def cycles(port: int) -> float:
    return sum(metric(port, f'gitfleet_reconcile_cycles_total{{outcome="{outcome}"}} ') or 0.0
               for outcome in ("applied", "partial", "unchanged", "invalid", "error"))


@contextmanager
def gitfleet_run(repo: Path, workdir: Path, hook_listen: bool) -> Iterator[tuple[int, int, Path]]:
    """``gitfleet run`` on ``repo`` every ten minutes, the webhook enabled (on a listener
    of its own with ``hook_listen``); yields the probes' port, the hook's port and the
    log, and stops the process by its pid."""
    port, hook_port = free_port(), free_port()
    (workdir / "secret").write_text(SECRET + "\n")
    config = workdir / "run.yaml"
    config.write_text(f"repo: {repo}\ninterval: 10m\nlisten: 127.0.0.1:{port}\nwebhook:\n  secretFile: secret\n"
                      + (f"  listen: 127.0.0.1:{hook_port}\n" if hook_listen else ""))
    log = workdir / "run.log"
    env = {**os.environ, "GITFLEET_CACHE": str(workdir / "cache")}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gitfleet", "run", "--config", str(config)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield port, hook_port if hook_listen else port, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]


@pytest.mark.parametrize("hook_listen", [False, True], ids=["same-listener", "own-listener"])
def test_a_webhook_brings_a_commit_at_once(fleet_repo: FleetRepo, tmp_path: Path, hook_listen: bool) -> None:
    first = fleet_repo.commit(files("v1"))
    with gitfleet_run(fleet_repo.path, tmp_path, hook_listen) as (port, hook_port, log):
        wait_for("the first cycle to record v1", lambda: recorded(fleet_repo.path) == first, 30, log)
        second = fleet_repo.commit(files("v2"))
        body = f'{{"ref": "refs/heads/main", "after": "{second}"}}'.encode()

        # A bad signature: refused, logged without the secret, and the commit waits for the interval.
        assert push_hook(hook_port, body, {"X-Hub-Signature-256": sign(body, b"a guess"),
                                           "X-GitHub-Event": "push"}) == 401
        assert push_hook(hook_port, body, {"X-Gitlab-Token": "a guess"}) == 401
        assert push_hook(hook_port, body, {}) == 401
        time.sleep(3)
        assert recorded(fleet_repo.path) == first
        assert metric(port, 'gitfleet_webhook_requests_total{result="unauthorized"} ') == 3

        # A good one: the commit is recorded within seconds.
        started = time.monotonic()
        assert push_hook(hook_port, body, {"X-Hub-Signature-256": sign(body, SECRET.encode()),
                                           "X-GitHub-Event": "push"}) == 202
        wait_for("v2 recorded after the webhook", lambda: recorded(fleet_repo.path) == second, 10, log, every=0.1)
        took = time.monotonic() - started
        assert took < 10

        # A burst of twenty (GitLab's header this time): at most two cycles.
        wait_for("the cycle counted", lambda: cycles(port) >= 2, 10, log)
        before = cycles(port)
        third = fleet_repo.commit(files("v3"))
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda _: push_hook(hook_port, body, {"X-Gitlab-Token": SECRET}), range(20)))
        assert answers == [202] * 20
        wait_for("v3 recorded after the burst", lambda: recorded(fleet_repo.path) == third, 10, log, every=0.1)
        time.sleep(2)  # time for any extra cycle to run and be counted
        ran = cycles(port) - before
        assert 1 <= ran <= 2, ran
        assert metric(port, 'gitfleet_webhook_requests_total{result="accepted"} ') == 21
    text = log.read_text()
    assert SECRET not in text
    assert text.count("event=webhook_unauthorized source=127.0.0.1") == 3
    assert "event=started" in text and f"webhook=127.0.0.1:{hook_port}" in text
