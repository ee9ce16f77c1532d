"""What the fleet repo brings to re-scheduling: the NoExecute eviction switch in
fleet.yaml (``spec.failover.noExecuteEviction``, default true) and WorkloadRebalancer
documents, read as rebalancers rather than ignored, their mistakes reported at
``path:line:col``."""

from __future__ import annotations

import pytest
from load.repos import inventory, repo, y

from gitfleet.load import load_fleet, validate_files
from gitfleet.model.keys import ResourceId
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.source import SourcePos

FLEET_HEAD = "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: demo}\n"


@pytest.mark.parametrize(("spec", "expected"), [
    ("", True),
    ("spec: {failover: {}}\n", True),
    ("spec: {failover: {noExecuteEviction: true}}\n", True),
    ("spec: {failover: {noExecuteEviction: false}}\n", False),
], ids=["absent", "empty", "true", "false"])
def test_no_execute_eviction_switch(spec: str, expected: bool) -> None:
    fleet = load_fleet({"fleet.yaml": (FLEET_HEAD + spec).encode(), **inventory("m1")})
    assert fleet.settings.no_execute_eviction is expected


@pytest.mark.parametrize("spec", [
    "spec: {failover: {noExecuteEviction: 'no'}}\n",
    "spec: {failover: {noExecuteEvictions: false}}\n",
    "spec: {failover: false}\n",
], ids=["not-a-boolean", "misspelled", "not-a-mapping"])
def test_a_bad_switch_is_an_error_in_fleet_yaml(spec: str) -> None:
    problems = [p for p in validate_files({"fleet.yaml": (FLEET_HEAD + spec).encode(), **inventory("m1")})
                if p.severity == "error"]
    assert problems and all(p.path == "fleet.yaml" and p.line == 4 for p in problems)


REBALANCER = y("""
    apiVersion: apps.karmada.io/v1alpha1
    kind: WorkloadRebalancer
    metadata:
      name: move-web
      creationTimestamp: "2026-12-04T10:00:00+01:00"
    spec:
      workloads:
        - {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}
        - {apiVersion: v1, kind: Namespace, name: shop}
      ttlSecondsAfterFinished: 60
""")


def test_a_rebalancer_is_read_not_ignored() -> None:
    fleet = load_fleet(repo({**inventory("m1"), "ops/rebalance.yaml": REBALANCER}))
    assert fleet.rebalancers == (Rebalancer(
        "move-web", "2026-12-04T09:00:00Z",
        (ResourceId("apps/v1", "Deployment", "shop", "web"), ResourceId("v1", "Namespace", None, "shop")),
        SourcePos("ops/rebalance.yaml", 1, 1),
    ),)
    assert fleet.templates == () and fleet.warnings == ()


def test_a_rebalancer_without_creation_time_has_none() -> None:
    doc = REBALANCER.replace(b'  creationTimestamp: "2026-12-04T10:00:00+01:00"\n', b"")
    (found,) = load_fleet(repo({**inventory("m1"), "r.yaml": doc})).rebalancers
    assert found.created == "" and found.token == "move-web@"


BROKEN = [
    ("wrong-version", REBALANCER.replace(b"v1alpha1\nkind", b"v1beta9\nkind"), 1, "unsupported apiVersion"),
    ("bad-time", REBALANCER.replace(b"2026-12-04T10:00:00+01:00", b"yesterday"), 5, "not an RFC 3339 time"),
    ("no-workloads", REBALANCER.split(b"  workloads:")[0] + b"  workloads: []\n", 7, "non-empty list"),
    ("unknown-spec-field", REBALANCER + b"  paused: true\n", 11, "unknown field"),
    ("unknown-ref-field", REBALANCER.replace(b"name: web}", b"name: web, uid: x}"), 8, "unknown field"),
    ("ref-without-name", REBALANCER.replace(b", name: shop}", b"}"), 9, "name must be a non-empty string"),
    ("ref-not-a-mapping", REBALANCER.replace(b"- {apiVersion: v1, kind: Namespace, name: shop}", b"- shop"), 9,
     "must be a mapping"),
    ("no-name", REBALANCER.replace(b"  name: move-web\n", b""), 3, "needs a name"),
]


@pytest.mark.parametrize(("doc", "line", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_rebalancer_is_reported_at_its_position(doc: bytes, line: int, message: str) -> None:
    problems = [p for p in validate_files(repo({**inventory("m1"), "r.yaml": doc})) if p.severity == "error"]
    assert [(p.path, p.line) for p in problems] == [("r.yaml", line)], problems
    assert message in problems[0].message


def test_two_rebalancers_with_one_name_are_an_error() -> None:
    problems = validate_files(repo({**inventory("m1"), "a.yaml": REBALANCER, "b.yaml": REBALANCER}))
    assert [(p.path, p.line, p.severity) for p in problems] == [("b.yaml", 4, "error")]
