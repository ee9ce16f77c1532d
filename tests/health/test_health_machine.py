"""The cluster health state machine: thresholds, the two taint kinds, NoExecute with
timeAdded, recovery, eviction switched off, and the disruption guard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.health import observe
from gitfleet.health.machine import check_settings
from gitfleet.model.cluster import NOT_READY_TAINT, UNREACHABLE_TAINT, ResourceSummary, Taint
from gitfleet.model.health import ClusterHealth, HealthSettings, HealthStep, ProbeResult

OK = ProbeResult("healthy")
BAD = ProbeResult("unhealthy", "etcd failed")
GONE = ProbeResult("unreachable", "connection refused")
BY_CHAR = {"o": OK, "b": BAD, "g": GONE}


def t(i: int) -> str:
    return f"2026-12-04T10:{i // 60:02d}:{i % 60:02d}Z"


def run(rounds: Sequence[Mapping[str, ProbeResult]], settings: HealthSettings | None = None) -> list[HealthStep]:
    observed: Mapping[str, ClusterHealth] = {}
    steps = []
    for i, probes in enumerate(rounds):
        step = observe(observed, probes, t(i), settings)
        observed = step.observed
        steps.append(step)
    return steps


def shown(health: ClusterHealth) -> list[str]:
    return [f"{x.key.rsplit('/', 1)[-1]}:{x.effect}@{x.time_added}" for x in health.taints]


def one(pattern: str, settings: HealthSettings | None = None, others: int = 3) -> list[HealthStep]:
    """member0 probed as ``pattern`` (o healthy, b unhealthy, g unreachable), ``others``
    healthy members beside it."""
    return run([{"member0": BY_CHAR[c], **{f"member{j}": OK for j in range(1, others + 1)}} for c in pattern],
               settings)


@pytest.mark.parametrize(("pattern", "settings", "expected"), [
    ("gg", None, []),
    ("ggg", None, ["unreachable:NoSchedule@None", "unreachable:NoExecute@2026-12-04T10:00:02Z"]),
    ("gggg", None, ["unreachable:NoSchedule@None", "unreachable:NoExecute@2026-12-04T10:00:02Z"]),
    ("bbb", None, ["not-ready:NoSchedule@None", "not-ready:NoExecute@2026-12-04T10:00:02Z"]),
    # Consecutive: a healthy probe between starts the count again.
    ("ggogg", None, []),
    ("ggoggg", None, ["unreachable:NoSchedule@None", "unreachable:NoExecute@2026-12-04T10:00:05Z"]),
    # Mixed failures count together; the taint follows the last one, with a new timeAdded.
    ("bgb", None, ["not-ready:NoSchedule@None", "not-ready:NoExecute@2026-12-04T10:00:02Z"]),
    ("bbbg", None, ["unreachable:NoSchedule@None", "unreachable:NoExecute@2026-12-04T10:00:03Z"]),
    ("gggo", None, []),
    ("g", HealthSettings(failure_threshold=1), ["unreachable:NoSchedule@None",
                                                "unreachable:NoExecute@2026-12-04T10:00:00Z"]),
    ("gggo", HealthSettings(success_threshold=2), ["unreachable:NoSchedule@None",
                                                   "unreachable:NoExecute@2026-12-04T10:00:02Z"]),
    ("gggoo", HealthSettings(success_threshold=2), []),
    # A failure after a partial recovery keeps the member down (and its timeAdded).
    ("gggog", HealthSettings(success_threshold=2), ["unreachable:NoSchedule@None",
                                                    "unreachable:NoExecute@2026-12-04T10:00:02Z"]),
    ("ggg", HealthSettings(no_execute_eviction=False), ["unreachable:NoSchedule@None"]),
])
def test_taints_after_probes(pattern: str, settings: HealthSettings | None, expected: list[str]) -> None:
    assert shown(one(pattern, settings)[-1].observed["member0"]) == expected


@pytest.mark.parametrize(("pattern", "status", "reason", "since"), [
    ("o", "True", "ClusterReady", t(0)),
    ("oggg", "Unknown", "ClusterNotReachable", t(3)),
    ("obbbb", "False", "ClusterNotReady", t(3)),
    ("gggo", "True", "ClusterReady", t(3)),
])
def test_ready_condition(pattern: str, status: str, reason: str, since: str) -> None:
    ready = one(pattern)[-1].observed["member0"].condition()
    assert ready is not None
    assert (ready.status, ready.reason, ready.last_transition_time) == (status, reason, since)


def test_events_name_the_member_the_count_and_the_taints() -> None:
    steps = one("gggo")
    assert [str(e) for s in steps for e in s.events] == [
        "member0 unreachable for 3 probes: tainted unreachable:NoSchedule,NoExecute",
        "member0 healthy for 1 probe: taints removed (unreachable:NoSchedule,NoExecute)",
    ]
    assert [e.reason for s in steps for e in s.events] == ["Tainted", "Recovered"]


def test_the_record_keeps_counts_probe_and_summary() -> None:
    summary = ResourceSummary(allocatable={"pods": 110})
    prev = {"member0": ClusterHealth("member0", consecutive_failures=1, resource_summary=summary,
                                     extra={"future": 1})}
    health = observe(prev, {"member0": GONE}, t(9)).observed["member0"]
    assert (health.consecutive_failures, health.consecutive_successes) == (2, 0)
    assert (health.last_probe_time, health.last_probe) == (t(9), GONE)
    assert health.resource_summary is summary and health.extra == {"future": 1}


def test_a_member_no_longer_probed_is_no_longer_observed() -> None:
    step = observe({"gone": ClusterHealth("gone", taints=(Taint(UNREACHABLE_TAINT),))}, {"member1": OK}, t(0))
    assert set(step.observed) == {"member1"}


def test_guard_holds_back_no_execute_and_lifts() -> None:
    # Two of three down: 0.67 > 0.55. The first stays tainted NoSchedule only; when the
    # second recovers (1 of 3), NoExecute comes with the time the guard lifted.
    rounds = [{"member1": GONE, "member2": GONE, "member3": OK}] * 3 + [{"member1": GONE, "member2": OK,
                                                                        "member3": OK}]
    steps = run(rounds)
    guarded = steps[2]
    assert guarded.guard_active and guarded.unhealthy == ("member1", "member2")
    assert shown(guarded.observed["member1"]) == ["unreachable:NoSchedule@None"]
    assert all(h.guard_active for h in guarded.observed.values())
    assert [e.reason for e in guarded.events] == ["GuardActivated", "Tainted", "Tainted"]
    assert "2 of 3 members unhealthy (member1, member2), more than 55%" in str(guarded.events[0])
    assert "held back by the disruption guard" in str(guarded.events[1])
    lifted = steps[3]
    assert not lifted.guard_active
    assert shown(lifted.observed["member1"]) == ["unreachable:NoSchedule@None",
                                                 f"unreachable:NoExecute@{t(3)}"]
    assert [e.reason for e in lifted.events] == ["Tainted", "Recovered", "GuardLifted"]


def test_guard_removes_no_execute_already_set() -> None:
    rounds = [{"member1": GONE, "member2": OK, "member3": OK}] * 3 + [{"member1": GONE, "member2": GONE,
                                                                      "member3": OK}] * 3
    steps = run(rounds)
    assert shown(steps[2].observed["member1"])[1:] == [f"unreachable:NoExecute@{t(2)}"]
    assert steps[-1].guard_active
    assert all(x.effect == "NoSchedule" for h in steps[-1].observed.values() for x in h.taints)


def test_fraction_at_the_limit_is_not_a_disruption() -> None:
    rounds = [{"member1": GONE, "member2": OK}] * 3
    assert not run(rounds, HealthSettings(max_unhealthy_fraction=0.5))[-1].guard_active
    assert run(rounds, HealthSettings(max_unhealthy_fraction=0.49))[-1].guard_active


@pytest.mark.parametrize("settings", [
    HealthSettings(failure_threshold=0), HealthSettings(success_threshold=0),
    HealthSettings(max_unhealthy_fraction=1.5), HealthSettings(max_unhealthy_fraction=-0.1),
])
def test_settings_out_of_range(settings: HealthSettings) -> None:
    with pytest.raises(ValueError):
        check_settings(settings)


def test_not_ready_is_the_api_answering_unhealthy() -> None:
    assert one("bbb")[-1].observed["member0"].taints[0].key == NOT_READY_TAINT


# -- properties -------------------------------------------------------------------

MEMBERS = ("member1", "member2", "member3", "member4")
probe = st.sampled_from([OK, BAD, GONE])
rounds_st = st.lists(st.fixed_dictionaries({m: probe for m in MEMBERS}), min_size=1, max_size=12)
settings_st = st.builds(HealthSettings, failure_threshold=st.integers(1, 4), success_threshold=st.integers(1, 3),
                        max_unhealthy_fraction=st.sampled_from([0.0, 0.25, 0.5, 0.55, 0.75, 1.0]),
                        no_execute_eviction=st.booleans())


@given(rounds_st, settings_st)
def test_no_no_execute_while_the_guard_is_active(rounds: list[dict[str, ProbeResult]],
                                                 settings: HealthSettings) -> None:
    for step in run(rounds, settings):
        fraction = len(step.unhealthy) / len(MEMBERS)
        assert step.guard_active == (fraction > settings.max_unhealthy_fraction)
        no_execute = [x for h in step.observed.values() for x in h.taints if x.effect == "NoExecute"]
        if step.guard_active or not settings.no_execute_eviction:
            assert not no_execute
        assert all(x.time_added for x in no_execute)


@given(rounds_st, settings_st)
def test_thresholds_are_respected(rounds: list[dict[str, ProbeResult]], settings: HealthSettings) -> None:
    steps = run(rounds, settings)
    for member in MEMBERS:
        history = [r[member] for r in rounds]
        for i, step in enumerate(steps):
            tainted = bool(step.observed[member].taints)
            was = bool(steps[i - 1].observed[member].taints) if i else False
            if not was and tainted:  # newly tainted: exactly the threshold's failures just before
                tail = history[max(0, i + 1 - settings.failure_threshold):i + 1]
                assert len(tail) == settings.failure_threshold and not any(p.ok for p in tail)
            if was and not tainted:  # recovered: successThreshold healthy probes in a row
                tail = history[max(0, i + 1 - settings.success_threshold):i + 1]
                assert len(tail) == settings.success_threshold and all(p.ok for p in tail)
            assert (member in step.unhealthy) == tainted


@given(rounds_st, settings_st)
def test_a_recovered_cluster_loses_its_taints(rounds: list[dict[str, ProbeResult]],
                                              settings: HealthSettings) -> None:
    steps = run(rounds, settings)
    recovered = {m: OK for m in MEMBERS}
    observed = steps[-1].observed
    for i in range(settings.success_threshold):
        step = observe(observed, recovered, t(100 + i), settings)
        observed = step.observed
    assert not step.guard_active and not step.unhealthy
    assert all(not h.taints for h in observed.values())
    assert all(c.status == "True" for h in observed.values() for c in h.conditions)
