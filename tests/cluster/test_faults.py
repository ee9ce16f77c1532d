"""Faults against real API servers: a member that is down, one that dies in the middle
of an apply, missing credentials and RBAC refusals; and the client's own limits."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from kubernetes.client import Configuration

from cluster.kit import configmap, keyed, namespace
from gitfleet.apply.engine import apply_fleet
from gitfleet.apply.request import ClusterRequest
from gitfleet.apply.statusfile import cluster_status
from gitfleet.kube import ClientSettings, ConfigError, KubeClient, connect
from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import free_port

# One xdist worker runs the whole tier, so one set of member clusters serves it.
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def _client(name: str, host: str, token: str, ca: str | None, settings: ClientSettings | None = None) -> KubeClient:
    cfg = Configuration()
    cfg.host = host
    cfg.api_key = {"authorization": token}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    cfg.ssl_ca_cert = ca
    return KubeClient(name, cfg, settings)


def test_unreachable_cluster_does_not_block_the_others(kube: dict[str, KubeClient], ns: str) -> None:
    ghost = _client("ghost", f"https://127.0.0.1:{free_port()}", "x", None)
    desired = keyed(namespace(ns), configmap(ns, "a"))
    requests = {n: ClusterRequest(n, "demo", desired) for n in ("member1", "ghost", "nocreds")}
    clients: dict[str, KubeClient | Exception] = {"member1": kube["member1"], "ghost": ghost,
               "nocreds": ConfigError("cluster nocreds: no context named 'nocreds'")}
    result = apply_fleet(clients, requests)
    assert result.clusters["member1"].ok and result.clusters["member1"].complete
    assert result.clusters["ghost"].error is not None and "cluster unreachable" in result.clusters["ghost"].error
    assert result.clusters["nocreds"].error == "cluster nocreds: no context named 'nocreds'"
    assert result.exit_code() == 3


def test_api_server_dying_mid_apply(member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str) -> None:
    # A slow client of its own, so the apply is surely still running when the server dies.
    slow = _client("member2", member_clusters.members["member2"].server, member_clusters.admin_token,
                   str(member_clusters.pki.ca_cert) if member_clusters.pki else None,
                   ClientSettings(concurrency=2))
    desired = keyed(namespace(ns), *(configmap(ns, f"c{i:03d}") for i in range(200)))
    requests = {n: ClusterRequest(n, "demo", desired) for n in ("member1", "member2")}

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 60
        while slow.stats.writes < 20 and time.monotonic() < deadline:
            time.sleep(0.005)
        member_clusters.kill_member("member2")

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    try:
        result = apply_fleet({"member1": kube["member1"], "member2": slow}, requests)
        killer.join()
        broken = result.clusters["member2"]
        assert result.clusters["member1"].ok and result.clusters["member1"].complete
        assert broken.error is not None and "unreachable" in broken.error and not broken.complete
        assert 20 <= len(broken.attempted) < len(desired)
        # What the status file records keeps every key the dead run had sent.
        doc = cluster_status(broken, "rev2", desired, previous={"appliedRevision": "rev1"}, inventory=[])
        assert set(doc["inventory"]) == set(broken.attempted) and doc["appliedRevision"] == "rev1"
    finally:
        killer.join()
        member_clusters.start_member("member2")

    # The next run converges: what was created stays, the rest is created ...
    again = apply_fleet({"member2": kube["member2"]}, {"member2": requests["member2"]}).clusters["member2"]
    counts = again.counts()
    assert again.ok and again.complete
    assert counts.get("created", 0) + counts.get("unchanged", 0) == len(desired)
    assert counts.get("unchanged", 0) >= 10  # what the dead run wrote is not written again
    assert all(kube["member2"].get(ResourceId.parse(k)) is not None for k in desired)
    # ... and keys only the dead run knew about are still pruned later.
    sent = sorted(k for k in broken.attempted if k.startswith("v1/ConfigMap/"))[:3]
    keep = {k: m for k, m in desired.items() if k not in sent}
    pruned = apply_fleet({"member2": kube["member2"]}, {"member2": ClusterRequest(
        "member2", "demo", keep, inventory=frozenset(doc["inventory"]))}).clusters["member2"]
    assert sorted(o.key for o in pruned.objects if o.action == "pruned") == sent


def test_rbac_refusal_is_reported_per_object(member_clusters: LocalClusters, ns: str) -> None:
    nobody = _client("member1", member_clusters.members["member1"].server, member_clusters.nobody_token,
                     str(member_clusters.pki.ca_cert) if member_clusters.pki else None)
    desired = keyed(configmap(ns, "a"))
    result = apply_fleet({"member1": nobody}, {"member1": ClusterRequest("member1", "demo", desired)})
    (obj,) = result.clusters["member1"].objects
    assert obj.action == "failed" and "forbidden" in obj.message and "gitfleet-nobody" in obj.message


def test_client_rate_limit_until_the_server_announces_priority_and_fairness(
    member_clusters: LocalClusters,
) -> None:
    ca = str(member_clusters.pki.ca_cert) if member_clusters.pki else None
    server, token = member_clusters.members["member1"].server, member_clusters.admin_token
    honoring = _client("member1", server, token, ca, ClientSettings(qps=5, burst=1))
    honoring.server_version()
    assert honoring.apf and not honoring.bucket.enabled
    started = time.monotonic()
    for _ in range(5):
        honoring.server_version()
    assert time.monotonic() - started < 1.0

    limited = _client("member1", server, token, ca, ClientSettings(qps=20, burst=1, honor_apf=False))
    for _ in range(6):
        limited.server_version()
    assert limited.bucket.enabled and limited.stats.throttled_seconds >= 0.2


def test_credentials_from_a_management_cluster(member_clusters: LocalClusters, kube: dict[str, KubeClient],
                                               ns: str) -> None:
    """member1 plays the management cluster holding member2's Karmada-style Secret."""
    management = kube["member1"]
    assert member_clusters.pki is not None
    management.apply(namespace(ns))
    management.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "member2", "namespace": ns},
                      "data": {"token": base64.b64encode(member_clusters.admin_token.encode()).decode(),
                               "caBundle": base64.b64encode(member_clusters.pki.ca_cert.read_bytes()).decode()}})
    far = Cluster("far", api_endpoint=member_clusters.members["member2"].server,
                  secret_ref={"namespace": ns, "name": "member2"})
    missing = Cluster("lost", api_endpoint=member_clusters.members["member2"].server,
                      secret_ref={"namespace": ns, "name": "nope"})
    clients = connect([far, missing], member_clusters.kubeconfig, management=management)
    client = clients["far"]
    assert isinstance(client, KubeClient)
    assert client.server_version().startswith("v1.20")
    assert isinstance(clients["lost"], ConfigError) and "not found" in str(clients["lost"])
    no_management = connect([far], member_clusters.kubeconfig)["far"]
    assert isinstance(no_management, ConfigError) and "--management-context" in str(no_management)

