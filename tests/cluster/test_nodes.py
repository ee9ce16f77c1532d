"""The live estimator against real API servers (issue 11 item 5). The test clusters have
no kubelet and no scheduler: Nodes are created with their allocatable set through the
status subresource, Pods are bound by setting ``spec.nodeName`` directly.

The members are shared by the session, so every check compares with what the cluster
held before the test and removes the Nodes it made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gitfleet.kube import KubeClient
from gitfleet.kube.errors import NotFound
from gitfleet.kube.nodes import list_bound_pods, list_nodes, observe_member
from gitfleet.model.cluster import Cluster
from gitfleet.schedule.capacity import estimate
from gitfleet.schedule.workload import Workload, interpret

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

MEMBER = "member1"


@pytest.fixture
def made_nodes(kube: dict[str, KubeClient]) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        try:
            kube[MEMBER].request("DELETE", f"/api/v1/nodes/{name}", what=f"delete node {name}")
        except NotFound:
            pass


def add_node(client: KubeClient, names: list[str], name: str, cpu: str, pods: str = "110",
             taints: list[dict[str, str]] | None = None) -> None:
    created = client.request("POST", "/api/v1/nodes", body={"apiVersion": "v1", "kind": "Node",
                                                               "metadata": {"name": name}}, what="create node")
    names.append(name)
    # The TaintNodesByCondition admission plugin marks a new Node not-ready; with no
    # kubelet to clear it, the test plays the node lifecycle controller.
    created["spec"]["taints"] = taints or []
    created = client.request("PUT", f"/api/v1/nodes/{name}", body=created, what="untaint node")
    allocatable = {"cpu": cpu, "memory": "16Gi", "pods": pods}
    created["status"] = {"capacity": allocatable, "allocatable": allocatable}
    client.request("PUT", f"/api/v1/nodes/{name}/status", body=created, what="node status")


def add_pod(client: KubeClient, ns: str, name: str, node: str, cpu: str) -> None:
    client.request("POST", f"/api/v1/namespaces/{ns}/pods", what="create pod", body={
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
        "spec": {"nodeName": node, "automountServiceAccountToken": False,
                 "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}]}})


def setup_namespace(client: KubeClient, ns: str) -> None:
    client.request("POST", "/api/v1/namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": ns}}, what="create namespace")
    # No controller manager creates the default ServiceAccount the Pod admission asks for.
    client.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts", what="create sa",
                   body={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}})


def workload(cpu: str, tolerations: list[dict[str, Any]] | None = None) -> Workload:
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]}
    if tolerations:
        pod_spec["tolerations"] = tolerations
    out = interpret({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "x"},
                     "spec": {"replicas": 1, "template": {"spec": pod_spec}}})
    assert out is not None
    return out


def available(client: KubeClient, w: Workload, page_size: int = 500) -> int:
    return estimate(Cluster(MEMBER, resource_summary=observe_member(client, page_size)), w).replicas


def test_nodes_and_bound_pods_give_the_estimate(kube: dict[str, KubeClient], ns: str, made_nodes: list[str]) -> None:
    client = kube[MEMBER]
    # A request no pre-existing node of the session can be expected to serve twice over.
    w = workload("1")
    before = available(client, w)
    setup_namespace(client, ns)
    add_node(client, made_nodes, f"{ns}-a", cpu="4")
    assert available(client, w) == before + 4
    add_node(client, made_nodes, f"{ns}-b", cpu="2500m")
    assert available(client, w) == before + 6
    add_pod(client, ns, "p1", f"{ns}-a", cpu="1500m")
    add_pod(client, ns, "p2", f"{ns}-b", cpu="500m")
    assert available(client, w) == before + 2 + 2
    pods = {p["metadata"]["name"] for p in list_bound_pods(client) if p["metadata"]["namespace"] == ns}
    assert pods == {"p1", "p2"}


def test_taints_and_the_pods_limit(kube: dict[str, KubeClient], ns: str, made_nodes: list[str]) -> None:
    client = kube[MEMBER]
    plain, tolerant = workload("100m"), workload("100m", [{"key": "dedicated", "operator": "Exists"}])
    before_plain, before_tolerant = available(client, plain), available(client, tolerant)
    add_node(client, made_nodes, f"{ns}-small", cpu="8", pods="3")
    add_node(client, made_nodes, f"{ns}-gpu", cpu="1", taints=[{"key": "dedicated", "value": "gpu",
                                                                  "effect": "NoSchedule"}])
    assert available(client, plain) == before_plain + 3
    assert available(client, tolerant) == before_tolerant + 3 + 10


def test_listing_follows_continue_tokens(kube: dict[str, KubeClient], ns: str, made_nodes: list[str]) -> None:
    client = kube[MEMBER]
    for i in range(3):
        add_node(client, made_nodes, f"{ns}-{i}", cpu="1")
    names = [n["metadata"]["name"] for n in list_nodes(client, page_size=1)]
    assert set(made_nodes) <= set(names)
    assert len(names) == len(set(names)) == len(list_nodes(client))
    w = workload("1")
    assert available(client, w, page_size=1) == available(client, w)
