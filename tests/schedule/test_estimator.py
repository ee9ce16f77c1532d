"""The live estimator (issue 11 item 5): a member's Nodes and Pods as Karmada's
scheduler-estimator reads them, and the render's estimate from the record."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schedule_builders import cluster

from gitfleet.model.cluster import NodeCapacity, ResourceSummary, Taint
from gitfleet.model.policy import Toleration
from gitfleet.schedule.capacity import estimate
from gitfleet.schedule.errors import CapacityError
from gitfleet.schedule.estimator import ObservationError, available_replicas, observe, pod_requests
from gitfleet.schedule.workload import Workload, interpret


def node(name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110", *, taints: list[dict[str, str]] | None = None,
         unschedulable: bool = False, extra: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods, **(extra or {})}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": spec,
            "status": {"capacity": allocatable, "allocatable": allocatable}}


def container(name: str = "c", restart: str | None = None, **requests: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "image": "x", "resources": {"requests": dict(requests)}}
    if restart:
        out["restartPolicy"] = restart
    return out


def pod(name: str, node_name: str | None, *containers: dict[str, Any], phase: str = "Running",
        init: tuple[dict[str, Any], ...] = (), overhead: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": list(containers) or [container()]}
    if node_name is not None:
        spec["nodeName"] = node_name
    if init:
        spec["initContainers"] = list(init)
    if overhead:
        spec["overhead"] = overhead
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ns"}, "spec": spec,
            "status": {"phase": phase}}


NO_SCHEDULE = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
TOLERATE_DEDICATED = (Toleration(key="dedicated", operator="Equal", value="gpu", effect="NoSchedule"),)


@pytest.mark.parametrize(
    ("case", "the_pod", "expected"),
    [
        ("containers are summed", pod("p", "n", container(cpu="250m", memory="64Mi"), container(cpu="0.5")),
         {"cpu": 750, "memory": 64 * 2**20}),
        ("an init container bigger than the sum wins",
         pod("p", "n", container(cpu="100m"), init=(container(cpu="1"),)), {"cpu": 1000}),
        ("init containers run one at a time: the largest, not the sum",
         pod("p", "n", container(cpu="100m"), init=(container(cpu="300m"), container(cpu="400m"))), {"cpu": 400}),
        ("a sidecar runs beside the containers",
         pod("p", "n", container(cpu="100m"), init=(container(cpu="200m", restart="Always"),)), {"cpu": 300}),
        ("an init step after a sidecar needs the sidecar too",
         pod("p", "n", container(cpu="100m"),
             init=(container(cpu="200m", restart="Always"), container(cpu="500m"))), {"cpu": 700}),
        ("overhead is added", pod("p", "n", container(cpu="100m"), overhead={"cpu": "50m", "memory": "1Mi"}),
         {"cpu": 150, "memory": 2**20}),
        ("limits fill missing requests",
         pod("p", "n", {"name": "c", "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "1"}}}),
         {"cpu": 1000, "memory": 2**30}),
        ("extended resources count, unknown names do not",
         pod("p", "n", container(**{"nvidia.com/gpu": "2", "bogus": "5"})), {"nvidia.com/gpu": 2}),
        ("CPU rounds up to a millicore per pod", pod("p", "n", container(cpu="0.1m")), {"cpu": 1}),
        ("no requests", pod("p", "n", {"name": "c"}), {}),
    ],
)
def test_pod_requests(case: str, the_pod: dict[str, Any], expected: dict[str, int]) -> None:
    assert pod_requests(the_pod) == expected


def test_observe_records_totals_and_groups_identical_nodes() -> None:
    nodes = [node("a"), node("b"), node("c"), node("t", taints=[NO_SCHEDULE, {"key": "soft", "effect": "PreferNoSchedule"}]),
             node("off", unschedulable=True)]
    pods = [pod("p1", "c", container(cpu="1500m", memory="1Gi")),
            pod("done", "a", container(cpu="4"), phase="Succeeded"),
            pod("failed", "b", container(cpu="4"), phase="Failed"),
            pod("pending", None, container(cpu="4"))]
    summary = observe(nodes, pods)
    assert summary.allocatable == {"cpu": "20", "memory": "40Gi", "pods": "550"}
    assert summary.allocated == {"cpu": "1500m", "memory": "1Gi", "pods": "1"}
    assert summary.nodes == (
        NodeCapacity(1, {"cpu": "2500m", "memory": "7Gi", "pods": "109"}),
        NodeCapacity(2, {"cpu": "4", "memory": "8Gi", "pods": "110"}),
        NodeCapacity(1, {"cpu": "4", "memory": "8Gi", "pods": "110"}, (Taint("dedicated", "gpu", "NoSchedule"),)),
    )


def test_observe_rejects_an_unreadable_quantity_naming_the_object() -> None:
    with pytest.raises(ObservationError, match=r"node a: status.allocatable.cpu"):
        observe([node("a", cpu="lots")], [])
    with pytest.raises(ObservationError, match=r"pod ns/p: container c.memory"):
        observe([node("a")], [pod("p", "a", container(memory="1 Gi"))])


WEB = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}


def web(requests: dict[str, str], tolerations: list[Any] | None = None) -> Workload:
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "resources": {"requests": requests}}]}
    if tolerations is not None:
        pod_spec["tolerations"] = tolerations
    workload = interpret({**WEB, "spec": {"replicas": 3, "template": {"spec": pod_spec}}})
    assert workload is not None
    return workload


def live(nodes: list[dict[str, Any]], pods: list[dict[str, Any]] | None = None) -> ResourceSummary:
    return observe(nodes, pods or [])


@pytest.mark.parametrize(
    ("case", "summary", "workload", "replicas"),
    [
        ("per node, not the cluster total: 2 x 1.5 CPU free fit no 2-CPU replica",
         live([node("a", cpu="1500m"), node("b", cpu="1500m")]), web({"cpu": "2"}), 0),
        ("floor per node, summed", live([node("a", cpu="3"), node("b", cpu="5")]), web({"cpu": "2"}), 3),
        ("the smallest resource bounds", live([node("a", cpu="8", memory="1Gi")]), web({"cpu": "1", "memory": "300Mi"}), 3),
        ("the pods limit bounds", live([node("a", cpu="8", pods="2")]), web({"cpu": "1"}), 2),
        ("bound pods take slots and requests",
         live([node("a", cpu="4", pods="3")], [pod("x", "a", container(cpu="1")), pod("y", "a", container(cpu="1"))]),
         web({"cpu": "500m"}), 1),
        ("no requests: the free slots", live([node("a", pods="5"), node("b", pods="7")]), web({}), 12),
        ("an untolerated NoSchedule taint skips the node",
         live([node("a", cpu="4"), node("t", cpu="4", taints=[NO_SCHEDULE])]), web({"cpu": "1"}), 4),
        ("a tolerated taint does not",
         live([node("a", cpu="4"), node("t", cpu="4", taints=[NO_SCHEDULE])]),
         web({"cpu": "1"}, [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]), 8),
        ("Exists tolerates every value", live([node("t", cpu="4", taints=[NO_SCHEDULE])]),
         web({"cpu": "1"}, [{"key": "dedicated", "operator": "Exists"}]), 4),
        ("NoExecute skips too", live([node("t", cpu="4", taints=[{"key": "k", "effect": "NoExecute"}])]),
         web({"cpu": "1"}), 0),
        ("PreferNoSchedule does not", live([node("t", cpu="4", taints=[{"key": "k", "effect": "PreferNoSchedule"}])]),
         web({"cpu": "1"}), 4),
        ("unschedulable nodes are skipped", live([node("a", cpu="4"), node("b", cpu="4", unschedulable=True)]),
         web({"cpu": "1"}), 4),
        ("a node without the extended resource holds none",
         live([node("a", cpu="4"), node("g", cpu="4", extra={"nvidia.com/gpu": "2"})]), web({"nvidia.com/gpu": "1"}), 2),
        ("an overcommitted node holds none",
         live([node("a", cpu="1"), node("b", cpu="2")], [pod("x", "a", container(cpu="3"))]), web({"cpu": "1"}), 2),
        ("no nodes at all", live([]), web({"cpu": "1"}), 0),
        ("malformed tolerations are ignored, not trusted", live([node("t", cpu="4", taints=[NO_SCHEDULE])]),
         web({"cpu": "1"}, ["dedicated", {"key": 5, "operator": "Exists"}]), 0),
    ],
)
def test_estimate_from_the_observed_nodes(case: str, summary: ResourceSummary, workload: Workload, replicas: int) -> None:
    assert estimate(cluster("m1", rs=summary), workload).replicas == replicas


def test_the_reason_names_the_nodes() -> None:
    summary = live([node("a", cpu="4"), node("t", cpu="4", taints=[NO_SCHEDULE]), node("z", cpu="0")])
    assert estimate(cluster("m1", rs=summary), web({"cpu": "1"})).reason == (
        "4 replicas fit on 1 of 3 observed nodes (1 with untolerated taints)")


def test_static_summary_is_the_fallback() -> None:
    static = ResourceSummary(allocatable={"pods": 110, "cpu": "3"})
    assert estimate(cluster("m1", rs=static), web({"cpu": "2"})).replicas == 1  # cluster total / request
    observed = ResourceSummary(allocatable={"pods": 110, "cpu": "3"}, nodes=(NodeCapacity(3, {"cpu": "1", "pods": "9"}),))
    assert estimate(cluster("m1", rs=observed), web({"cpu": "2"})).replicas == 0


def test_an_unreadable_recorded_quantity_is_a_capacity_error() -> None:
    bad = ResourceSummary(nodes=(NodeCapacity(1, {"cpu": "x", "pods": "9"}),))
    with pytest.raises(CapacityError, match="cluster m1: observed resourceSummary nodes"):
        estimate(cluster("m1", rs=bad), web({"cpu": "1"}))


def test_tolerations_are_read_from_the_pod_template() -> None:
    workload = web({}, [{"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}, {"effect": "NoSchedule"}])
    assert workload.tolerations == (Toleration("a", "Exists", "", "NoExecute"), Toleration("", "", "", "NoSchedule"))


# -- properties -------------------------------------------------------------------------

quantities = st.integers(0, 64)
taint_choice = st.sampled_from([[], [NO_SCHEDULE], [{"key": "k", "effect": "NoExecute"}]])
node_strategy = st.builds(
    lambda i, cpu, mem, pods, taints, off: node(f"n{i}", f"{cpu * 250}m", f"{mem}Gi", str(pods), taints=taints,
                                                unschedulable=off),
    st.integers(0, 10**6), quantities, quantities, st.integers(0, 30), taint_choice, st.booleans(),
)
request_strategy = st.fixed_dictionaries({}, optional={"cpu": st.integers(1, 8).map(lambda n: f"{n * 250}m"),
                                                       "memory": st.integers(1, 8).map(lambda n: f"{n}Gi")})
toleration_strategy = st.sampled_from([None, [{"key": "dedicated", "operator": "Exists"}], [{"operator": "Exists"}]])


def _unique(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({n["metadata"]["name"]: n for n in nodes}.values())


def _replicas(nodes: list[dict[str, Any]], pods: list[dict[str, Any]], workload: Workload) -> int:
    return estimate(cluster("m1", rs=observe(nodes, pods)), workload).replicas


@settings(max_examples=150, deadline=None)
@given(st.lists(node_strategy, max_size=6), node_strategy, request_strategy, toleration_strategy)
def test_adding_a_node_never_lowers_availability(
    nodes: list[dict[str, Any]], extra: dict[str, Any], requests: dict[str, str], tolerations: list[Any] | None
) -> None:
    extra["metadata"]["name"] = "extra-node"
    nodes = _unique(nodes)
    workload = web(requests, tolerations)
    assert _replicas([*nodes, extra], [], workload) >= _replicas(nodes, [], workload)


@settings(max_examples=150, deadline=None)
@given(st.lists(node_strategy, min_size=1, max_size=6), st.data(), request_strategy,
       st.integers(0, 8), st.integers(0, 8))
def test_a_bound_pod_lowers_availability_by_its_requests(
    nodes: list[dict[str, Any]], data: st.DataObject, requests: dict[str, str], cpu: int, mem: int
) -> None:
    """A pod bound to node X changes only X's share: it becomes exactly what X alone
    would hold with that much less allocatable and one slot less."""
    nodes = _unique(nodes)
    target = data.draw(st.sampled_from(nodes))
    workload = web(requests)
    bound = pod("p", target["metadata"]["name"], container(cpu=f"{cpu * 250}m", memory=f"{mem}Gi"))
    others = [n for n in nodes if n is not target]
    shrunk = node("shrunk", f"{_cpu(target) - cpu * 250}m", f"{_gi(target) - mem}Gi",
                  str(int(target["status"]["allocatable"]["pods"]) - 1),
                  taints=target["spec"].get("taints"), unschedulable=target["spec"].get("unschedulable", False))
    before = _replicas(nodes, [], workload)
    after = _replicas(nodes, [bound], workload)
    assert after <= before
    assert after == _replicas(others, [], workload) + _replicas([shrunk], [], workload)


def _cpu(n: dict[str, Any]) -> int:
    return int(n["status"]["allocatable"]["cpu"].removesuffix("m"))


def _gi(n: dict[str, Any]) -> int:
    return int(n["status"]["allocatable"]["memory"].removesuffix("Gi"))


@settings(max_examples=100, deadline=None)
@given(st.lists(node_strategy, max_size=6), st.randoms(use_true_random=False))
def test_the_record_does_not_depend_on_the_listing_order(nodes: list[dict[str, Any]], rnd: Any) -> None:
    nodes = _unique(nodes)
    shuffled = list(nodes)
    rnd.shuffle(shuffled)
    assert observe(nodes, []) == observe(shuffled, [])


def test_the_recorded_quantities_read_back_to_the_same_estimate() -> None:
    """``free`` is written as text; the estimate from the text equals the integer views."""
    summary = live([node("a", cpu="1001m", memory="1500Mi", pods="7")],
                   [pod("x", "a", container(cpu="0.5m", memory="1"))])
    assert summary.nodes == (NodeCapacity(1, {"cpu": "1", "memory": str(1500 * 2**20 - 1), "pods": "6"}),)
    assert available_replicas(summary.nodes, [("cpu", 250), ("memory", 100 * 2**20)], ()).replicas == 4


def test_estimates_for_fractions_of_a_millicore_match_karmada() -> None:
    workload = Workload(1, {"cpu": Fraction(1, 1000)})
    assert estimate(cluster("m1", rs=live([node("a", cpu="5m")])), workload).replicas == 5
