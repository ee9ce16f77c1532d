"""The pure parts of the apply engine and its adapters: no cluster needed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.apply.digest import DIGEST_ANNOTATION, applied_digest, manifest_digest, prepare
from gitfleet.apply.drift import (
    find_drift,
    is_ignored,
    keep_live_values,
    merge_key,
    object_changes,
    subset_changes,
)
from gitfleet.apply.engine import ApplyOptions
from gitfleet.apply.order import apply_waves, delete_waves
from gitfleet.apply.readiness import Readiness, readiness
from gitfleet.apply.request import cluster_requests
from gitfleet.apply.result import ClusterResult, FleetResult, ObjectResult
from gitfleet.apply.statusfile import aggregate_workloads, cluster_status, status_section
from gitfleet.kube.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServerError,
    TooManyRequests,
    error_for,
)
from gitfleet.kube.ratelimit import TokenBucket
from gitfleet.model.plan import ClusterTarget, Plan, ResourcePlacement
from gitfleet.model.resource import ApplySettings
from gitfleet.status.report import StatusReport
from gitfleet.testing.kubeconfig import kubeconfig_dict
from gitfleet.testing.pytest_plugin import opted_out

CRD = "apiextensions.k8s.io/v1/CustomResourceDefinition/_/widgets.example.com"
NS = "v1/Namespace/_/shop"
DEPLOY = "apps/v1/Deployment/shop/web"
CM = "v1/ConfigMap/shop/cfg"
SA = "v1/ServiceAccount/shop/web"
WIDGET = "example.com/v1/Widget/shop/w1"
WEBHOOK = "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration/_/hook"


@pytest.mark.parametrize(
    ("keys", "waves"),
    [
        ([DEPLOY, NS, CRD, WIDGET], [[CRD], [NS], [DEPLOY], [WIDGET]]),
        ([WEBHOOK, WIDGET, CM, SA], [[CM, SA], [WIDGET], [WEBHOOK]]),
        ([CM], [[CM]]),
        ([], []),
    ],
    ids=["crd-namespace-first", "webhooks-last", "one", "empty"],
)
def test_apply_waves(keys: list[str], waves: list[list[str]]) -> None:
    assert apply_waves(keys) == waves
    assert delete_waves(keys) == list(reversed(waves))


def _cm(name: str = "cfg", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"},
            "data": dict(data)}


def test_prepare_adds_labels_and_a_digest_that_tracks_content() -> None:
    one = prepare(_cm(a="1"), "demo")
    assert one["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "gitfleet", "gitfleet.io/fleet": "demo"}
    assert applied_digest(one) == manifest_digest(one)
    assert applied_digest(prepare(_cm(a="1"), "demo")) == applied_digest(one)
    assert applied_digest(prepare(_cm(a="2"), "demo")) != applied_digest(one)
    assert applied_digest(prepare(_cm(a="1"), "other")) != applied_digest(one)
    assert applied_digest(None) is None


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=5))
def test_digest_ignores_its_own_annotation(data: dict[str, str]) -> None:
    manifest = {**_cm(), "data": data}
    prepared = prepare(manifest, "f")
    assert prepare(prepared, "f")["metadata"]["annotations"][DIGEST_ANNOTATION] == applied_digest(prepared)
    assert manifest_digest(prepared) == manifest_digest(prepare(manifest, "f"))


DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "labels": {"a": "b"}},
    "spec": {"replicas": 3, "template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1", "resources": {"requests": {"cpu": "0.5"}}, "args": ["-x"]}]}}},
}


def _live(**changes: Any) -> dict[str, Any]:
    live: dict[str, Any] = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"a": "b", "extra": "x"}, "uid": "u",
                     "resourceVersion": "7", "managedFields": []},
        "spec": {"replicas": 3, "strategy": {"type": "RollingUpdate"}, "template": {"spec": {
            "restartPolicy": "Always",
            "containers": [
                {"name": "sidecar", "image": "envoy"},
                {"name": "web", "image": "nginx:1", "resources": {"requests": {"cpu": "500m"}}, "args": ["-x"],
                 "terminationMessagePath": "/dev/termination-log"},
            ]}}},
        "status": {"replicas": 3},
    }
    for pointer, value in changes.items():
        node = live
        parts = pointer.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[parts[-1]] = value
    return live


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (_live(), []),
        (_live(spec__replicas=5), [("/spec/replicas", 3, 5)]),
        (_live(metadata__labels={"a": "c"}), [("/metadata/labels/a", "b", "c")]),
        (_live(spec__template__spec__containers=[{"name": "web", "image": "nginx:2", "args": ["-x"],
                                                  "resources": {"requests": {"cpu": "0.5"}}}]),
         [("/spec/template/spec/containers/0/image", "nginx:1", "nginx:2")]),
        (_live(spec__template__spec__containers=[{"name": "web", "image": "nginx:1", "args": ["-x", "-y"],
                                                  "resources": {"requests": {"cpu": "0.5"}}}]),
         [("/spec/template/spec/containers/0/args", ["-x"], ["-x", "-y"])]),
        (_live(spec__template__spec__containers=[{"name": "other", "image": "nginx:1"}]),
         [("/spec/template/spec/containers/0", DEPLOYMENT["spec"]["template"]["spec"]["containers"][0], None)]),
    ],
    ids=["in-sync-despite-defaults-and-others", "replicas", "label", "image-by-merge-key", "atomic-args",
         "container-missing"],
)
def test_find_drift(live: dict[str, Any], expected: list[tuple[str, Any, Any]]) -> None:
    got = [(d.pointer, d.desired, d.live) for d in find_drift(DEPLOY, DEPLOYMENT, live)]
    assert got == expected


@pytest.mark.parametrize(
    ("rule", "pointer", "ignored"),
    [
        (("Deployment", "/spec/replicas"), "/spec/replicas", True),
        (("apps/v1/Deployment", "/spec"), "/spec/replicas", True),
        (("*", "/spec/replicas"), "/spec/replicas", True),
        (("StatefulSet", "/spec/replicas"), "/spec/replicas", False),
        (("Deployment", "/spec/rep"), "/spec/replicas", False),
    ],
    ids=["kind", "apiversion-kind-prefix", "any-kind", "other-kind", "not-a-path-prefix"],
)
def test_ignore_rules(rule: tuple[str, str], pointer: str, ignored: bool) -> None:
    assert is_ignored((rule,), "apps/v1", "Deployment", pointer) is ignored


def test_ignored_fields_are_not_drift_and_keep_their_live_value_on_reapply() -> None:
    live = _live(spec__replicas=7)
    rules = (("Deployment", "/spec/replicas"),)
    assert find_drift(DEPLOY, DEPLOYMENT, live, rules) == ()
    fixed = keep_live_values(DEPLOYMENT, live, rules + (("Deployment", "/spec/template/spec/containers/0/image"),))
    assert fixed["spec"]["replicas"] == 7
    assert fixed["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
    assert DEPLOYMENT["spec"]["replicas"] == 3  # the input is not changed


def test_secret_drift_is_masked_and_string_data_compares_with_data() -> None:
    secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
              "stringData": {"password": "hunter22"}}
    live: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
            "data": {"password": base64.b64encode(b"hunter22").decode()}}
    assert find_drift("v1/Secret/shop/s", secret, live) == ()
    live["data"]["password"] = base64.b64encode(b"changed!").decode()
    (drift,) = find_drift("v1/Secret/shop/s", secret, live)
    assert drift.pointer == "/data/password"
    assert "hunter22" not in repr(drift) and "changed!" not in repr(drift)
    assert drift.desired.startswith("sha256:") and drift.desired != drift.live


def test_object_changes_ignores_server_metadata_and_status() -> None:
    before = _live()
    after = _live(spec__replicas=4)
    after["metadata"]["resourceVersion"] = "8"
    after["status"] = {"replicas": 4}
    assert object_changes(before, after) == [("/spec/replicas", 3, 4)]


@pytest.mark.parametrize(
    ("items", "key"),
    [([{"name": "a"}, {"name": "b"}], "name"), ([{"containerPort": 80}, {"containerPort": 81}], "containerPort"),
     ([{"name": "a"}, {"name": "a"}], None), (["a"], None), ([], None)],
    ids=["name", "port", "duplicate", "scalars", "empty"],
)
def test_merge_key(items: list[Any], key: str | None) -> None:
    assert merge_key(items) == key


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
                    max_leaves=12))
def test_anything_is_in_sync_with_itself(value: Any) -> None:
    assert list(subset_changes(value, value)) == []


@pytest.mark.parametrize(
    ("obj", "ready", "replicas"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generation": 2},
          "spec": {"replicas": 3}, "status": {"observedGeneration": 2, "updatedReplicas": 3, "availableReplicas": 3}},
         True, (3, 3)),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generation": 2},
          "spec": {"replicas": 3}, "status": {"observedGeneration": 1, "updatedReplicas": 3, "availableReplicas": 3}},
         False, (3, 3)),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generation": 1},
          "spec": {}, "status": {}}, False, (0, 1)),
        ({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"generation": 1}, "spec": {"replicas": 2},
          "status": {"observedGeneration": 1, "updatedReplicas": 2, "readyReplicas": 1}}, False, (1, 2)),
        ({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"generation": 1},
          "status": {"observedGeneration": 1, "desiredNumberScheduled": 2, "numberReady": 2,
                     "updatedNumberScheduled": 2}}, True, (2, 2)),
        ({"apiVersion": "batch/v1", "kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}},
         True, None),
        ({"apiVersion": "batch/v1", "kind": "Job", "status": {"conditions": [{"type": "Failed", "status": "True"}]}},
         False, None),
        ({"apiVersion": "v1", "kind": "ConfigMap"}, True, None),
    ],
    ids=["deploy-ready", "deploy-old-generation", "deploy-no-status", "sts-not-ready", "ds-ready", "job-complete",
         "job-failed", "configmap-exists"],
)
def test_readiness(obj: dict[str, Any], ready: bool, replicas: tuple[int, int] | None) -> None:
    got = readiness(obj)
    assert got.ready is ready
    if replicas is not None:
        assert (got.ready_replicas, got.replicas) == replicas
    else:
        assert got.replicas is None


def test_cluster_requests_from_plan() -> None:
    anno = {"metadata": {"annotations": {"work.karmada.io/conflict-resolution": "abort"}}}
    plan = Plan(
        placements=(
            ResourcePlacement(CM, "PropagationPolicy/shop/p", (ClusterTarget("m1"), ClusterTarget("m2")),
                              conflict_resolution="Overwrite"),
            ResourcePlacement(SA, "PropagationPolicy/shop/p", (ClusterTarget("m1"),), conflict_resolution="Overwrite"),
            ResourcePlacement(DEPLOY, "PropagationPolicy/shop/q", (ClusterTarget("m1"),), suspended=("m1",)),
        ),
        manifests={"m1": {CM: {}, SA: anno, DEPLOY: {}}, "m2": {CM: {}}},
    )
    requests = cluster_requests(plan, "demo", ApplySettings(), {"m1": {CM, DEPLOY, NS}})
    m1 = requests["m1"]
    assert set(m1.desired) == {CM, SA}
    assert m1.overwrite == {CM}  # the annotation on SA says abort, and wins
    assert m1.prune_candidates() == {NS}  # the suspended Deployment is neither applied nor pruned
    assert requests["m2"].prune_candidates() == set()
    assert set(cluster_requests(plan, "demo", ApplySettings(), only=["m2"])) == {"m2"}
    assert cluster_requests(plan, "demo", ApplySettings(prune=False), {"m1": {NS}})["m1"].prune_candidates() == set()


def test_status_document_keeps_inventory_of_incomplete_runs() -> None:
    objects = [ObjectResult(CM, "created", readiness=Readiness(True)),
               ObjectResult(DEPLOY, "failed", "boom", readiness=None),
               ObjectResult(SA, "pruned")]
    done = ClusterResult("m1", objects, complete=True, attempted=frozenset({CM, DEPLOY}))
    doc = cluster_status(done, "abc", [CM, DEPLOY], inventory=[SA, NS], keep=[NS])
    assert doc["inventory"] == sorted([CM, DEPLOY, NS])
    assert doc["appliedRevision"] == "abc" and doc["state"] == "Degraded"
    assert doc["failures"] == [{"resource": DEPLOY, "action": "failed", "message": "boom"}]
    broken = ClusterResult("m1", objects, error="unreachable", attempted=frozenset({CM}))
    doc = cluster_status(broken, "def", [CM], previous={"appliedRevision": "abc"}, inventory=[SA, NS])
    assert doc["inventory"] == sorted([CM, NS])  # SA was pruned; CM was sent
    assert doc["appliedRevision"] == "abc" and doc["state"] == "Failed"


def test_aggregate_workloads_over_clusters() -> None:
    statuses = {
        "m1": {"workloads": [{"resource": DEPLOY, "ready": True, "readyReplicas": 4, "replicas": 4}]},
        "m2": {"workloads": [{"resource": DEPLOY, "ready": False, "readyReplicas": 1, "replicas": 2}]},
        "m3": {},
    }
    assert aggregate_workloads(statuses) == [
        {"resource": DEPLOY, "clusters": 2, "readyClusters": 1, "readyReplicas": 5, "replicas": 6}]


def test_fleet_exit_code() -> None:
    ok = FleetResult({"m1": ClusterResult("m1", [ObjectResult(CM, "unchanged")])})
    assert ok.exit_code() == 0
    ok.clusters["m2"] = ClusterResult("m2", [ObjectResult(CM, "conflict")])
    assert ok.exit_code() == 3


@pytest.mark.parametrize(
    ("status", "cls"),
    [(404, NotFound), (409, Conflict), (403, Forbidden), (401, Forbidden), (422, Invalid), (400, Invalid),
     (429, TooManyRequests), (500, ServerError), (503, ServerError)],
    ids=lambda v: str(v) if isinstance(v, int) else v.__name__,
)
def test_errors_by_status(status: int, cls: type) -> None:
    err = error_for("m1", status, b'{"kind":"Status","message":"the reason","reason":"X"}', "v1/ConfigMap/a/b")
    assert type(err) is cls
    assert err.message == "v1/ConfigMap/a/b: the reason" and err.status == status and str(err).startswith("m1: ")


def test_token_bucket_waits_beyond_the_burst_and_can_be_lifted() -> None:
    now = [0.0]
    slept: list[float] = []
    bucket = TokenBucket(10, 2, clock=lambda: now[0], sleep=slept.append)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]
    bucket.disable()
    assert bucket.acquire() == 0.0 and slept == [pytest.approx(0.1)]


def test_kubeconfig_has_a_context_per_cluster() -> None:
    doc = kubeconfig_dict({"m2": "https://127.0.0.1:2", "m1": "https://127.0.0.1:1"}, "tok", b"PEM")
    assert [c["name"] for c in doc["contexts"]] == ["m1", "m2"]
    assert doc["contexts"][1]["context"] == {"cluster": "m2", "user": "gitfleet-admin"}
    assert base64.b64decode(doc["clusters"][0]["cluster"]["certificate-authority-data"]) == b"PEM"


@pytest.mark.parametrize(
    ("env", "skipped"),
    [({}, False), ({"GITFLEET_SKIP_CLUSTER_TESTS": "1"}, True), ({"GITFLEET_SKIP_CLUSTER_TESTS": "0"}, False),
     ({"GITFLEET_SKIP_CLUSTER_TESTS": "1", "CI": "true"}, False)],
    ids=["default", "opt-out", "zero", "ci-ignores-opt-out"],
)
def test_cluster_tier_opt_out(env: dict[str, str], skipped: bool) -> None:
    assert opted_out(env) is skipped


def test_apply_options() -> None:
    assert ApplyOptions().writes
    assert not ApplyOptions(dry_run=True).writes
    assert not ApplyOptions(mode="drift").writes
    assert not ApplyOptions(mode="diff").writes


def test_status_section_lists_clusters_and_workloads() -> None:
    report = StatusReport("gitfleet/status", "c" * 40, "s" * 40, 0, (), {
        "m1": {"state": "Applied", "appliedRevision": "a" * 40, "objects": {"desired": 3, "ready": 2, "drifted": 1},
               "workloads": [{"resource": DEPLOY, "ready": False, "readyReplicas": 1, "replicas": 2}]},
        "m2": {"state": "Failed", "error": "cluster unreachable: refused", "objects": {"desired": 3, "ready": 0}},
    })
    assert status_section(report) == [
        "",
        "CLUSTER  STATE    APPLIED       OBJECTS",
        f"m1       Applied  {'a' * 12}  3 desired, 2 ready, 1 drifted",
        "m2       Failed   -             3 desired, 0 ready  error: cluster unreachable: refused",
        "",
        f"{'WORKLOAD':<{len(DEPLOY)}}  READY",
        f"{DEPLOY}  1/2 replicas, 0/1 clusters ready",
    ]
    assert status_section(StatusReport("gitfleet/status")) == []


def test_status_tree_moves_pull_folders_and_holds_clusters_not_run() -> None:
    from gitfleet.apply.session import status_tree
    from gitfleet.model.resource import FleetSettings

    def cm(value: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"},
                "data": {"v": value}}

    key = "v1/ConfigMap/ns/c"
    plan = Plan(
        placements=(ResourcePlacement(key, "PropagationPolicy/ns/p",
                                      (ClusterTarget("push"), ClusterTarget("pull"), ClusterTarget("skipped"))),),
        manifests={"push": {key: cm("new")}, "pull": {key: cm("new")}, "skipped": {key: cm("new")}},
    )
    old = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\ndata: {v: old}\n"
    previous = {f"clusters/{n}/ns/core.ConfigMap.c.yaml": old for n in ("push", "pull", "skipped")}
    result = FleetResult({"push": ClusterResult("push", complete=True)})
    files, extra = status_tree(plan, FleetSettings(), result, previous, "abc", frozenset({"pull"}))
    assert b"new" in files["clusters/push/ns/core.ConfigMap.c.yaml"]
    assert b"new" in files["clusters/pull/ns/core.ConfigMap.c.yaml"]  # its agent reads it
    assert files["clusters/skipped/ns/core.ConfigMap.c.yaml"] == old  # not applied: held
    assert set(extra) == {"status/push.yaml"}
