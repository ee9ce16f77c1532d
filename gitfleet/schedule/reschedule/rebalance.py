"""WorkloadRebalancer firing (KARMADA-RESCHEDULING §7). A rebalancer stamps its
creation time on each listed resource; the resource is rescheduled fresh when that time
is later than its last successful schedule. So it fires once (the schedule it forces is
later), keeps firing until a schedule succeeds, and a resource added to an old
rebalancer fires only if it has not been scheduled since the rebalancer appeared."""

from __future__ import annotations

from collections.abc import Sequence

from gitfleet.model.keys import ResourceId
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.state import ResourceState
from gitfleet.schedule.reschedule import clock


def pending(rid: ResourceId, rebalancers: Sequence[Rebalancer], previous: ResourceState | None) -> tuple[Rebalancer, ...]:
    """The rebalancers that force ``rid`` to be rescheduled now, sorted by name."""
    listing = [r for r in rebalancers if rid in r.workloads]
    if previous is None:
        return tuple(sorted(listing, key=lambda r: r.name))
    last = clock.parse(previous.last_scheduled)
    out = []
    for r in listing:
        if r.token in previous.rebalancers:
            continue
        created = clock.parse(r.created)
        # An unreadable time on either side: fire, as a rebalancer that never fires
        # would silently do nothing.
        if last is None or created is None or created > last:
            out.append(r)
    return tuple(sorted(out, key=lambda r: r.name))
