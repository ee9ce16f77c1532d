"""deploy/: the manifests agree with the reconciler (the run config validates, the
probes and the Service point at the endpoints it serves) and a real API server
accepts every one of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitfleet.kube import KubeClient
from gitfleet.reconcile.config import parse_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _manifests() -> list[dict[str, Any]]:
    listed = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]
    out = []
    for name in listed:
        out.extend(d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d)
    return out


def _one(kind: str) -> dict[str, Any]:
    found = [m for m in _manifests() if m["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}


def test_run_config_validates_and_listens_on_the_probed_port() -> None:
    config = parse_config(yaml.safe_load(_one("ConfigMap")["data"]["run.yaml"]), "deploy/configmap.yaml")
    container = _one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert config.listen_address == ("0.0.0.0", ports["http"])
    assert (container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]) == (
        {"path": "/healthz", "port": "http"}, {"path": "/readyz", "port": "http"})
    service = _one("Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["selector"] == _one("Deployment")["spec"]["selector"]["matchLabels"]
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "config")
    assert container["args"] == ["run", "--config", f"{mount}/run.yaml"]


def test_rbac_grants_only_reading_secrets_and_keeping_leases() -> None:
    role, binding = _one("Role"), _one("RoleBinding")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
                             {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                              "verbs": ["get", "list", "create", "update"]}]
    account = _one("ServiceAccount")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": account["metadata"]["namespace"]}]
    assert _one("Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]


@pytest.mark.cluster
@pytest.mark.xdist_group("cluster")
def test_an_api_server_accepts_the_manifests(kube: dict[str, KubeClient]) -> None:
    client = kube["member1"]
    manifests = _manifests()
    client.apply(_one("Namespace"))  # namespaced objects are dry-run inside it
    for manifest in manifests:
        if manifest["kind"] != "Namespace":
            answer = client.apply(manifest, dry_run=True)
            assert answer["metadata"]["name"] == manifest["metadata"]["name"]


def test_several_replicas_share_through_leases_in_their_namespace() -> None:
    config = parse_config(yaml.safe_load(_one("ConfigMap")["data"]["run.yaml"]), "deploy/configmap.yaml",
                          environ={"POD_NAME": "gitfleet-abc"})
    deployment = _one("Deployment")
    assert deployment["spec"]["replicas"] > 1
    assert config.sharding is not None and config.sharding.identity == "gitfleet-abc"
    assert config.sharding.namespace == _one("Role")["metadata"]["namespace"]
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in env
