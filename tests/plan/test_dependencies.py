"""propagateDeps: which objects a workload refers to (Karmada's native interpreter)."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.plan.dependencies import dependencies


def deployment(pod: dict[str, Any], kind: str = "Deployment") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"},
            "spec": {"template": {"spec": pod}}}


CASES = [
    ("env-configmap", deployment({"containers": [{"name": "c", "env": [
        {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}}]}]}),
     ["v1/ConfigMap/ns/cm"]),
    ("env-secret", deployment({"containers": [{"name": "c", "env": [
        {"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}),
     ["v1/Secret/ns/s"]),
    ("envfrom-both", deployment({"containers": [{"name": "c", "envFrom": [
        {"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "s"}}]}]}),
     ["v1/ConfigMap/ns/cm", "v1/Secret/ns/s"]),
    ("init-and-ephemeral-containers", deployment({
        "initContainers": [{"name": "i", "envFrom": [{"configMapRef": {"name": "init-cm"}}]}],
        "ephemeralContainers": [{"name": "e", "envFrom": [{"secretRef": {"name": "eph"}}]}],
        "containers": []}),
     ["v1/ConfigMap/ns/init-cm", "v1/Secret/ns/eph"]),
    ("volumes", deployment({"containers": [], "volumes": [
        {"name": "a", "configMap": {"name": "vol-cm"}},
        {"name": "b", "secret": {"secretName": "vol-s"}},
        {"name": "c", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "d", "projected": {"sources": [{"configMap": {"name": "p-cm"}}, {"secret": {"name": "p-s"}}]}},
        {"name": "e", "csi": {"driver": "x", "nodePublishSecretRef": {"name": "csi-s"}}},
        {"name": "f", "rbd": {"secretRef": {"name": "rbd-s"}}},
        {"name": "g", "azureFile": {"secretName": "az-s", "shareName": "x"}}]}),
     ["v1/ConfigMap/ns/p-cm", "v1/ConfigMap/ns/vol-cm", "v1/PersistentVolumeClaim/ns/data",
      "v1/Secret/ns/az-s", "v1/Secret/ns/csi-s", "v1/Secret/ns/p-s", "v1/Secret/ns/rbd-s",
      "v1/Secret/ns/vol-s"]),
    ("service-account-and-pull-secret", deployment({
        "serviceAccountName": "runner", "imagePullSecrets": [{"name": "regcred"}], "containers": []}),
     ["v1/Secret/ns/regcred", "v1/ServiceAccount/ns/runner"]),
    ("default-service-account-ignored", deployment({"serviceAccountName": "default", "containers": []}), []),
    ("statefulset-drops-claim-templates", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}],
                 "template": {"spec": {"containers": [], "volumes": [
                     {"name": "x", "persistentVolumeClaim": {"claimName": "data"}},
                     {"name": "y", "persistentVolumeClaim": {"claimName": "shared"}}]}}}},
     ["v1/PersistentVolumeClaim/ns/shared"]),
    ("cronjob-job-template", {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "envFrom": [{"configMapRef": {"name": "cron-cm"}}]}]}}}}}},
     ["v1/ConfigMap/ns/cron-cm"]),
    ("pod", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
             "spec": {"containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "pod-s"}}]}]}},
     ["v1/Secret/ns/pod-s"]),
    ("ingress-tls", {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
                     "spec": {"tls": [{"secretName": "tls-a"}, {"hosts": ["x"]}]}},
     ["v1/Secret/ns/tls-a"]),
    ("service-has-none", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}}, []),
    ("duplicates-collapse", deployment({"containers": [
        {"name": "a", "envFrom": [{"configMapRef": {"name": "cm"}}]},
        {"name": "b", "envFrom": [{"configMapRef": {"name": "cm"}}]}]}),
     ["v1/ConfigMap/ns/cm"]),
]


@pytest.mark.parametrize(("obj", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_dependencies(obj: dict[str, Any], expected: list[str]) -> None:
    assert [d.key for d in dependencies(obj, "ns")] == expected
