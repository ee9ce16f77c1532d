"""Readiness read back from the members' apply reports (``status/<cluster>.yaml``), and
the health files, as every render sees them."""

from __future__ import annotations

import pytest

from gitfleet.model.cluster import Taint
from gitfleet.model.health import ClusterHealth, TargetReady
from gitfleet.model.state import EvictionTask, FleetState, PreviousTarget, ResourceState
from gitfleet.status.health import HealthError, health_files
from gitfleet.status.observed import awaiting_readiness, read_observed, ready_in_report

WEB = "apps/Deployment/shop/web"
CFG = "v1/ConfigMap/shop/cfg"

REPORT = f"""cluster: m1
state: Applied
inventory: [{WEB}, {CFG}, v1/Secret/shop/broken]
failures:
  - {{resource: v1/Secret/shop/broken, action: failed, message: nope}}
workloads:
  - {{resource: {WEB}, ready: true, readyReplicas: 3, replicas: 3}}
"""


@pytest.mark.parametrize(("raw", "expected"), [
    (REPORT, {TargetReady("m1", WEB, 3), TargetReady("m1", CFG)}),
    (REPORT.replace("ready: true", "ready: false"), {TargetReady("m1", CFG)}),
    # Another cluster's report filed under m1 counts for nothing.
    (REPORT.replace("cluster: m1", "cluster: m9"), set()),
    ("inventory: {not: a list}\n", set()),
    ("[unclosed", set()),
    ("", set()),
    (f"cluster: m1\ninventory: [{WEB}]\nworkloads: [{{resource: {WEB}, ready: true, replicas: -1}}]\n",
     {TargetReady("m1", WEB)}),
])
def test_ready_in_report(raw: str, expected: set[TargetReady]) -> None:
    assert ready_in_report("m1", raw.encode()) == expected


def test_readiness_is_read_only_where_a_task_waits() -> None:
    task = EvictionTask("m3", 2, "Gracefully", "taint", "2026-12-04T10:00:00Z")
    state = FleetState(resources={WEB: ResourceState(WEB, clusters=(PreviousTarget("m1", 3),),
                                                     eviction_tasks=(task,))})
    assert awaiting_readiness(state) == {"m1"}
    files = {"status/m1.yaml": REPORT.encode(), "status/m2.yaml": REPORT.replace("m1", "m2").encode()}
    assert {r.cluster for r in read_observed(files, awaiting_readiness(state)).ready} == {"m1"}
    assert read_observed(files).ready == frozenset()


def test_health_files_are_read_with_the_reports() -> None:
    down = ClusterHealth("m3", taints=(Taint("cluster.karmada.io/unreachable", effect="NoSchedule"),))
    observed = read_observed({**health_files({"m3": down}), "status/m1.yaml": REPORT.encode()})
    assert observed.health["m3"].taints == down.taints


def test_a_hostile_health_file_is_refused_at_its_position() -> None:
    with pytest.raises(HealthError) as err:
        read_observed({"status/clusters/m3.yaml": b"version: 1\ncluster: m3\ntaints: 7\n"})
    assert err.value.path == "status/clusters/m3.yaml" and err.value.line == 3


@pytest.mark.parametrize(("raw", "problem"), [
    (b"cluster: m1\nstate: Applied\n", None),
    (b"cluster: m2\nstate: Applied\n", "is about 'm2', not 'm1'"),
    (b"- a\n", "not one YAML mapping"),
    (b"cluster: m1\n---\ncluster: m1\n", "not one YAML mapping"),
    (b"cluster: [unclosed\n", "not YAML"),
    (b"cluster: m1\nx: '" + b"y" * (8 * 1024 * 1024) + b"'\n", "more than"),
])
def test_an_agent_report_is_merged_only_when_it_is_about_its_member(raw: bytes, problem: str | None) -> None:
    from gitfleet.status.observed import report_problem

    found = report_problem("m1", raw)
    assert (found is None) if problem is None else (found is not None and problem in found)
