"""fleet.yaml ``spec.failover`` through a whole render with memory (``build_plan``):
a member tainted ``cluster.karmada.io/unreachable:NoExecute`` at T keeps its share until
T + the default toleration (300 s, the webhook's default the policy did not write),
loses it then; the eviction task carries the policy's ``failover.cluster.purgeMode``,
else the fleet's ``purgeMode``; it ends at the fleet's ``gracefulEvictionTimeout``."""

from __future__ import annotations

import pytest
from load.repos import PP_HEAD, cluster, deployment, pp

from gitfleet.load import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.model.state import EMPTY_STATE, FleetState, PlanMemory
from gitfleet.plan.build import build_plan

UNREACHABLE = "cluster.karmada.io/unreachable"
T0 = "2026-12-04T10:00:00Z"  # first render, no taint
TAINTED = "2026-12-04T10:10:00Z"  # m2's taint timeAdded
KEY = "apps/v1/Deployment/default/web"


def _at(seconds: int) -> str:
    """TAINTED + seconds, RFC 3339."""
    minutes, secs = divmod(600 + seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2026-12-04T{10 + hours:02d}:{minutes:02d}:{secs:02d}Z"


def _files(failover: str = "", policy_failover: str = "", taint: bool = True) -> dict[str, bytes]:
    fleet = "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: demo}\n"
    if failover:
        fleet += f"spec:\n  failover: {{{failover}}}\n"
    taints = f"  taints:\n    - {{key: {UNREACHABLE}, effect: NoExecute, timeAdded: '{TAINTED}'}}\n" if taint else ""
    spec = """
        resourceSelectors:
          - {apiVersion: apps/v1, kind: Deployment, name: web}
        placement:
          replicaScheduling: {replicaSchedulingType: Divided}
    """ + policy_failover
    return {
        "fleet.yaml": fleet.encode(),
        "clusters/m1.yaml": cluster("m1"),
        "clusters/m2.yaml": cluster("m2", taints),
        "clusters/m3.yaml": cluster("m3"),
        "policies/web.yaml": pp(spec, kind_head=PP_HEAD),
        "templates/web.yaml": deployment("web", replicas=6),
    }


def _render(files: dict[str, bytes], state: FleetState, now: str) -> Plan:
    return build_plan(load_fleet(files), PlanMemory(state, now))


def _placed(plan: Plan) -> dict[str, int | None]:
    (placement,) = (p for p in plan.placements if p.resource == KEY)
    return {c.name: c.replicas for c in placement.clusters}


def _first(failover: str = "", policy_failover: str = "") -> FleetState:
    plan = _render(_files(failover, policy_failover, taint=False), EMPTY_STATE, T0)
    assert _placed(plan) == {"m1": 2, "m2": 2, "m3": 2}
    assert plan.state is not None
    return plan.state


@pytest.mark.parametrize(("seconds", "placed"), [
    (0, {"m1": 2, "m2": 2, "m3": 2}),
    (299, {"m1": 2, "m2": 2, "m3": 2}),
    (300, {"m1": 3, "m3": 3}),
    (3600, {"m1": 3, "m3": 3}),
], ids=["tainted-now", "one-second-before", "at-300s", "an-hour-later"])
def test_unreachable_evicts_after_the_default_300s(seconds: int, placed: dict[str, int]) -> None:
    plan = _render(_files(), _first(), _at(seconds))
    assert _placed(plan) == placed
    notes = plan.explanations[KEY].notes
    default = [n for n in notes if "spec.failover.defaultUnreachableTolerationSeconds" in n]
    assert default and "tolerates it for 300 s by default" in default[0]


@pytest.mark.parametrize(("failover", "before", "at"), [
    ("defaultUnreachableTolerationSeconds: 60", 59, 60),
    ("defaultUnreachableTolerationSeconds: 0", None, 0),
    ("defaultNotReadyTolerationSeconds: 5", 299, 300),  # the other taint's default changes nothing here
], ids=["60s", "zero-at-once", "not-ready-setting-only"])
def test_the_default_comes_from_fleet_yaml(failover: str, before: int | None, at: int) -> None:
    state = _first(failover)
    if before is not None:
        assert "m2" in _placed(_render(_files(failover), state, _at(before)))
    assert "m2" not in _placed(_render(_files(failover), state, _at(at)))


def test_a_policy_toleration_wins_over_the_default() -> None:
    own = f"""
          clusterTolerations:
            - {{key: {UNREACHABLE}, operator: Exists, effect: NoExecute, tolerationSeconds: 1000}}
    """
    state = _first(policy_failover=own)
    assert "m2" in _placed(_render(_files(policy_failover=own), state, _at(999)))
    assert "m2" not in _placed(_render(_files(policy_failover=own), state, _at(1000)))


@pytest.mark.parametrize(("fleet_mode", "policy_mode", "expected"), [
    (None, None, "Gracefully"),
    ("Directly", None, "Directly"),
    (None, "Directly", "Directly"),
    ("Directly", "Gracefully", "Gracefully"),
    ("Gracefully", "Directly", "Directly"),
], ids=["defaults", "fleet-directly", "policy-directly", "policy-overrides-fleet", "policy-overrides-fleet-2"])
def test_purge_mode_lands_in_the_eviction_task(fleet_mode: str | None, policy_mode: str | None, expected: str) -> None:
    failover = f"purgeMode: {fleet_mode}" if fleet_mode else ""
    # spec.failover.cluster of the policy, beside its placement
    own = f"\n        failover:\n          cluster: {{purgeMode: {policy_mode}}}\n" if policy_mode else ""
    plan = _render(_files(failover, own), _first(failover, own), _at(300))
    assert plan.state is not None
    resource = plan.state.of(KEY)
    assert resource is not None
    assert [(t.cluster, t.purge_mode) for t in resource.eviction_tasks] == [("m2", expected)]
    (placement,) = (p for p in plan.placements if p.resource == KEY)
    # Gracefully: apply leaves the old copy on m2 alone while the task lives
    assert placement.retained == (("m2",) if expected == "Gracefully" else ())


@pytest.mark.parametrize(("failover", "alive", "gone"), [
    ("", 599, 600),
    ("gracefulEvictionTimeout: 2m", 119, 120),
    ("gracefulEvictionTimeout: 1h", 3599, 3600),
], ids=["default-10m", "2m", "1h"])
def test_the_task_ends_at_the_fleets_graceful_eviction_timeout(failover: str, alive: int, gone: int) -> None:
    files = _files(failover)
    evicted = _render(files, _first(failover), _at(300))
    assert evicted.state is not None

    def tasks_at(seconds: int) -> list[str]:
        assert evicted.state is not None
        plan = _render(files, evicted.state, _at(300 + seconds))
        assert plan.state is not None
        resource = plan.state.of(KEY)
        assert resource is not None
        return [t.cluster for t in resource.eviction_tasks]

    assert tasks_at(alive) == ["m2"]
    assert tasks_at(gone) == []
