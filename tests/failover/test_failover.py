"""Failover end to end (issue 11): three real API servers, a fleet repo behind a real
``git daemon``, and ``gitfleet run`` as a real process. A member's API server is
stopped and started by its pid; the test plays the Deployment controller (readiness
through the status subresource) and the node lifecycle (Node objects with allocatable).

Timings: probes every 1 s, tainted after 2 failures, tolerations of 6 s."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pygit2
import pytest

from gitfleet.kube import KubeClient, connect
from gitfleet.model.cluster import Cluster
from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import find_binaries
from tests.failover.kit import (
    DIVIDED_EQUAL,
    DUPLICATED_SPREAD,
    DYNAMIC,
    Published,
    cluster_yaml,
    deployment,
    fleet_yaml,
    gitfleet_run,
    mark_ready,
    metric,
    policy,
    replicas,
    wait_for,
)
from tests.fleetrepo import FleetRepo
from tests.git.repos import git_daemon
from tests.reconcile.fleet import http_get

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("failover")]
MEMBERS = ["fo1", "fo2", "fo3"]
NS = "shop"


@pytest.fixture(scope="module")
def members() -> Iterator[LocalClusters]:
    clusters = LocalClusters(MEMBERS, binaries=find_binaries())
    clusters.start()
    try:
        yield clusters
    finally:
        clusters.stop()


@pytest.fixture
def clients(members: LocalClusters) -> Iterator[dict[str, KubeClient]]:
    made = connect([Cluster(n) for n in MEMBERS], members.kubeconfig)
    out = {n: c for n, c in made.items() if isinstance(c, KubeClient)}
    assert len(out) == len(MEMBERS), made
    yield out
    for client in out.values():
        client.close()


@pytest.fixture
def published(tmp_path: Path) -> Iterator[Published]:
    served = tmp_path / "served"
    served.mkdir()
    bare = pygit2.init_repository(str(served / "fleet.git"), bare=True, initial_head="main")
    repo = FleetRepo(tmp_path / "fleet")
    with git_daemon(served, lifetime=900) as base:
        url = f"{base}/fleet.git"
        repo.repo.remotes.create("origin", str(served / "fleet.git"))
        yield Published(repo, bare, url)


def _restart_all(members: LocalClusters) -> None:
    for name in MEMBERS:
        members.start_member(name)


def _files(ns: str, web: int = 6, fraction: float = 0.55) -> dict[str, str | None]:
    return {
        "fleet.yaml": fleet_yaml(ns, fraction),
        **{f"clusters/{n}.yaml": cluster_yaml(n) for n in MEMBERS},
        "templates/ns.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n",
        "templates/web.yaml": deployment(ns, "web", web),
        "templates/dup.yaml": deployment(ns, "dup", 1),
        "policies/web.yaml": policy(ns, "web", "web", MEMBERS, DIVIDED_EQUAL),
        "policies/dup.yaml": policy(ns, "dup", "dup", MEMBERS, DUPLICATED_SPREAD),
    }


def test_a_stopped_member_is_tainted_then_evicted_and_its_old_copy_pruned_after_recovery(
    members: LocalClusters, clients: dict[str, KubeClient], published: Published, tmp_path: Path,
) -> None:
    ns = "failover-a"
    published.publish(_files(ns))
    web, dup = f"apps/v1/Deployment/{ns}/web", f"apps/v1/Deployment/{ns}/dup"
    try:
        with gitfleet_run(published.url, members.kubeconfig, tmp_path) as (port, log):
            wait_for("web 2/2/2 on the members", lambda: all(replicas(clients[n], ns, "web") == 2 for n in MEMBERS),
                     60, log)
            dup_before = wait_for("dup placed", lambda: published.placement(dup), 30, log)
            assert len(dup_before) == 2, dup_before
            down = max(dup_before)  # a member holding both workloads
            spare = next(n for n in MEMBERS if n not in dup_before)
            survivors = [n for n in MEMBERS if n != down]

            stopping = time.monotonic()  # /readyz fails from the SIGTERM on, before the process is gone
            members.stop_member(down)
            health = wait_for(f"{down} tainted on the status branch",
                              lambda: published.health(down) if published.health(down).get("taints") else None,
                              30, log)
            tainted = time.monotonic()
            assert {(t["key"], t["effect"]) for t in health["taints"]} == {
                ("cluster.karmada.io/unreachable", "NoSchedule"), ("cluster.karmada.io/unreachable", "NoExecute")}
            assert tainted - stopping >= 0.7  # two failed probes, a health interval (less its slack) apart
            # Nothing moves before the toleration (6 s) runs out.
            assert published.placement(web) == {n: 2 for n in MEMBERS}

            moved = wait_for("web re-dealt to the survivors",
                             lambda: published.placement(web) if down not in published.placement(web) else None,
                             30, log)
            assert moved == {n: 3 for n in survivors}
            added = next(t["timeAdded"] for t in health["taints"] if t["effect"] == "NoExecute")
            since = datetime.now(UTC) - datetime.fromisoformat(added)
            assert since >= timedelta(seconds=6), since  # not before the toleration ran out
            wait_for("survivors run 3 replicas each",
                     lambda: all(replicas(clients[n], ns, "web") == 3 for n in survivors), 30, log)
            assert sum(replicas(clients[n], ns, "web") or 0 for n in survivors) == 6
            # Duplicated with spread: the survivor stays and the spare member is added.
            dup_after = wait_for("dup replaced", lambda: published.placement(dup) if down not in
                                 published.placement(dup) else None, 30, log)
            assert set(dup_after) == {*(set(dup_before) - {down}), spare}
            assert published.retained(web) == [down] and published.retained(dup) == [down]
            assert (metric(port, 'gitfleet_evictions_total{reason="unreachable"}') or 0) >= 2
            wait_for("two tasks open", lambda: metric(port, "gitfleet_graceful_eviction_tasks ") == 2, 10, log)

            # The member comes back: taints go, nothing moves back, and its old copies
            # stay while the replacements are not ready.
            members.start_member(down)
            wait_for(f"{down} recovered", lambda: not published.health(down).get("taints")
                     and published.health(down).get("cluster") == down, 30, log)
            time.sleep(3)
            assert published.placement(web) == {n: 3 for n in survivors}
            assert replicas(clients[down], ns, "web") == 2  # the old copy, untouched
            assert replicas(clients[down], ns, "dup") == 1

            # The replacements become ready: the tasks end, and only then the old copies go.
            for name in survivors:
                mark_ready(clients[name], ns, "web")
            for name in dup_after:
                mark_ready(clients[name], ns, "dup")
            wait_for(f"old copies pruned from {down}",
                     lambda: replicas(clients[down], ns, "web") is None and replicas(clients[down], ns, "dup") is None,
                     40, log)
            # The apply prunes, then the status commit that records it is pushed.
            wait_for("the tasks recorded as ended", lambda: not published.retained(web)
                     and not published.retained(dup), 20, log)
            assert published.placement(web) == {n: 3 for n in survivors}  # nothing moved back
            wait_for("no task open", lambda: metric(port, "gitfleet_graceful_eviction_tasks ") == 0, 10, log)
            text = log.read_text()
            assert "event=cluster_health" in text and "reason=Tainted" in text and "reason=Recovered" in text
            assert "event=eviction" in text and f"resource={web}" in text
    finally:
        _restart_all(members)


def test_two_of_three_down_trips_the_disruption_guard_and_nothing_is_evicted(
    members: LocalClusters, clients: dict[str, KubeClient], published: Published, tmp_path: Path,
) -> None:
    ns = "failover-b"
    published.publish(_files(ns, fraction=0.5))
    web = f"apps/v1/Deployment/{ns}/web"
    try:
        with gitfleet_run(published.url, members.kubeconfig, tmp_path) as (port, log):
            wait_for("web 2/2/2", lambda: all(replicas(clients[n], ns, "web") == 2 for n in MEMBERS), 60, log)
            wait_for("web recorded", lambda: published.placement(web), 30, log)
            members.stop_member("fo2")
            members.stop_member("fo3")
            wait_for("the guard", lambda: published.health("fo2").get("disruptionGuard"), 30, log)
            time.sleep(12)  # twice the toleration
            assert published.placement(web) == {n: 2 for n in MEMBERS}
            for name in ("fo2", "fo3"):
                taints = {(t["key"], t["effect"]) for t in published.health(name).get("taints") or ()}
                assert taints == {("cluster.karmada.io/unreachable", "NoSchedule")}, taints
            _code, body = http_get(port, "/readyz")
            ready = json.loads(body)
            assert ready["disruptionGuard"] is True and "disruption guard" in ready["warning"]
            assert ready["members"]["fo2"]["probe"] == "unreachable"
            assert metric(port, "gitfleet_disruption_guard_active ") == 1
            assert (metric(port, 'gitfleet_evictions_total{reason="unreachable"}') or 0) == 0
            assert "GuardActivated" in log.read_text()
            # One comes back: the fraction drops to 1/3, the guard lifts, the other is evicted.
            members.start_member("fo2")
            moved = wait_for("fo3 evicted once the guard lifts",
                             lambda: published.placement(web) if "fo3" not in published.placement(web) else None,
                             40, log)
            assert moved == {"fo1": 3, "fo2": 3}
            assert metric(port, "gitfleet_disruption_guard_active ") == 0
    finally:
        _restart_all(members)


def _add_node(client: KubeClient, name: str, cpu: str) -> None:
    created = client.request("POST", "/api/v1/nodes", what="create node",
                             body={"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
    created["spec"]["taints"] = []
    created = client.request("PUT", f"/api/v1/nodes/{name}", body=created, what="untaint node")
    allocatable = {"cpu": cpu, "memory": "64Gi", "pods": "110"}
    created["status"] = {"capacity": allocatable, "allocatable": allocatable}
    client.request("PUT", f"/api/v1/nodes/{name}/status", body=created, what="node status")


def test_nodes_raise_available_replicas_and_a_scale_up_deals_the_delta_by_them(
    members: LocalClusters, clients: dict[str, KubeClient], published: Published, tmp_path: Path,
) -> None:
    ns = "failover-c"
    files = {
        "fleet.yaml": fleet_yaml(ns),
        "clusters/fo1.yaml": cluster_yaml("fo1", cpu="2"),
        "clusters/fo2.yaml": cluster_yaml("fo2", cpu="2"),
        "templates/ns.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n",
        "templates/api.yaml": deployment(ns, "api", 2, cpu="1"),
        "policies/api.yaml": policy(ns, "api", "api", ["fo1", "fo2"], DYNAMIC),
    }
    published.publish(files)
    api = f"apps/v1/Deployment/{ns}/api"
    nodes: list[tuple[str, str]] = []
    try:
        with gitfleet_run(published.url, members.kubeconfig, tmp_path) as (_, log):
            assert wait_for("api placed", lambda: published.placement(api), 60, log) == {"fo1": 1, "fo2": 1}  # static summaries: 2 cpu each
            # fo2 gets Nodes with 12 cpu: the estimator reads them on its next round.
            for index, cpu in enumerate(("8", "4")):
                _add_node(clients["fo2"], f"{ns}-n{index}", cpu)
                nodes.append(("fo2", f"{ns}-n{index}"))
            summary = wait_for("fo2's live capacity recorded",
                               lambda: published.health("fo2").get("resourceSummary"), 30, log)
            assert summary["allocatable"]["cpu"] in ("12", 12)
            time.sleep(2)
            assert published.placement(api) == {"fo1": 1, "fo2": 1}  # capacity alone moves nothing
            published.publish({"templates/api.yaml": deployment(ns, "api", 8, cpu="1")})
            placed = wait_for("scale-up dealt", lambda: published.placement(api) if sum(
                v or 0 for v in published.placement(api).values()) == 8 else None, 60, log)
            # fo1 has no Nodes: the inventory's 2 cpu (1 free after its replica); fo2: 12 - 1.
            assert placed["fo2"] > placed["fo1"], placed
            wait_for("fo2 runs its share", lambda: replicas(clients["fo2"], ns, "api") == placed["fo2"], 30, log)
    finally:
        for member, node in nodes:
            clients[member].request("DELETE", f"/api/v1/nodes/{node}", what="delete node")


def test_an_offline_pr_diff_shows_the_placement_the_reconciler_applies_while_a_member_is_down(
    members: LocalClusters, clients: dict[str, KubeClient], published: Published, tmp_path: Path,
) -> None:
    ns = "failover-d"
    published.publish(_files(ns))
    web = f"apps/v1/Deployment/{ns}/web"
    try:
        with gitfleet_run(published.url, members.kubeconfig, tmp_path) as (_, log):
            wait_for("web 2/2/2", lambda: all(replicas(clients[n], ns, "web") == 2 for n in MEMBERS), 60, log)
            members.stop_member("fo1")
            wait_for("fo1 evicted", lambda: "fo1" not in published.placement(web) and published.placement(web),
                     40, log)
            # A pull request scales web to 8, diffed offline on a clone that has the status branch.
            clone = tmp_path / "pr"
            pygit2.clone_repository(published.url, str(clone))
            subprocess.run(["git", "-C", str(clone), "fetch", "origin", "gitfleet/status:gitfleet/status"],
                           check=True, capture_output=True, timeout=60)
            (clone / "templates" / "web.yaml").write_text(deployment(ns, "web", 8))
            subprocess.run(["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@e", "commit",
                            "-qam", "scale web"], check=True, timeout=60)
            out = subprocess.run([sys.executable, "-m", "gitfleet", "diff", str(clone), "--base", "origin/main",
                                  "--head", "HEAD", "-o", "json"], check=False, capture_output=True, text=True, timeout=120)
            assert out.returncode in (0, 1), out.stderr
            report = json.loads(out.stdout)
            shown = _diff_placement(report, web, published.placement(web))
            assert "fo1" not in shown, shown
            # Merged: the reconciler applies exactly that placement.
            published.publish({"templates/web.yaml": deployment(ns, "web", 8)})
            applied = wait_for("web scaled to 8", lambda: published.placement(web) if sum(
                v or 0 for v in published.placement(web).values()) == 8 else None, 60, log)
            assert applied == shown
    finally:
        _restart_all(members)


def _diff_placement(report: dict[str, Any], resource: str, base: dict[str, int | None]) -> dict[str, int | None]:
    """The head's placement of ``resource``: ``base`` with the diff's placement changes."""
    head = dict(base)
    changes = [c for c in report.get("placements") or () if c.get("resource") == resource]
    assert changes, f"{resource} not in the diff's placement changes: {json.dumps(report)[:2000]}"
    for change in changes:
        if change["type"] == "replicas" and change.get("cluster"):
            head[change["cluster"]] = change["new"]
        elif change["type"] == "moved":
            for name in change["from"]:
                head.pop(name, None)
            for name in change["to"]:
                head.setdefault(name, None)
    return head
