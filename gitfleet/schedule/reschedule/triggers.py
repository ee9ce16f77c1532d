"""When a resource with a previous result is rescheduled (KARMADA-RESCHEDULING §1,
``pkg/scheduler/scheduler.go`` doScheduleBinding), checked in Karmada's order; the
first that holds is the reason. A Divided workload without a trigger keeps its previous
result exactly: new clusters, label changes, NoSchedule taints, capacity and template
edits other than replicas do not move it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitfleet.model.policy import Placement
from gitfleet.model.state import PreviousTarget, ResourceState
from gitfleet.schedule.reschedule.applied import placement_changed
from gitfleet.schedule.workload import Workload

NO_TRIGGER = (
    "no trigger — placement and replicas unchanged: a new cluster, a label change, a NoSchedule taint "
    "or a capacity change does not reschedule a Divided workload"
)


@dataclass(frozen=True)
class Trigger:
    fires: bool
    reason: str


def is_divided_workload(workload: Workload | None, placement: Placement) -> bool:
    """Karmada's "Divided workload": Divided, and a workload (non-workloads and
    Duplicated resources are rescheduled at every render)."""
    return placement.replica_scheduling.type == "Divided" and workload is not None and workload.is_workload


def needs_reschedule(
    workload: Workload | None,
    placement: Placement,
    previous: ResourceState,
    *,
    held: Sequence[PreviousTarget],
    evicted: Sequence[str] = (),
    gone: Sequence[str] = (),
    rebalancers: Sequence[str] = (),
) -> Trigger:
    """``held`` is the previous result after the taint manager removed the ``evicted``
    clusters; ``gone`` are previous targets no longer in the inventory; ``rebalancers``
    name those pending for this resource."""
    if placement_changed(placement, previous.applied_placement, previous.observed_affinity):
        return Trigger(True, "placement changed since the last successful schedule")
    divided = is_divided_workload(workload, placement)
    if divided and workload is not None:
        assigned = sum(t.replicas for t in held)
        if evicted:
            return Trigger(True, f"replicas changed: evicted from {', '.join(evicted)} ({assigned} of "
                                 f"{workload.replicas} replicas left)")
        if not held:
            # Karmada would wait (0 == 0); rescheduling shows the error of today's attempt
            # instead of an unexplained empty placement.
            return Trigger(True, "nothing placed by the previous schedule: scheduled again")
        if assigned != workload.replicas:
            return Trigger(True, f"replicas changed: the previous result holds {assigned}, "
                                 f"the template asks {workload.replicas}")
    if rebalancers:
        return Trigger(True, f"forced by WorkloadRebalancer {', '.join(rebalancers)}")
    if not divided:
        what = "Duplicated" if placement.replica_scheduling.type != "Divided" else "not a workload"
        return Trigger(True, f"{what}: rescheduled at every render")
    if gone:
        return Trigger(True, f"previous target left the inventory: {', '.join(gone)}")
    return Trigger(False, NO_TRIGGER)
