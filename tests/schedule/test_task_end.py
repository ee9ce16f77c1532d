"""A graceful eviction task ends once every target reports the resource ready at the
replica count it holds now (KARMADA-RESCHEDULING §6)."""

from __future__ import annotations

import pytest

from gitfleet.model.health import TargetReady
from gitfleet.model.state import EvictionTask, PreviousTarget, ResourceState
from gitfleet.schedule.reschedule.task_end import end_ready_tasks

KEY = "apps/Deployment/shop/web"
TASK = EvictionTask("m3", 2, "Gracefully", "taint", "2026-12-04T10:00:00Z")


def state(*targets: tuple[str, int], tasks: tuple[EvictionTask, ...] = (TASK,)) -> ResourceState:
    return ResourceState(KEY, clusters=tuple(PreviousTarget(n, r) for n, r in targets), eviction_tasks=tasks)


@pytest.mark.parametrize(("targets", "ready", "ends"), [
    ((("m1", 3), ("m2", 3)), {("m1", 3), ("m2", 3)}, True),
    # A report from before the eviction (2 replicas on a survivor) does not count.
    ((("m1", 3), ("m2", 3)), {("m1", 2), ("m2", 3)}, False),
    ((("m1", 3), ("m2", 3)), {("m1", 3)}, False),
    # Objects without replicas are reported without a count.
    ((("m1", 0), ("m2", 0)), {("m1", None), ("m2", None)}, True),
    # Nothing took over: the task waits for its timeout.
    ((), {("m1", 3)}, False),
    # Readiness of another cluster (the evicted one) does not help.
    ((("m1", 3),), {("m3", 2)}, False),
])
def test_tasks_end_when_every_target_is_ready(targets: tuple[tuple[str, int], ...],
                                              ready: set[tuple[str, int | None]], ends: bool) -> None:
    reported = frozenset(TargetReady(n, KEY, r) for n, r in ready)
    after, ended = end_ready_tasks(state(*targets), reported)
    assert ended is ends
    assert after is not None and (after.eviction_tasks == () if ends else after.eviction_tasks == (TASK,))


def test_readiness_of_another_resource_does_not_end_a_task() -> None:
    reported = frozenset({TargetReady("m1", "v1/ConfigMap/shop/cfg", None)})
    assert end_ready_tasks(state(("m1", 3)), reported)[1] is False


def test_no_state_and_no_tasks_are_left_as_they_are() -> None:
    assert end_ready_tasks(None, frozenset({TargetReady("m1", KEY, 3)})) == (None, False)
    plain = state(("m1", 3), tasks=())
    assert end_ready_tasks(plain, frozenset({TargetReady("m1", KEY, 3)})) == (plain, False)
