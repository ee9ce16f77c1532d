"""Adopting objects that already exist unmanaged in a member, from a fleet repo through
the plan to a real API server: a policy's ``conflictResolution: Overwrite`` adopts what
the policy places, while an auto-propagated Namespace is adopted only through its own
annotation, as in Karmada, and the conflict message says exactly that."""

from __future__ import annotations

import pytest

from cluster.kit import actions, configmap, namespace
from gitfleet.apply.engine import ApplyOptions, apply_cluster
from gitfleet.apply.request import cluster_requests
from gitfleet.apply.result import ClusterResult
from gitfleet.kube import KubeClient
from gitfleet.load import load_fleet
from gitfleet.model.keys import ResourceId
from gitfleet.plan.build import build_plan

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

FILES = {
    "clusters/member1.yaml": """
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: member1}
spec: {syncMode: Push}
""",
    "policies/pp.yaml": """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: adopt, namespace: "@NS@"}
spec:
  conflictResolution: Overwrite
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: taken}]
  placement: {clusterAffinity: {clusterNames: [member1]}}
""",
    "templates/ns.yaml": """
apiVersion: v1
kind: Namespace
metadata:
  name: "@NS@"
@ANNOTATIONS@""",
    "templates/cm.yaml": """
apiVersion: v1
kind: ConfigMap
metadata: {name: taken, namespace: "@NS@"}
data: {x: ours}
""",
}
NS_ANNOTATION = "  annotations: {work.karmada.io/conflict-resolution: overwrite}\n"


def apply_repo(client: KubeClient, ns: str, annotations: str) -> ClusterResult:
    files = {path: text.replace("@NS@", ns).replace("@ANNOTATIONS@", annotations).encode() for path, text in FILES.items()}
    fleet = load_fleet(files)
    plan = build_plan(fleet)
    request = cluster_requests(plan, fleet.settings.name, fleet.settings.apply, only=["member1"])["member1"]
    return apply_cluster(client, request, ApplyOptions())


def test_overwrite_adopts_the_workload_and_the_namespace_needs_its_annotation(
        kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    client.apply(namespace(ns))  # both exist already, without gitfleet's labels
    client.apply(configmap(ns, "taken", x="theirs"))
    ns_key, cm_key = f"v1/Namespace/_/{ns}", f"v1/ConfigMap/{ns}/taken"

    first = apply_repo(client, ns, "")
    assert actions(first) == {ns_key: "conflict", cm_key: "configured"}
    message = next(o.message for o in first.objects if o.key == ns_key)
    assert "annotate the Namespace in the fleet repo with work.karmada.io/conflict-resolution: overwrite" in message
    assert "a policy's conflictResolution does not apply to Namespaces" in message
    live_cm = client.get(ResourceId.parse(cm_key))
    assert live_cm is not None and live_cm["data"] == {"x": "ours"}
    live_ns = client.get(ResourceId.parse(ns_key))
    assert live_ns is not None and "gitfleet.io/fleet" not in (live_ns["metadata"].get("labels") or {})

    second = apply_repo(client, ns, NS_ANNOTATION)
    assert actions(second)[ns_key] == "configured" and second.ok
    live_ns = client.get(ResourceId.parse(ns_key))
    assert live_ns is not None and live_ns["metadata"]["labels"]["gitfleet.io/fleet"] == load_fleet(
        {"clusters/member1.yaml": FILES["clusters/member1.yaml"].encode()}).settings.name
