"""What makes an apply with nothing to do cheap, pinned against real API servers (the
time itself is measured by ``bench/apply.py``, never here): a no-op reads each kind
and namespace with one labelled LIST, sends no write, no dry run and no per-object GET,
so its requests do not grow with the number of objects; an object that drifted or whose
content changed among many unchanged ones costs exactly its own requests, and drift is
still corrected."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest

from cluster.kit import configmap, deployment, edit, keyed, namespace, run
from gitfleet.apply.engine import ApplyOptions, apply_cluster
from gitfleet.apply.request import ClusterRequest
from gitfleet.apply.result import ClusterResult
from gitfleet.cli.main import main
from gitfleet.kube import KubeClient, connect
from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.testing import LocalClusters
from tests.fleetrepo import commit_files, fleet_files

# One xdist worker runs the whole tier, so one set of member clusters serves it.
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

Call = tuple[str, str, dict[str, str]]  # method, path, query


def recorded(client: KubeClient) -> list[Call]:
    """Every request ``client`` sends from now on, in order."""
    calls: list[Call] = []
    send = client.request

    def request(method: str, path: str, query: Any = None, *args: Any, **kwargs: Any) -> Any:
        calls.append((method, path, dict(query or {})))
        return send(method, path, query, *args, **kwargs)

    client.request = request  # type: ignore[method-assign]
    return calls


def fresh_client(clusters: LocalClusters, name: str = "member1") -> KubeClient:
    """A client with nothing discovered yet, as every ``gitfleet apply`` process starts."""
    client = connect([Cluster(name)], clusters.kubeconfig)[name]
    assert isinstance(client, KubeClient), client
    return client


def fleet_of(ns: str, count: int) -> dict[str, dict[str, Any]]:
    """A Namespace with ``count`` objects in it, of three kinds."""
    manifests = [namespace(ns)]
    for i in range(count):
        kind = i % 3
        if kind == 0:
            manifests.append(configmap(ns, f"cfg-{i}", value=str(i)))
        elif kind == 1:
            manifests.append(deployment(ns, f"web-{i}", image=f"nginx:1.{i}"))
        else:
            manifests.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}", "namespace": ns},
                              "spec": {"selector": {"app": f"web-{i}"}, "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]}})
    return keyed(*manifests)


def measured(clusters: LocalClusters, desired: dict[str, dict[str, Any]],
             **options: Any) -> tuple[ClusterResult, list[Call]]:
    client = fresh_client(clusters)
    try:
        calls = recorded(client)
        request = ClusterRequest(client.name, "demo", desired)
        return apply_cluster(client, request, ApplyOptions(**options)), calls
    finally:
        client.close()


def lists(calls: list[Call]) -> Counter[str]:
    """LIST requests by collection path (kind and namespace)."""
    return Counter(path for method, path, query in calls if method == "GET" and "labelSelector" in query)


def is_discovery(path: str) -> bool:
    return path == "/version" or path == "/api/v1" or (path.startswith("/apis/") and path.count("/") == 3)


@pytest.mark.parametrize("count", [6, 60])
def test_noop_is_one_list_per_kind_and_namespace(member_clusters: LocalClusters, ns: str, count: int) -> None:
    desired = fleet_of(ns, count)
    cold, _ = measured(member_clusters, desired)
    assert cold.ok and cold.writes == len(desired)

    noop, calls = measured(member_clusters, desired)
    assert noop.ok and noop.complete and noop.writes == 0
    assert {o.action for o in noop.objects} == {"unchanged"} and len(noop.objects) == len(desired)
    assert [c for c in calls if c[0] != "GET"] == []  # no write, no dry run
    assert lists(calls) == {
        "/api/v1/namespaces": 1,
        f"/api/v1/namespaces/{ns}/configmaps": 1,
        f"/api/v1/namespaces/{ns}/services": 1,
        f"/apis/apps/v1/namespaces/{ns}/deployments": 1,
    }
    # Besides the lists only the server version and discovery: no object is read alone.
    others = [path for method, path, query in calls if "labelSelector" not in query]
    assert all(is_discovery(p) for p in others), others
    assert len(calls) == 4 + len(others) <= 8


def test_noop_requests_do_not_grow_with_objects(member_clusters: LocalClusters, ns: str) -> None:
    small, large = fleet_of(f"{ns}-a", 3), fleet_of(f"{ns}-b", 90)
    counts = []
    for desired in (small, large):
        measured(member_clusters, desired)
        result, calls = measured(member_clusters, desired)
        assert result.writes == 0
        counts.append(Counter(method for method, _, _ in calls))
    assert counts[0] == counts[1]


def test_changed_and_drifted_objects_among_many_cost_only_their_own_requests(
    kube: dict[str, KubeClient], ns: str
) -> None:
    client = kube["member1"]
    desired = fleet_of(ns, 30)
    run(client, "demo", desired)
    drifted = f"apps/v1/Deployment/{ns}/web-1"
    edit(client, drifted, {"spec": {"replicas": 7}})
    changed = f"v1/ConfigMap/{ns}/cfg-3"
    desired = {**desired, changed: configmap(ns, "cfg-3", value="new")}

    calls = recorded(client)
    try:
        result = run(client, "demo", desired)
    finally:
        del client.request  # back to the class's method
    actions = {o.key: (o.action, o.message) for o in result.objects if o.action != "unchanged"}
    assert actions == {drifted: ("configured", "drift corrected"), changed: ("configured", "")}
    writes = sorted((p, q.get("dryRun", "")) for m, p, q in calls if m != "GET")
    deployments, configmaps = f"/apis/apps/v1/namespaces/{ns}/deployments", f"/api/v1/namespaces/{ns}/configmaps"
    # The drift is confirmed by one server-side dry run, then corrected; the new content
    # is applied without one.
    assert writes == [(f"{configmaps}/cfg-3", ""), (f"{deployments}/web-1", ""), (f"{deployments}/web-1", "All")]
    assert result.writes == 2
    live = client.get(ResourceId.parse(drifted))
    assert live is not None and live["spec"]["replicas"] == 2

    again = run(client, "demo", desired)
    assert again.writes == 0 and not again.drift()


@pytest.fixture
def counted_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    """Every request of every client made while the test runs (the CLI makes its own)."""
    calls: list[Call] = []
    send = KubeClient.request

    def request(self: KubeClient, method: str, path: str, query: Any = None, *args: Any, **kwargs: Any) -> Any:
        calls.append((method, path, dict(query or {})))
        return send(self, method, path, query, *args, **kwargs)

    monkeypatch.setattr(KubeClient, "request", request)
    yield calls


def test_noop_cli_apply_writes_nothing_and_records_nothing(
    tmp_path: Path, member_clusters: LocalClusters, ns: str, counted_requests: list[Call],
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    commit_files(repo, fleet_files(ns))
    argv = ["apply", str(tmp_path / "fleet"), "--kubeconfig", str(member_clusters.kubeconfig), "-o", "json"]
    assert main(argv) == 0
    capsys.readouterr()
    tip = repo.references["refs/heads/gitfleet/status"].target
    counted_requests.clear()

    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert {a for c in out["clusters"] for a in c["counts"]} == {"unchanged"}
    assert [c for c in counted_requests if c[0] != "GET"] == []
    # Two members, each: one LIST per kind and namespace (Namespace, ConfigMap, Deployment).
    assert sum(lists(counted_requests).values()) == 2 * 3
    others = [path for _, path, query in counted_requests if "labelSelector" not in query]
    assert all(is_discovery(p) for p in others), others
    assert repo.references["refs/heads/gitfleet/status"].target == tip  # nothing new to record
