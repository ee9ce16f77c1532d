"""The agent's RBAC (``gitfleet agent --print-rbac``): the rules follow what the status
branch places in the member, and a real API server lets an agent holding exactly them
converge its member (and refuses one holding only the always-needed rules)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from kubernetes.client import Configuration

from gitfleet.cli.main import main
from gitfleet.git.source import open_source
from gitfleet.kube import KubeClient, connect
from gitfleet.model.cluster import Cluster
from gitfleet.service.agent import AgentMemory, AgentSettings, agent_pass
from gitfleet.service.agent_rbac import (
    ALWAYS,
    MANAGED_VERBS,
    NAMESPACE,
    RbacError,
    Rule,
    agent_rules,
    plural,
    rbac_manifests,
    rules_from_status,
)
from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import find_binaries
from tests.git.repos import commit

MEMBER = "aws-euw1-staging"  # the sample repo's Pull member
SAMPLE = Path(__file__).resolve().parents[2] / "sample-repo"
AGE_KEY = Path(__file__).resolve().parent / "data" / "sample-age.key"


@pytest.mark.parametrize(("kind", "resource"), [
    ("ConfigMap", "configmaps"),
    ("Deployment", "deployments"),
    ("NetworkPolicy", "networkpolicies"),
    ("Gateway", "gateways"),  # a vowel before the y
    ("Ingress", "ingresses"),
    ("IngressClass", "ingressclasses"),
    ("Prometheus", "prometheuses"),
    ("Mesh", "meshes"),
    ("Box", "boxes"),
    ("Endpoints", "endpoints"),  # irregular
    ("CSIStorageCapacity", "csistoragecapacities"),
    ("ServiceEntry", "serviceentries"),
])
def test_plural(kind: str, resource: str) -> None:
    assert plural(kind) == resource


def doc(api_version: str, kind: str, name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **extra}


def keyed(*docs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for d in docs:
        ns = d["metadata"].get("namespace") or "_"
        out[f"{d['apiVersion']}/{d['kind']}/{ns}/{d['metadata']['name']}"] = d
    return out


def managed(rules: tuple[Rule, ...]) -> dict[str, set[str]]:
    return {r.groups[0]: set(r.resources) for r in rules if r.verbs == MANAGED_VERBS}


CRD = doc("apiextensions.k8s.io/v1", "CustomResourceDefinition", "octopi.zoo.example",
          spec={"group": "zoo.example", "names": {"kind": "Octopus", "plural": "octopi"}})


@pytest.mark.parametrize(("docs", "inventory", "expected"), [
    ([doc("v1", "ConfigMap", "a", "shop"), doc("v1", "Namespace", "shop"), doc("apps/v1", "Deployment", "w", "shop")],
     [], {"": {"configmaps", "namespaces"}, "apps": {"deployments"}}),
    # Kinds only the last report lists are still pruned.
    ([doc("v1", "ConfigMap", "a", "shop")], ["batch/v1/CronJob/shop/old", "v1/ConfigMap/shop/gone"],
     {"": {"configmaps"}, "batch": {"cronjobs"}}),
    # A CRD the fleet manages names its kind's plural, irregular or not.
    ([CRD, doc("zoo.example/v1", "Octopus", "paul", "sea")], [],
     {"apiextensions.k8s.io": {"customresourcedefinitions"}, "zoo.example": {"octopi"}}),
    ([], [], {}),
])
def test_managed_rules(docs: list[dict[str, Any]], inventory: list[str], expected: dict[str, set[str]]) -> None:
    rbac = agent_rules(keyed(*docs), inventory)
    assert managed(rbac.rules) == expected
    assert rbac.rules[:len(ALWAYS)] == ALWAYS


def test_a_guessed_plural_of_a_custom_kind_is_noted() -> None:
    assert agent_rules(keyed(doc("v1", "ConfigMap", "a", "x"))).notes == ()
    notes = agent_rules(keyed(doc("zoo.example/v1", "Octopus", "paul", "sea"))).notes
    assert len(notes) == 1 and "Octopus.zoo.example -> octopuses" in notes[0]


def test_rbac_objects_get_escalate_and_bind_by_name_only() -> None:
    rbac = agent_rules(keyed(
        doc("rbac.authorization.k8s.io/v1", "ClusterRole", "reader"),
        doc("rbac.authorization.k8s.io/v1", "Role", "dev", "shop"),
        doc("rbac.authorization.k8s.io/v1", "RoleBinding", "dev", "shop",
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "dev"}),
        doc("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "view",
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}),
    ))
    special = sorted((r.resources, r.verbs, r.names) for r in rbac.rules if r.names)
    assert special == [(("clusterroles",), ("bind",), ("view",)), (("clusterroles",), ("escalate",), ("reader",)),
                       (("roles",), ("bind",), ("dev",)), (("roles",), ("escalate",), ("dev",))]


@pytest.mark.parametrize(("key", "inventory"), [
    ("v1/Config Map/shop/a", []),
    ("Bad_Group/v1/Thing/shop/a", []),
    ("v1/ConfigMap/shop/a", ["v1/Config\nMap/shop/a"]),
    ("v1/ConfigMap/shop/a", ["not-a-key"]),
])
def test_a_kind_or_group_no_api_serves_is_refused(key: str, inventory: list[str]) -> None:
    with pytest.raises(RbacError):
        agent_rules({key: {}}, inventory)


@pytest.mark.parametrize("files", [
    {f"clusters/{MEMBER}/shop/core.ConfigMap.a.yaml": b"a: [1\n"},
    {f"clusters/{MEMBER}/shop/core.ConfigMap.a.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: 3\n"},
    {f"clusters/{MEMBER}/shop/core.ConfigMap.a.yaml": b"\xff\xfe"},
    {f"status/{MEMBER}.yaml": b"inventory: 3\n"},
])
def test_a_malformed_status_branch_is_an_error(files: dict[str, bytes]) -> None:
    with pytest.raises(RbacError):
        rules_from_status(files, MEMBER)


_kinds = st.sampled_from(["ConfigMap", "Secret", "Deployment", "Octopus", "NetworkPolicy", "Gateway"])
_groups = st.sampled_from(["v1", "apps/v1", "zoo.example/v1", "networking.k8s.io/v1"])
_keys = st.builds(lambda g, k, n: f"{g}/{k}/ns/{n}", _groups, _kinds, st.sampled_from(["a", "b"]))


@given(st.lists(_keys, max_size=12), st.lists(_keys, max_size=6))
def test_every_managed_kind_is_granted_once_whatever_the_order(keys: list[str], inventory: list[str]) -> None:
    rbac = agent_rules({key: {} for key in keys}, inventory)
    assert rbac == agent_rules({key: {} for key in reversed(keys)}, list(reversed(inventory)))
    granted = [(g, res) for r in rbac.rules if r.verbs == MANAGED_VERBS for g in r.groups for res in r.resources]
    assert len(granted) == len(set(granted))
    for key in keys + inventory:
        api_version, kind = key.rsplit("/", 3)[0], key.rsplit("/", 3)[1]
        group = api_version.rpartition("/")[0]
        assert (group, plural(kind)) in granted


# -- from a real status branch -------------------------------------------------------


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(SAMPLE, root)
    commit(pygit2.init_repository(str(root), initial_head="main"), {}, "the sample fleet")
    assert main(["render", str(root), "--commit"]) == 0
    return root


def test_print_rbac_from_the_status_branch(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["agent", "--print-rbac", "--cluster", MEMBER, "--repo", str(sample)]) == 0
    docs = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [d["kind"] for d in docs] == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]
    account, role, binding = docs
    assert account["metadata"]["namespace"] == NAMESPACE
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": NAMESPACE}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    writes = {g: set(r["resources"]) for r in role["rules"] if "create" in r.get("verbs", ()) for g in r["apiGroups"]}
    # The Pull member gets a Namespace, a SOPS Secret, a CRD and one of its objects.
    assert writes == {"": {"namespaces", "secrets"}, "apiextensions.k8s.io": {"customresourcedefinitions"},
                      "shop.acme.example": {"featureflags"}}


@pytest.mark.parametrize(("argv", "message"), [
    (["--cluster", "nope"], "places nothing on 'nope'"),
    (["--cluster", "../x"], "at /cluster: '../x' does not match"),  # refused where it enters
    (["--cluster", MEMBER, "--status-branch", "no/such"], "no status branch no/such"),
])
def test_print_rbac_refusals(sample: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["agent", "--print-rbac", "--repo", str(sample), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_print_rbac_of_a_hand_edited_folder(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gitfleet.git.treebuild import update_tree

    repo = pygit2.Repository(str(sample))
    status = repo.references["refs/heads/gitfleet/status"].peel(pygit2.Commit)
    tree = update_tree(repo, status.tree, {f"clusters/{MEMBER}/shop/core.ConfigMap.x.yaml": b"kind: [\n"})
    sig = pygit2.Signature("mallory", "m@example.com")
    repo.create_commit("refs/heads/gitfleet/status", sig, sig, status.message, tree, [status.id])
    assert main(["agent", "--print-rbac", "--cluster", MEMBER, "--repo", str(sample)]) == 1
    err = capsys.readouterr().err
    assert f"clusters/{MEMBER}/" in err and "Traceback" not in err


# -- on a real API server ------------------------------------------------------------


@pytest.fixture(scope="module")
def member() -> Iterator[LocalClusters]:
    clusters = LocalClusters([MEMBER], binaries=find_binaries())
    clusters.start()
    try:
        yield clusters
    finally:
        clusters.stop()


def _apply(admin: KubeClient, manifests: list[dict[str, Any]]) -> None:
    for manifest in manifests:
        admin.apply(manifest)


def _token(admin: KubeClient) -> str:
    made = admin.request("POST", f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/gitfleet-agent/token",
                         body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                               "spec": {"expirationSeconds": 3600}}, what="token request")
    return str(made["status"]["token"])


def _agent_pass(sample: Path, client: KubeClient) -> Any:
    return agent_pass(open_source(str(sample)), AgentSettings(repo=str(sample), cluster=MEMBER, publish=False),
                      AgentMemory(), client)


@pytest.mark.cluster
@pytest.mark.xdist_group("agent")
def test_the_printed_rbac_is_enough_and_the_always_needed_rules_are_not(
    member: LocalClusters, sample: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(AGE_KEY))
    admin = connect([Cluster(MEMBER)], member.kubeconfig)[MEMBER]
    assert isinstance(admin, KubeClient), admin
    admin.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    _apply(admin, rbac_manifests(ALWAYS, MEMBER))
    cfg = Configuration()
    cfg.host = member.members[MEMBER].server
    cfg.api_key = {"authorization": _token(admin)}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    cfg.ssl_ca_cert = str(member.pki.ca_cert) if member.pki else None
    agent = KubeClient(MEMBER, cfg)
    try:
        refused = _agent_pass(sample, agent)
        assert refused.outcome == "partial", refused
        assert refused.result is not None
        assert any("forbidden" in o.message for o in refused.result.objects), refused.result.objects
        capsys.readouterr()
        assert main(["agent", "--print-rbac", "--cluster", MEMBER, "--repo", str(sample)]) == 0
        _apply(admin, list(yaml.safe_load_all(capsys.readouterr().out)))
        deadline = time.monotonic() + 10  # the RBAC authorizer sees the new rules through its informer
        while True:
            done = _agent_pass(sample, agent)
            if done.outcome == "applied" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert done.outcome == "applied", (done, done.result and done.result.objects)
        assert done.result is not None and all(o.action != "failed" for o in done.result.objects)
        assert {o.action for o in done.result.objects} <= {"created", "configured", "unchanged"}
        # The capacity report needs Nodes and Pods: the agent's own rules allow it.
        assert agent.request("GET", "/api/v1/nodes", what="list nodes") is not None
    finally:
        agent.close()
        admin.close()
