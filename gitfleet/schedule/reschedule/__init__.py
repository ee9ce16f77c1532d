"""Scheduling with memory: Karmada's re-scheduling rules (KARMADA-RESCHEDULING),
each rule its own module, with ``reschedule`` as the entry point."""

from gitfleet.schedule.reschedule.applied import placement_changed, placement_json
from gitfleet.schedule.reschedule.entry import reschedule
from gitfleet.schedule.reschedule.eviction import (
    Decision,
    EvictNow,
    Never,
    RecheckAt,
    eviction_due,
    observe_taints,
)
from gitfleet.schedule.reschedule.rebalance import pending
from gitfleet.schedule.reschedule.tasks import live_tasks
from gitfleet.schedule.reschedule.triggers import Trigger, needs_reschedule

__all__ = [
    "Decision",
    "EvictNow",
    "Never",
    "RecheckAt",
    "Trigger",
    "eviction_due",
    "live_tasks",
    "needs_reschedule",
    "observe_taints",
    "pending",
    "placement_changed",
    "placement_json",
    "reschedule",
]
