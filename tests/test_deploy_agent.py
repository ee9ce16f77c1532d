"""deploy/agent/: the manifests agree with ``gitfleet agent`` (the config validates, the
probes point at its endpoints, the age key is where SOPS_AGE_KEY_FILE says), run it
without privileges, hold the always-needed rules the code prints, and ``kubectl
kustomize`` renders them, with the placeholder replaced by ``--print-rbac``'s output too;
a real API server accepts every one of them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitfleet.kube import KubeClient
from gitfleet.reconcile.agent import load_agent_config
from gitfleet.service.agent_rbac import ALWAYS, NAME, NAMESPACE, Rule, rbac_manifests

AGENT = Path(__file__).resolve().parents[1] / "deploy" / "agent"
KUSTOMIZATION = yaml.safe_load((AGENT / "kustomization.yaml").read_text())
KUBECTL = shutil.which("kubectl")


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((AGENT / name).read_text()) if d]


def _manifests() -> list[dict[str, Any]]:
    return [d for name in KUSTOMIZATION["resources"] for d in _docs(name)]


def _one(kind: str) -> dict[str, Any]:
    found = [m for m in _manifests() if m["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


def _container() -> dict[str, Any]:
    (container,) = _one("Deployment")["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_kustomization_lists_every_file() -> None:
    listed = set(KUSTOMIZATION["resources"]) | {p["path"] for p in KUSTOMIZATION["patches"]}
    assert listed == {p.name for p in AGENT.glob("*.yaml")} - {"kustomization.yaml"}
    assert {m["metadata"].get("namespace", NAMESPACE) for m in _manifests()} == {NAMESPACE}


def test_the_config_validates_and_listens_on_the_probed_port(tmp_path: Path) -> None:
    config_file = tmp_path / "agent.yaml"
    config_file.write_text(_one("ConfigMap")["data"]["agent.yaml"])
    config = load_agent_config(str(config_file), {})
    container = _container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert config.listen == f"0.0.0.0:{ports['http']}"
    assert (container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]) == (
        {"path": "/healthz", "port": "http"}, {"path": "/readyz", "port": "http"})
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert container["args"] == ["agent", "--config", f"{mounts['config']}/agent.yaml"]
    service = _one("Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["selector"] == _one("Deployment")["spec"]["selector"]["matchLabels"]


def test_one_agent_in_the_member_with_its_own_service_account() -> None:
    deployment = _one("Deployment")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == NAME == _one("ServiceAccount")["metadata"]["name"]
    assert pod.get("automountServiceAccountToken", True)  # in-cluster: its own token


def test_the_age_key_and_git_credentials_come_from_secrets() -> None:
    container = _container()
    env = {e["name"]: e for e in container["env"]}
    volumes = {v["name"]: v for v in _one("Deployment")["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    key_file = Path(env["SOPS_AGE_KEY_FILE"]["value"])
    (key_volume,) = [n for n, m in mounts.items() if Path(m["mountPath"]) == key_file.parent]
    assert mounts[key_volume]["readOnly"] is True
    assert volumes[key_volume]["secret"]["secretName"] == "gitfleet-agent-age"
    assert env["GITFLEET_GIT_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "gitfleet-git"
    assert env["HOME"]["value"] == "/tmp"
    assert Path(env["GITFLEET_CACHE"]["value"]) in {Path(m["mountPath"]) for m in mounts.values()}
    for name in ("cache", "tmp"):
        assert volumes[name] == {"name": name, "emptyDir": {}}


def test_nothing_privileged() -> None:
    pod = _one("Deployment")["spec"]["template"]["spec"]
    assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
    assert not any("hostPath" in v for v in pod["volumes"])
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    context = _container()["securityContext"]
    assert context == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                       "capabilities": {"drop": ["ALL"]}}
    assert "limits" in _container()["resources"] and "requests" in _container()["resources"]


def test_the_shipped_rules_are_the_always_needed_ones() -> None:
    always = [r.to_json() for r in ALWAYS]
    assert _one("ClusterRole")["rules"] == always
    (placeholder,) = _docs("rbac-rules.yaml")
    assert placeholder["kind"] == "ClusterRole" and placeholder["metadata"]["name"] == NAME
    assert placeholder["rules"] == always
    binding = _one("ClusterRoleBinding")
    account = _one("ServiceAccount")
    assert binding["roleRef"]["name"] == _one("ClusterRole")["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": account["metadata"]["namespace"]}]


def _kustomize(folder: Path) -> list[dict[str, Any]]:
    assert KUBECTL is not None
    out = subprocess.run([KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


MANAGED = Rule(("apps",), ("deployments",), ("get", "list", "create", "patch", "delete"))


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kustomize_renders_it_and_the_printed_rbac_replaces_the_rules(tmp_path: Path) -> None:
    shipped = _kustomize(AGENT)
    assert sorted(d["kind"] for d in shipped) == sorted(m["kind"] for m in _manifests())
    folder = tmp_path / "agent"
    shutil.copytree(AGENT, folder)
    printed = rbac_manifests((*ALWAYS, MANAGED), "edge-1")
    (folder / "rbac-rules.yaml").write_text(yaml.safe_dump_all(printed))
    (role,) = [d for d in _kustomize(folder) if d["kind"] == "ClusterRole"]
    assert role["rules"] == [r.to_json() for r in (*ALWAYS, MANAGED)]


@pytest.mark.cluster
@pytest.mark.xdist_group("cluster")
def test_an_api_server_accepts_the_manifests(kube: dict[str, KubeClient]) -> None:
    client = kube["member1"]
    client.apply(_one("Namespace"))  # namespaced objects are dry-run inside it
    for manifest in _manifests():
        if manifest["kind"] != "Namespace":
            answer = client.apply(manifest, dry_run=True)
            assert answer["metadata"]["name"] == manifest["metadata"]["name"]
