"""Graceful eviction tasks (KARMADA-RESCHEDULING §6): while a task for a cluster
lives, the ClusterEviction filter keeps the resource off it. A render cannot see the
health that ends a task early, so a task ends at its timeout: its
``gracePeriodSeconds``, else Karmada's ``--graceful-eviction-timeout`` (10 minutes),
from its creation (fleet.yaml ``spec.failover.gracefulEvictionTimeout``). A task whose
time cannot be read ends now."""

from __future__ import annotations

from collections.abc import Sequence

from gitfleet.model.state import EvictionTask
from gitfleet.schedule.reschedule import clock

DEFAULT_TIMEOUT_SECONDS = 600
STEP = "ClusterEviction"
FIT_REASON = "cluster(s) is in the process of eviction"


def live_tasks(
    tasks: Sequence[EvictionTask], now: str, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> tuple[EvictionTask, ...]:
    """The tasks not yet past their timeout at ``now``; ``timeout``: the fleet's, in
    seconds, for a task without its own ``gracePeriodSeconds``."""
    at = clock.require(now)
    out = []
    for task in tasks:
        since = clock.parse(task.since)
        seconds = task.grace_period_seconds if task.grace_period_seconds is not None else timeout
        end = clock.plus(since, max(seconds, 0)) if since is not None else None
        if end is not None and end > at:
            out.append(task)
    return tuple(out)


def evicting(tasks: Sequence[EvictionTask]) -> dict[str, EvictionTask]:
    """The clusters the ClusterEviction filter rejects, with their task."""
    return {t.cluster: t for t in tasks}
