"""The reconcile cycle against a real fleet repo in Git and real member clusters:
what it applies and commits, what it leaves alone, how it takes a new commit, an
invalid commit and an unreachable member."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitfleet.apply.statusfile import read_status
from gitfleet.git.statusbranch import read_status_commit
from gitfleet.kube import KubeClient
from gitfleet.model.keys import ResourceId
from gitfleet.reconcile import Reconciler, RunConfig
from gitfleet.reconcile.http import serve
from gitfleet.testing import LocalClusters
from tests.fleetrepo import FleetRepo
from tests.reconcile.fleet import BROKEN_POLICY, fleet_files, http_get

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]
BRANCH = "gitfleet/status"


class Clock:
    """A monotonic clock the test moves, for the drift interval."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _versions(kube: dict[str, KubeClient], ns: str) -> dict[str, str]:
    out = {}
    for name, client in sorted(kube.items()):
        for rid in (ResourceId("v1", "ConfigMap", ns, "cfg"), ResourceId("apps/v1", "Deployment", ns, "web")):
            obj = client.get(rid)
            assert obj is not None, (name, rid)
            out[f"{name}/{rid}"] = obj["metadata"]["resourceVersion"]
    return out


def _greeting(client: KubeClient, ns: str) -> str:
    obj = client.get(ResourceId("v1", "ConfigMap", ns, "cfg"))
    assert obj is not None
    return str(obj["data"]["greeting"])


def test_cycle_follows_commits_and_keeps_the_last_good_state(
    fleet_repo: FleetRepo, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str,
) -> None:
    first = fleet_repo.commit(fleet_files(ns))
    clock = Clock()
    config = RunConfig(repo=str(fleet_repo.path), kubeconfig=str(member_clusters.kubeconfig), drift_interval=300)
    reconciler = Reconciler(config, clock=clock)
    server = serve(("127.0.0.1", 0), reconciler.health, reconciler.metrics)
    try:
        assert http_get(server.port, "/readyz")[0] == 503  # no cycle yet
        assert http_get(server.port, "/healthz") == (200, "ok\n")

        # First cycle: everything created on both members, render + results committed.
        report = reconciler.run_cycle()
        assert (report.outcome, report.revision, report.error) == ("applied", first, None)
        assert report.result is not None
        assert {n: c.counts() for n, c in report.result.clusters.items()} == {
            "member1": {"created": 3}, "member2": {"created": 3}}
        status = read_status_commit(fleet_repo.repo, BRANCH)
        assert status is not None and status.sha == report.status_commit and status.source_sha == first
        assert read_status(status.files, "member2")["appliedRevision"] == first
        before = _versions(kube, ns)

        # Nothing changed: nothing applied, nothing written, nothing committed.
        report = reconciler.run_cycle()
        assert (report.outcome, report.result, report.status_commit) == ("unchanged", None, None)
        assert _versions(kube, ns) == before
        assert read_status_commit(fleet_repo.repo, BRANCH).sha == status.sha  # type: ignore[union-attr]

        # The drift interval elapsed: the clusters are checked, still nothing written.
        clock.now += 301
        report = reconciler.run_cycle()
        assert (report.outcome, report.reasons, report.status_commit) == ("applied", ("drift check",), None)
        assert report.result is not None
        assert all(c.counts() == {"unchanged": 3} and c.writes == 0 for c in report.result.clusters.values())
        assert _versions(kube, ns) == before

        # A new commit is picked up by the next cycle.
        second = fleet_repo.commit(fleet_files(ns, greeting="bonjour"))
        report = reconciler.run_cycle()
        assert (report.outcome, report.revision, report.reasons) == ("applied", second, ("new source commit",))
        assert {n: _greeting(c, ns) for n, c in kube.items()} == {"member1": "bonjour", "member2": "bonjour"}
        status = read_status_commit(fleet_repo.repo, BRANCH)
        assert status is not None and status.source_sha == second
        after_second = _versions(kube, ns)

        # An invalid commit is reported, applies nothing, records nothing.
        broken = fleet_repo.commit({**fleet_files(ns, greeting="never"),
                                    "policies/pp.yaml": BROKEN_POLICY.replace("NS", ns)})
        for _ in range(2):  # and stays reported while the branch does not move
            report = reconciler.run_cycle()
            assert (report.outcome, report.revision, report.result) == ("invalid", broken, None)
            assert report.error is not None and "policies/pp.yaml" in report.error
        assert _versions(kube, ns) == after_second
        assert read_status_commit(fleet_repo.repo, BRANCH).sha == status.sha  # type: ignore[union-attr]
        code, body = http_get(server.port, "/readyz")
        assert code == 503
        assert json.loads(body)["appliedRevision"] == second and "policies/pp.yaml" in json.loads(body)["error"]

        # Fixed: applied again, ready again.
        fixed = fleet_repo.commit(fleet_files(ns, greeting="hola"))
        report = reconciler.run_cycle()
        assert (report.outcome, report.revision) == ("applied", fixed)
        assert _greeting(kube["member1"], ns) == "hola"
        code, body = http_get(server.port, "/readyz")
        assert code == 200 and json.loads(body)["appliedRevision"] == fixed

        code, metrics = http_get(server.port, "/metrics")
        assert code == 200
        lines = set(metrics.splitlines())
        assert 'gitfleet_reconcile_cycles_total{outcome="applied"} 4.0' in lines
        assert 'gitfleet_reconcile_cycles_total{outcome="unchanged"} 1.0' in lines
        assert 'gitfleet_reconcile_cycles_total{outcome="invalid"} 2.0' in lines
        assert f'gitfleet_applied_source_info{{revision="{fixed}"}} 1.0' in lines
        assert not any(line.startswith(f'gitfleet_applied_source_info{{revision="{second}"') for line in lines)
        assert 'gitfleet_cluster_objects{action="configured",cluster="member1"} 1.0' in lines
        assert 'gitfleet_cluster_drift{cluster="member2"} 0.0' in lines
        assert "gitfleet_reconcile_cycle_duration_seconds_count 7.0" in lines
    finally:
        server.stop()


def test_drift_is_corrected_on_the_drift_interval(
    fleet_repo: FleetRepo, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str,
) -> None:
    fleet_repo.commit(fleet_files(ns))
    clock = Clock()
    reconciler = Reconciler(RunConfig(repo=str(fleet_repo.path), kubeconfig=str(member_clusters.kubeconfig),
                                      drift_interval=60), clock=clock)
    assert reconciler.run_cycle().outcome == "applied"
    deploy = ResourceId("apps/v1", "Deployment", ns, "web")
    kube["member1"].request("PATCH", kube["member1"].object_path(deploy), query={"fieldManager": "kubectl-scale"},
                            body={"spec": {"replicas": 7}}, content_type="application/merge-patch+json")
    assert reconciler.run_cycle().outcome == "unchanged"  # not due yet: drift stays
    assert kube["member1"].get(deploy)["spec"]["replicas"] == 7  # type: ignore[index]
    clock.now += 60
    report = reconciler.run_cycle()
    assert report.outcome == "applied" and report.result is not None
    assert [d.pointer for d in report.result.clusters["member1"].drift()] == ["/spec/replicas"]
    assert kube["member1"].get(deploy)["spec"]["replicas"] == 2  # type: ignore[index]
    assert 'gitfleet_cluster_drift{cluster="member1"} 1.0' in reconciler.metrics.exposition().decode()


def test_unreachable_member_does_not_block_the_other_and_is_retried(
    fleet_repo: FleetRepo, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str, tmp_path: Path,
) -> None:
    fleet_repo.commit(fleet_files(ns))
    only_one = json.loads(member_clusters.kubeconfig.read_text())
    only_one["contexts"] = [c for c in only_one["contexts"] if c["name"] == "member1"]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps(only_one))
    reconciler = Reconciler(RunConfig(repo=str(fleet_repo.path), kubeconfig=str(kubeconfig)))

    report = reconciler.run_cycle()
    assert report.outcome == "partial" and report.result is not None
    assert report.result.clusters["member1"].counts() == {"created": 3}
    assert "no context named 'member2'" in (report.result.clusters["member2"].error or "")
    assert reconciler.health().ready  # a cluster failing is no input error
    status = read_status_commit(fleet_repo.repo, BRANCH)
    assert status is not None
    assert any(p.startswith("clusters/member1/") for p in status.files)
    assert not any(p.startswith("clusters/member2/") for p in status.files)  # not run ahead of member2

    report = reconciler.run_cycle()  # member2 failed: retried although nothing changed
    assert report.outcome == "partial" and report.reasons == ("retrying member2",)

    kubeconfig.write_text(member_clusters.kubeconfig.read_text())  # member2 reachable again
    report = reconciler.run_cycle()
    assert report.outcome == "applied", report
    assert "cluster set changed" in report.reasons
    assert report.result is not None and report.result.clusters["member2"].counts() == {"created": 3}
    assert kube["member2"].get(ResourceId("v1", "ConfigMap", ns, "cfg")) is not None
