"""NoExecute taints: whether the taint manager evicts a resource from a cluster it runs
on (KARMADA-RESCHEDULING §5, ``pkg/util/helper/taint.go`` needEvictionWithCurrentTime).

Only NoExecute taints count. An untolerated one evicts now. Otherwise each taint is
matched by the *first* toleration that tolerates it; those tolerations' seconds, counted
from each tolerated taint's ``timeAdded``, give expiry times: the earliest one passed
evicts, one in the future is re-checked then, none at all (no seconds, or no time)
never evicts. A taint without ``timeAdded`` counts from the first render that saw it
(``TaintSeen``), as Karmada's webhook would have stamped it then."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gitfleet.model.cluster import Cluster, Taint
from gitfleet.model.policy import Toleration
from gitfleet.model.state import TaintSeen
from gitfleet.schedule.filters.taint_toleration import taint_string, tolerates
from gitfleet.schedule.reschedule import clock

NO_EXECUTE = "NoExecute"


@dataclass(frozen=True)
class EvictNow:
    reason: str  # "taint k:NoExecute since 10:02:11Z, tolerated 300 s"


@dataclass(frozen=True)
class RecheckAt:
    at: str  # RFC 3339: when the earliest toleration runs out
    reason: str


@dataclass(frozen=True)
class Never:
    reason: str


Decision = EvictNow | RecheckAt | Never


def _seen_key(cluster: str, taint: Taint) -> tuple[str, str, str, str]:
    return (cluster, taint.key, taint.value, taint.effect)


def observe_taints(clusters: Iterable[Cluster], seen: Sequence[TaintSeen], now: str) -> tuple[TaintSeen, ...]:
    """The first-seen record after this render: every NoExecute taint without a
    usable ``timeAdded`` keeps its earlier entry or is first seen ``now``; taints that
    are gone are forgotten (one that comes back is a new taint)."""
    earlier = {(s.cluster, s.key, s.value, s.effect): s for s in seen}
    out: dict[tuple[str, str, str, str], TaintSeen] = {}
    for cluster in clusters:
        for taint in cluster.taints:
            if taint.effect != NO_EXECUTE or clock.parse(taint.time_added) is not None:
                continue
            key = _seen_key(cluster.name, taint)
            out[key] = earlier.get(key) or TaintSeen(cluster.name, taint.key, taint.value, taint.effect, now)
    return tuple(out[k] for k in sorted(out))


def _added(cluster: str, taint: Taint, seen: Sequence[TaintSeen], now: datetime) -> datetime:
    stamped = clock.parse(taint.time_added)
    if stamped is not None:
        return stamped
    for s in seen:
        if (s.cluster, s.key, s.value, s.effect) == _seen_key(cluster, taint):
            first = clock.parse(s.first_seen)
            if first is not None:
                return min(first, now)
    return now


def eviction_due(
    cluster: str,
    taints: Sequence[Taint],
    tolerations: Sequence[Toleration],
    now: str,
    taints_seen: Sequence[TaintSeen] = (),
) -> Decision:
    """Whether a resource with these (applied) ``tolerations`` is evicted from
    ``cluster`` at ``now``."""
    no_execute = [t for t in taints if t.effect == NO_EXECUTE]
    if not no_execute:
        return Never("no NoExecute taint")
    # Parsed here, not first: most clusters have no NoExecute taint, and this runs for
    # every (resource, current target) pair of a render.
    at = clock.require(now)
    used: list[Toleration] = []
    for taint in no_execute:
        first = next((t for t in tolerations if tolerates(t, taint)), None)
        if first is None:
            return EvictNow(f"taint {taint_string(taint)} is not tolerated")
        if first not in used:
            used.append(first)
    earliest: tuple[datetime, str] | None = None
    for toleration in used:
        if toleration.toleration_seconds is None:
            continue
        for taint in no_execute:
            if not tolerates(toleration, taint):
                continue
            added = _added(cluster, taint, taints_seen, at)
            seconds = toleration.toleration_seconds
            why = f"taint {taint_string(taint)} since {clock.short(added, at)}, tolerated {seconds} s"
            if seconds <= 0:
                return EvictNow(why)
            expiry = clock.plus(added, seconds)
            if expiry is not None and (earliest is None or expiry < earliest[0]):
                earliest = (expiry, why)
    if earliest is None:
        names = ", ".join(taint_string(t) for t in no_execute)
        return Never(f"{names} tolerated without tolerationSeconds")
    if earliest[0] <= at:
        return EvictNow(earliest[1])
    return RecheckAt(clock.render(earliest[0]), earliest[1] + f": evicted at {clock.render(earliest[0])}")
