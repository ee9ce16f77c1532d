"""A Git remote that fails (issue 13 item 4): while the fleet repo cannot be fetched the
last good state stays applied and reconciled, ``/readyz`` and a metric say why, the
remote is tried again with a doubling back-off, and the first good fetch converges. A
force-push that drops the applied commit is reported and applied as a new revision.
The remote is a real bare repository behind a ``file://`` URL; it "fails" by moving
away. The only member is in Pull mode, so no cluster is needed."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from gitfleet.git.statusbranch import read_status_commit
from gitfleet.reconcile import Reconciler, RunConfig
from gitfleet.reconcile.cycle import fetch_failure_reason
from tests.fleetrepo import FleetRepo

pytestmark = pytest.mark.git

FILES = {
    "clusters/edge.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: edge}\n"
                          "spec: {syncMode: Pull}\n",
    "policies/pp.yaml": "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
                        "metadata: {name: cfg, namespace: default}\nspec:\n"
                        "  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: cfg}]\n"
                        "  placement: {clusterAffinity: {clusterNames: [edge]}}\n",
}


def cfg(greeting: str) -> dict[str, str | None]:
    return {"templates/cfg.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\n"
                                  f"data: {{greeting: {greeting}}}\n"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def metric(reconciler: Reconciler, line: str) -> float | None:
    for row in reconciler.metrics.exposition().decode().splitlines():
        if row.startswith(line):
            return float(row.rsplit(" ", 1)[1])
    return None


def test_the_last_good_state_stays_while_the_remote_fails_and_the_first_good_fetch_converges(
    fleet_repo: FleetRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITFLEET_CACHE", str(tmp_path / "cache"))
    bare_path = tmp_path / "remote.git"
    remote = pygit2.init_repository(str(bare_path), bare=True, initial_head="main")
    fleet_repo.repo.remotes.create("origin", remote.path)

    def publish(files: dict[str, str | None], force: bool = False) -> str:
        sha = fleet_repo.commit(files)
        fleet_repo.repo.remotes["origin"].push([("+" if force else "") + "refs/heads/main:refs/heads/main"])
        return sha

    first = publish({**FILES, **cfg("hello")})
    clock = Clock()
    reconciler = Reconciler(RunConfig(repo=f"file://{bare_path}", push_status=False, interval=10), clock=clock)
    assert reconciler.run_cycle().outcome == "applied"
    assert metric(reconciler, "gitfleet_source_up ") == 1

    away = bare_path.with_name("away.git")
    bare_path.rename(away)
    report = reconciler.run_cycle()
    assert report.outcome == "error" and report.revision == first
    assert "cannot be fetched" in (report.error or "") and f"({first[:12]}) stays applied" in (report.error or "")
    health = reconciler.health().to_json()
    assert health["ready"] is False and "cannot be fetched" in health["error"]
    assert metric(reconciler, "gitfleet_source_up ") == 0
    assert metric(reconciler, 'gitfleet_source_fetch_failures_total{reason="') == 1

    # Backing off: within the first interval the remote is not tried again.
    clock.now += 5
    assert reconciler.run_cycle().outcome == "error"
    assert sum(v for k, v in _failures(reconciler).items()) == 1
    clock.now += 6  # past one interval: tried again, fails, the next wait doubles
    report = reconciler.run_cycle()
    assert sum(_failures(reconciler).values()) == 2 and "next try in 20 s" in (report.error or "")

    away.rename(bare_path)
    second = publish(cfg("bonjour"))
    clock.now += 21
    report = reconciler.run_cycle()
    assert (report.outcome, report.revision, report.error) == ("applied", second, None)
    assert reconciler.health().to_json()["ready"] is True
    assert metric(reconciler, "gitfleet_source_up ") == 1


def _failures(reconciler: Reconciler) -> dict[str, float]:
    out = {}
    for row in reconciler.metrics.exposition().decode().splitlines():
        if row.startswith("gitfleet_source_fetch_failures_total{"):
            out[row.split("{", 1)[1].split("}", 1)[0]] = float(row.rsplit(" ", 1)[1])
    return out


def test_a_force_push_that_drops_the_applied_commit_is_reported_and_applied(
    fleet_repo: FleetRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITFLEET_CACHE", str(tmp_path / "cache"))
    remote = pygit2.init_repository(str(tmp_path / "remote.git"), bare=True, initial_head="main")
    fleet_repo.repo.remotes.create("origin", remote.path)
    fleet_repo.commit({**FILES, **cfg("one")})
    applied = fleet_repo.commit(cfg("two"))
    fleet_repo.repo.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
    reconciler = Reconciler(RunConfig(repo=f"file://{remote.path}"))
    assert reconciler.run_cycle().revision == applied

    # Rewrite: drop the applied commit and put another in its place.
    parent = fleet_repo.repo[applied].parents[0]
    fleet_repo.repo.reset(parent.id, pygit2.enums.ResetMode.HARD)
    rewritten = fleet_repo.commit(cfg("three"))
    fleet_repo.repo.remotes["origin"].push(["+refs/heads/main:refs/heads/main"])
    report = reconciler.run_cycle()
    assert (report.outcome, report.revision) == ("applied", rewritten)
    assert metric(reconciler, "gitfleet_source_history_rewrites_total ") == 1
    status = read_status_commit(reconciler._source, "gitfleet/status")
    assert status is not None and status.source_sha == rewritten


@pytest.mark.parametrize(("message", "reason"), [
    ("fetching x failed: remote authentication required but no callback set", "auth"),
    ("fetching x failed: unexpected http status code: 403", "auth"),
    ("failed to resolve address for github.invalid: Name or service not known", "unreachable"),
    ("failed to connect to 127.0.0.1: Connection refused", "unreachable"),
    ("fetching x failed: could not find repository at '/tmp/gone'", "error"),
])
def test_fetch_failures_get_a_bounded_reason(message: str, reason: str) -> None:
    assert fetch_failure_reason(message) == reason
