"""The loop around the cycle, without member clusters: APScheduler's settings (one
cycle at a time), the ``gitfleet run`` process answering on loopback and stopping
cleanly on SIGTERM, and ``--once``. The fleet repos here do not load, so no cycle
reaches a cluster."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gitfleet.cli.main import main
from gitfleet.reconcile import CycleReport, Reconciler, RunConfig
from gitfleet.reconcile.http import serve
from gitfleet.reconcile.loop import JOB_ID, scheduler_for
from tests.fleetrepo import FleetRepo
from tests.reconcile.fleet import http_get

BROKEN = {"fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: broken}\n",
          "templates/x.yaml": "metadata: {name: x}\n"}  # no apiVersion/kind: the repo does not load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SlowReconciler(Reconciler):
    """Counts how many cycles overlap."""

    def __init__(self, config: RunConfig) -> None:
        super().__init__(config)
        self.running = 0
        self.most = 0
        self.calls = 0
        self.guard = threading.Lock()

    def run_cycle(self) -> CycleReport:
        with self.guard:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        time.sleep(0.4)
        with self.guard:
            self.running -= 1
        return CycleReport("unchanged")


def test_scheduler_runs_one_cycle_at_a_time(tmp_path: Path) -> None:
    reconciler = SlowReconciler(RunConfig(repo=str(tmp_path), interval=0.1))
    scheduler = scheduler_for(reconciler)
    scheduler.start()
    try:
        job = scheduler.get_job(JOB_ID)
        assert (job.max_instances, job.coalesce) == (1, True)
        deadline = time.monotonic() + 10
        while reconciler.calls < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert reconciler.calls >= 3 and reconciler.most == 1
    assert reconciler.running == 0  # shutdown waited for the running cycle


def test_invalid_repo_is_not_ready_and_endpoints_answer(fleet_repo: FleetRepo) -> None:
    sha = fleet_repo.commit(BROKEN)
    reconciler = Reconciler(RunConfig(repo=str(fleet_repo.path)))
    server = serve(("127.0.0.1", 0), reconciler.health, reconciler.metrics)
    try:
        report = reconciler.run_cycle()
        assert (report.outcome, report.revision) == ("invalid", sha)
        assert report.error is not None and report.error.startswith("templates/x.yaml:1:1:")
        code, body = http_get(server.port, "/readyz")
        assert code == 503 and json.loads(body)["error"] == report.error
        assert http_get(server.port, "/healthz") == (200, "ok\n")
        assert http_get(server.port, "/nope")[0] == 404
        code, metrics = http_get(server.port, "/metrics")
        assert code == 200 and 'gitfleet_reconcile_cycles_total{outcome="invalid"} 1.0' in metrics.splitlines()
    finally:
        server.stop()


def test_secret_values_stay_out_of_an_invalid_repos_error(
    fleet_repo: FleetRepo, caplog: pytest.LogCaptureFixture,
) -> None:
    # The template names a Secret's value, so the loader's message quotes it.
    fleet_repo.commit({
        "clusters/m1.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m1}\n",
        "templates/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
                            "stringData: {password: hunter2hunter2}\n",
        "templates/c.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n"
                               "data: {x: \"{{ hunter2hunter2 }}\"}\n",
    })
    caplog.set_level(logging.INFO, logger="gitfleet.reconcile")
    report = Reconciler(RunConfig(repo=str(fleet_repo.path))).run_cycle()
    assert report.outcome == "invalid"
    assert report.error is not None and "'***' is undefined" in report.error
    assert "event=cycle outcome=invalid" in caplog.text and "'***' is undefined" in caplog.text
    assert "hunter2" not in report.error + caplog.text


def test_a_folder_outside_git_is_an_error(tmp_path: Path) -> None:
    report = Reconciler(RunConfig(repo=str(tmp_path))).run_cycle()
    assert report.outcome == "error" and "is not inside a Git repository" in (report.error or "")


def test_once_exits_1_on_an_invalid_repo(fleet_repo: FleetRepo, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    fleet_repo.commit(BROKEN)
    config = tmp_path / "run.yaml"
    config.write_text(f"repo: {fleet_repo.path}\n")
    assert main(["run", "--config", str(config), "--once"]) == 1
    assert capsys.readouterr().out.startswith("invalid: templates/x.yaml:1:1:")
    config.write_text("repo: x\ninterval: never\n")
    assert main(["run", "--config", str(config)]) == 1
    assert "at /interval" in capsys.readouterr().err


def test_run_process_serves_and_stops_on_sigterm(fleet_repo: FleetRepo, tmp_path: Path) -> None:
    fleet_repo.commit(BROKEN)
    port = _free_port()
    config = tmp_path / "run.yaml"
    config.write_text(f"repo: {fleet_repo.path}\ninterval: 1s\nlisten: 127.0.0.1:{port}\n")
    env = {**os.environ, "GITFLEET_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "gitfleet", "run", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        metrics = ""
        while time.monotonic() < deadline:
            try:
                code, metrics = http_get(port, "/metrics")
            except OSError:
                code = 0
            if code == 200 and 'gitfleet_reconcile_cycles_total{outcome="invalid"} 2.0' in metrics.splitlines():
                break
            time.sleep(0.2)
        assert 'gitfleet_reconcile_cycles_total{outcome="invalid"} 2.0' in metrics.splitlines(), metrics
        assert http_get(port, "/readyz")[0] == 503
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    lines = err.splitlines()
    assert any("event=started" in line and f"listen=127.0.0.1:{port}" in line for line in lines), err
    assert any("event=cycle outcome=invalid" in line and "templates/x.yaml:1:1:" in line for line in lines), err
    assert "event=stopped" in lines[-1], err
