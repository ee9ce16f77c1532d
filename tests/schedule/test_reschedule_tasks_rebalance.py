"""Graceful eviction tasks end at their timeout (KARMADA-RESCHEDULING §6), and a
WorkloadRebalancer fires once per resource, when it is newer than the resource's last
successful schedule (§7)."""

from __future__ import annotations

import pytest

from gitfleet.model.keys import ResourceId
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.state import EvictionTask, ResourceState
from gitfleet.schedule.reschedule import live_tasks, pending

NOW = "2026-12-04T12:00:00Z"


@pytest.mark.parametrize(("task", "alive"), [
    (EvictionTask("m1", 1, since="2026-12-04T11:55:00Z"), True),  # 5 of the default 10 minutes
    (EvictionTask("m1", 1, since="2026-12-04T11:50:00Z"), False),  # exactly 10 minutes
    (EvictionTask("m1", 1, since="2026-12-04T11:00:00Z", grace_period_seconds=7200), True),
    (EvictionTask("m1", 1, since="2026-12-04T11:59:00Z", grace_period_seconds=30), False),
    (EvictionTask("m1", 1, since="2026-12-04T11:59:59Z", grace_period_seconds=-1), False),
    (EvictionTask("m1", 1, since="garbage"), False),
    (EvictionTask("m1", 1, since=""), False),
    (EvictionTask("m1", 1, since=NOW, grace_period_seconds=10**18), False),  # beyond the calendar
], ids=["default-running", "default-over", "grace-running", "grace-over", "negative-grace", "bad-time", "no-time",
        "huge-grace"])
def test_live_tasks(task: EvictionTask, alive: bool) -> None:
    assert live_tasks((task,), NOW) == ((task,) if alive else ())


WEB = ResourceId("apps/v1", "Deployment", "shop", "web")
OTHER = ResourceId("apps/v1", "Deployment", "shop", "other")


def _state(last: str | None, fired: tuple[str, ...] = ()) -> ResourceState:
    return ResourceState(WEB.key, last_scheduled=last, rebalancers=fired)


@pytest.mark.parametrize(("rebalancer", "previous", "fires"), [
    (Rebalancer("r", "2026-12-04T11:00:00Z", (WEB,)), _state("2026-12-04T10:00:00Z"), True),
    (Rebalancer("r", "2026-12-04T11:00:00Z", (WEB,)), _state("2026-12-04T11:30:00Z"), False),  # scheduled since
    (Rebalancer("r", "2026-12-04T11:00:00Z", (WEB,)), _state("2026-12-04T10:00:00Z", ("r@2026-12-04T11:00:00Z",)),
     False),  # fired already
    (Rebalancer("r", "2026-12-04T11:00:00Z", (OTHER,)), _state("2026-12-04T10:00:00Z"), False),  # not listed
    (Rebalancer("r", "", (WEB,)), _state("2026-12-04T11:30:00Z"), True),  # no time: once per resource
    (Rebalancer("r", "", (WEB,)), _state("2026-12-04T11:30:00Z", ("r@",)), False),
    (Rebalancer("r", "2026-12-04T11:00:00Z", (WEB,)), _state(None), True),  # never scheduled successfully
    (Rebalancer("r", "2026-12-04T11:00:00Z", (WEB,)), None, True),  # first scheduling: recorded as fired
], ids=["newer", "older", "fired", "not-listed", "no-time", "no-time-fired", "never-scheduled", "first"])
def test_pending(rebalancer: Rebalancer, previous: ResourceState | None, fires: bool) -> None:
    assert pending(WEB, [rebalancer], previous) == ((rebalancer,) if fires else ())
