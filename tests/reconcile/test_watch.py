"""The pure parts of watching the members: which rounds change what a render reads
(those are recorded; the others write nothing), the metrics' bounded eviction reasons,
and what ``/readyz`` shows."""

from __future__ import annotations

import json

import pytest

from gitfleet.model.cluster import ResourceSummary
from gitfleet.model.health import HEALTHY, UNHEALTHY, UNREACHABLE, HealthSettings, ProbeResult
from gitfleet.reconcile.cycle import Health, member_detail
from gitfleet.reconcile.metrics import ReconcileMetrics, eviction_reason
from gitfleet.service.observing import material, watch_round

SETTINGS = HealthSettings(failure_threshold=2, success_threshold=1, max_unhealthy_fraction=0.5)
T = [f"2026-12-04T10:00:0{i}Z" for i in range(10)]


def run(*rounds: dict[str, str]) -> list[bool]:
    """``changed`` of each round of probe outcomes, fed one after the other."""
    observed: dict = {}
    out = []
    for i, outcomes in enumerate(rounds):
        step = watch_round(observed, {n: ProbeResult(o, "x" if o != HEALTHY else "") for n, o in outcomes.items()},
                           T[i], SETTINGS)
        observed = dict(step.step.observed)
        out.append(step.changed)
    return out


@pytest.mark.parametrize(("rounds", "changed"), [
    # The first round records the members; steady health then writes nothing.
    ([{"a": HEALTHY, "b": HEALTHY, "c": HEALTHY}] * 4, [True, False, False, False]),
    # One failure is below the threshold: the streak is not recorded; the second taints.
    ([{"a": HEALTHY, "b": HEALTHY, "c": HEALTHY}, {"a": UNREACHABLE, "b": HEALTHY, "c": HEALTHY},
      {"a": UNREACHABLE, "b": HEALTHY, "c": HEALTHY}, {"a": UNREACHABLE, "b": HEALTHY, "c": HEALTHY}],
     [True, True, True, False]),
    # not-ready to unreachable is a new taint; recovery removes it.
    ([{"a": UNHEALTHY}, {"a": UNHEALTHY}, {"a": UNREACHABLE}, {"a": HEALTHY}, {"a": HEALTHY}],
     [True, True, True, True, False]),
])
def test_only_what_a_render_reads_is_a_change(rounds: list[dict[str, str]], changed: list[bool]) -> None:
    # Round 2 of the second case changes the probe result (healthy -> unreachable) but
    # not yet the taints: the result is recorded (lastProbe.result is material).
    assert run(*rounds) == changed


def test_a_new_capacity_is_a_change_and_the_same_one_is_not() -> None:
    probes = {"a": ProbeResult(HEALTHY)}
    first = watch_round({}, probes, T[0], SETTINGS, {"a": ResourceSummary({"cpu": "4"})})
    same = watch_round(first.step.observed, probes, T[1], SETTINGS, {"a": ResourceSummary({"cpu": "4"})})
    more = watch_round(same.step.observed, probes, T[2], SETTINGS, {"a": ResourceSummary({"cpu": "8"})})
    assert (first.changed, same.changed, more.changed) == (True, False, True)
    assert more.step.observed["a"].resource_summary == ResourceSummary({"cpu": "8"})


def test_material_leaves_out_times_and_streaks() -> None:
    first = watch_round({}, {"a": ProbeResult(UNREACHABLE, "refused")}, T[0], SETTINGS).step.observed["a"]
    later = watch_round({"a": first}, {"a": ProbeResult(UNREACHABLE, "timed out")}, T[1], SETTINGS)
    assert later.step.observed["a"].consecutive_failures == 2 and later.changed  # tainted now
    again = watch_round(later.step.observed, {"a": ProbeResult(UNREACHABLE, "refused")}, T[2], SETTINGS)
    assert not again.changed
    assert material(again.step.observed["a"]) == material(later.step.observed["a"])


@pytest.mark.parametrize(("reason", "label"), [
    ("taint cluster.karmada.io/unreachable:NoExecute since 10:00:00Z, tolerated 300 s", "unreachable"),
    ("taint cluster.karmada.io/not-ready:NoExecute is not tolerated", "not-ready"),
    ("taint drill:NoExecute is not tolerated", "taint"),
    ("x" * 10_000, "taint"),
])
def test_eviction_reasons_are_a_bounded_label(reason: str, label: str) -> None:
    assert eviction_reason(reason) == label
    metrics = ReconcileMetrics()
    metrics.evicted(reason)
    assert f'gitfleet_evictions_total{{reason="{label}"}} 1.0' in metrics.exposition().decode()


def test_readyz_shows_members_and_the_guard() -> None:
    observed = watch_round({}, {"a": ProbeResult(UNREACHABLE, "refused"), "b": ProbeResult(UNREACHABLE, "refused")},
                           T[0], HealthSettings(failure_threshold=1, max_unhealthy_fraction=0.5)).step
    health = Health(cycles=1, outcome="applied", members={n: member_detail(h) for n, h in observed.observed.items()},
                    disruption_guard=observed.guard_active)
    shown = json.loads(json.dumps(health.to_json()))
    assert shown["disruptionGuard"] is True and "disruption guard active" in shown["warning"]
    assert shown["members"]["a"] == {"probe": "unreachable", "message": "refused",
                                     "taints": ["cluster.karmada.io/unreachable:NoSchedule"],
                                     "consecutiveFailures": 1}
    metrics = ReconcileMetrics()
    metrics.watched(observed.observed, observed.guard_active, {"a": 12.5})
    text = metrics.exposition().decode()
    assert 'gitfleet_cluster_health{cluster="a",state="unreachable"} 1.0' in text
    assert 'gitfleet_cluster_health{cluster="a",state="tainted"} 1.0' in text
    assert "gitfleet_disruption_guard_active 1.0" in text
    assert 'gitfleet_estimator_age_seconds{cluster="a"} 12.5' in text
