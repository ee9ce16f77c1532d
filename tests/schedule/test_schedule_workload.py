"""The replica interpreter and per-pod request (KARMADA-SEMANTICS §8, §2.4, §3)."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import pytest
from schedule_builders import deployment, placement, static

from gitfleet.model.plan import ClusterTarget
from gitfleet.schedule.errors import WorkloadError
from gitfleet.schedule.workload import (
    Workload,
    divide_job_completions,
    interpret,
    pod_request,
    revise_completions,
    revise_replicas,
)


def job(parallelism: int | None = None, completions: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"template": {"spec": {"containers": [{"name": "c"}]}}}
    if parallelism is not None:
        spec["parallelism"] = parallelism
    if completions is not None:
        spec["completions"] = completions
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": spec}


@pytest.mark.parametrize(
    ("obj", "replicas"),
    [
        (deployment(3), 3),
        (deployment(None), 1),
        (deployment(0), 0),
        ({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"replicas": 4}}, 4),
        ({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {}}, 1),
        (job(parallelism=5, completions=3), 3),
        (job(parallelism=2, completions=10), 2),
        (job(parallelism=4), 4),
        (job(completions=6), 1),
        (job(), 1),
        ({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}}, 1),
    ],
    ids=["deploy-3", "deploy-default-1", "deploy-0", "sts", "rs-default", "job-min-completions",
         "job-min-parallelism", "job-work-queue", "job-parallelism-default", "job-both-default", "pod"],
)
def test_interpret_replicas(obj: dict[str, Any], replicas: int) -> None:
    workload = interpret(obj)
    assert workload is not None
    assert workload.replicas == replicas


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {}},
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {}},
        {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "spec": {"replicas": 2}},
        {"apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet", "spec": {"replicas": 2}},
    ],
    ids=["daemonset", "cronjob", "configmap", "old-group-version", "crd"],
)
def test_kinds_without_interpreter(obj: dict[str, Any]) -> None:
    assert interpret(obj) is None


@pytest.mark.parametrize(
    ("pod_spec", "expected"),
    [
        ({"containers": [{"resources": {"requests": {"cpu": "100m"}}},
                         {"resources": {"requests": {"cpu": "250m"}}}]},
         {"cpu": Fraction(350, 1000)}),
        ({"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                                        "requests": {"cpu": "200m"}}}]},
         {"cpu": Fraction(200, 1000), "memory": Fraction(2**30)}),
        ({"containers": [{"resources": {"requests": {"cpu": "100m"}}}],
          "initContainers": [{"resources": {"requests": {"cpu": "500m"}}},
                             {"resources": {"requests": {"cpu": "300m", "memory": "10"}}}]},
         {"cpu": Fraction(500, 1000), "memory": Fraction(10)}),
        ({"containers": [{"resources": {"requests": {"cpu": "100m"}}}], "overhead": {"cpu": "50m"}},
         {"cpu": Fraction(150, 1000)}),
        ({"containers": [{"resources": {"requests": {"memory": "1.5", "cpu": "0.0001"}}}]},
         {"memory": Fraction(2), "cpu": Fraction(1, 1000)}),
        ({"containers": [{"resources": {"requests": {"nvidia.com/gpu": "1", "hugepages-2Mi": "4Mi",
                                                     "storage": "1Gi", "requests.foo/bar": "1"}}}]},
         {"nvidia.com/gpu": Fraction(1), "hugepages-2Mi": Fraction(4 * 2**20)}),
        ({"containers": [{"name": "c"}]}, {}),
        ({}, {}),
    ],
    ids=["sum-containers", "limits-fill-requests", "init-is-a-floor", "overhead", "rounded-up",
         "scalar-resources-only", "no-resources", "empty-spec"],
)
def test_pod_request(pod_spec: dict[str, Any], expected: dict[str, Fraction]) -> None:
    assert pod_request(pod_spec) == expected


def test_node_claim_makes_a_zero_replica_deployment_a_workload() -> None:
    obj = deployment(0)
    obj["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    workload = interpret(obj)
    assert workload == Workload(0, {}, node_claim=True)
    assert workload.is_workload


@pytest.mark.parametrize(
    ("workload", "is_workload"),
    [(Workload(0), False), (Workload(2), True), (Workload(0, {"cpu": Fraction(1)}), True)],
    ids=["zero-no-requests", "replicas", "requests-only"],
)
def test_is_workload(workload: Workload, is_workload: bool) -> None:
    assert workload.is_workload is is_workload


@pytest.mark.parametrize(
    "replicas", ["3", -1, True, 1.5, 2**31], ids=["string", "negative", "bool", "float", "beyond-int32"],
)
def test_malformed_replicas(replicas: Any) -> None:
    with pytest.raises(WorkloadError, match="spec.replicas must be an integer from 0 to 2147483647"):
        interpret({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": replicas}})


def test_malformed_quantity_names_the_container() -> None:
    obj = deployment(1, cpu="lots")
    with pytest.raises(WorkloadError, match="container 'app': resource cpu: invalid quantity"):
        interpret(obj)


@pytest.mark.parametrize(
    ("obj", "field", "value"),
    [
        (deployment(3), "replicas", 2),
        (deployment(None), "replicas", 2),
        ({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"replicas": 3}}, "replicas", 1),
        (job(parallelism=4, completions=8), "parallelism", 2),
        (job(), "parallelism", 2),
    ],
    ids=["deployment", "deployment-without-replicas", "statefulset", "job", "job-defaulted"],
)
def test_revise_replicas(obj: dict[str, Any], field: str, value: int) -> None:
    revise_replicas(obj, value)
    assert obj["spec"][field] == value


@pytest.mark.parametrize(
    "obj",
    [{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}},
     {"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {}},
     {"apiVersion": "v1", "kind": "ConfigMap"}],
    ids=["pod", "daemonset", "configmap"],
)
def test_revise_replicas_leaves_other_kinds(obj: dict[str, Any]) -> None:
    before = copy.deepcopy(obj)
    revise_replicas(obj, 7)
    assert obj == before


DIVIDED = placement(static())


@pytest.mark.parametrize(
    ("obj", "targets", "plc", "expected"),
    [
        # Weights 3:1 over 10: the fewer-seats tie rule hands b its 1st and 3rd seats.
        (job(parallelism=4, completions=10), [("a", 3), ("b", 1)], DIVIDED, {"a": 7, "b": 3}),
        (job(parallelism=2, completions=2), [("a", 1), ("b", 1)], DIVIDED, {"a": 1, "b": 1}),
        (job(), [("a", 1)], DIVIDED, {"a": 1}),
        (job(parallelism=4), [("a", 2), ("b", 2)], DIVIDED, None),
        (job(parallelism=4, completions=8), [("a", 4), ("b", 4)], placement(), None),
        (job(parallelism=0, completions=8), [("a", 0)], DIVIDED, None),
        (deployment(2), [("a", 1), ("b", 1)], DIVIDED, None),
    ],
    ids=["webster-by-parallelism", "even", "both-defaulted", "work-queue", "duplicated", "zero-replicas",
         "not-a-job"],
)
def test_divide_job_completions(
    obj: dict[str, Any], targets: list[tuple[str, int]], plc: Any, expected: dict[str, int] | None
) -> None:
    result = divide_job_completions(obj, [ClusterTarget(n, r) for n, r in targets], plc)
    assert result == expected
    if result is not None:
        copy_ = copy.deepcopy(obj)
        revise_completions(copy_, result["a"])
        assert copy_["spec"]["completions"] == result["a"]
