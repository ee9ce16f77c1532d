"""Several ``gitfleet run`` replicas (issue 13): who leads and who applies to which member,
kept in ``coordination.k8s.io/v1`` Leases on the management cluster.

- Every replica holds a Lease of its own (``<prefix>-replica-<identity>``), renewed every
  ``renew_interval``; the live ones divide the Push members by rendezvous hashing
  (:mod:`gitfleet.model.shard`), so a replica joining or leaving moves only its share.
- A member is applied to only by the holder of its Lease (``<prefix>-member-<hash>``).
  Taking it is an update under the API server's optimistic concurrency, allowed only
  when the Lease is free (released) or has not moved for its duration by the taker's
  clock: two replicas can never both hold it. A replica stops applying to a member as
  soon as it is not its share any more (it releases the Lease once no apply to it runs)
  or as soon as it could not renew the Lease for the duration minus a margin.
- The decisions (render, placements, memory, member health) are written by one leader,
  the holder of ``<prefix>-leader``, taken the same way.

Per-member Leases cost one renewal per member and ``renew_interval``; the claim of a
replica's own Lease would be cheaper but cannot fence two replicas that disagree for a
moment on who is live. See deploy/README.md, "Running several replicas".
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from gitfleet.errors import GitfleetError
from gitfleet.kube.client import KubeClient
from gitfleet.kube.lease import get_lease, leases_path, list_leases, release_lease, take_lease
from gitfleet.model.shard import Seen, ShardSettings, observe, shares
from gitfleet.reconcile.logfmt import log as log_event

log = logging.getLogger(__name__)
FLEET_LABEL = "gitfleet.io/fleet"
ROLE_LABEL = "gitfleet.io/role"
MEMBER_ANNOTATION = "gitfleet.io/member"
WAKE_ANNOTATION = "gitfleet.io/wake"
SAFETY = 0.8  # a held Lease counts as ours only for this share of its duration after a renewal


def lease_prefix(fleet: str) -> str:
    return f"gitfleet-{fleet}"[:200]


def member_lease(fleet: str, member: str) -> str:
    return f"{lease_prefix(fleet)}-member-{hashlib.sha256(member.encode()).hexdigest()[:16]}"


def replica_lease(fleet: str, identity: str) -> str:
    return f"{lease_prefix(fleet)}-replica-{hashlib.sha256(identity.encode()).hexdigest()[:16]}"


def leader_lease(fleet: str) -> str:
    return f"{lease_prefix(fleet)}-leader"


class ShardKeeper:
    """This replica's Leases, renewed by :meth:`round` (the loop calls it every
    ``renew_interval``); the cycle asks :meth:`owned` and :meth:`leading`."""

    def __init__(self, client: KubeClient, settings: ShardSettings,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.settings = settings
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._seen: dict[str, Seen] = {}
        self._leases: dict[str, dict[str, Any]] = {}  # name -> the Lease as last read or written
        self._held_until: dict[str, float] = {}  # lease name -> monotonic time it stops counting as ours
        self._busy: set[str] = set()  # members an apply runs on now
        self.fleet: str | None = None
        self.live: tuple[str, ...] = ()
        self.on_wake: Callable[[], None] | None = None  # the leader's: a webhook reached another replica
        self._wake_seen: str | None = None
        self._wake_read = False

    # -- what the cycle asks --------------------------------------------------------

    def owned(self, members: Iterable[str]) -> frozenset[str]:
        """The members of ``members`` this replica may apply to now."""
        if self.fleet is None:
            return frozenset()
        now = self._monotonic()
        with self._lock:
            return frozenset(m for m in members if self._held_until.get(member_lease(self.fleet, m), 0.0) > now)

    def leading(self) -> bool:
        if self.fleet is None:
            return False
        with self._lock:
            return self._held_until.get(leader_lease(self.fleet), 0.0) > self._monotonic()

    def begin(self, members: Iterable[str]) -> frozenset[str]:
        """Mark ``members`` (those still owned) as being applied to: not released until
        :meth:`end`. Returns them."""
        mine = self.owned(members)
        with self._lock:
            self._busy |= set(mine)
        return mine

    def end(self) -> None:
        with self._lock:
            self._busy.clear()

    # -- the renewal round ----------------------------------------------------------

    def round(self, fleet: str, members: Iterable[str]) -> None:
        """Renew this replica's Leases, see who is live, take its share's free Leases and
        release the others'. Errors are logged: the Leases then run out on their own."""
        self.fleet = fleet
        try:
            self._round(fleet, sorted(set(members)))
        except GitfleetError as err:
            log_event(log, logging.WARNING, "lease_round_failed", error=str(err))

    def _round(self, fleet: str, members: list[str]) -> None:
        s = self.settings
        me = s.identity
        duration = max(1, int(s.lease_duration))
        labels = {FLEET_LABEL: fleet}
        found = {lease["metadata"]["name"]: lease for lease in list_leases(self.client, s.namespace,
                                                                            f"{FLEET_LABEL}={fleet}")}
        now = self._monotonic()
        self._seen = observe(self._seen, {name: (_holder(lease), str(lease["metadata"].get("resourceVersion")),
                                                 float((lease.get("spec") or {}).get("leaseDurationSeconds") or 0))
                                          for name, lease in found.items()}, now)
        own = replica_lease(fleet, me)
        self._hold(own, {**labels, ROLE_LABEL: "replica"}, found.get(own), duration, now, force=True)
        live = sorted({me} | {seen.holder for name, seen in self._seen.items()
                              if found.get(name, {}).get("metadata", {}).get("labels", {}).get(ROLE_LABEL) == "replica"
                              and seen.holder is not None and seen.live(now)})
        if tuple(live) != self.live:
            log_event(log, logging.INFO, "replicas", live=",".join(live), me=me)
            self.live = tuple(live)
        leader = found.get(leader_lease(fleet))
        self._hold(leader_lease(fleet), {**labels, ROLE_LABEL: "leader"}, leader, duration, now)
        woken = ((leader or {}).get("metadata", {}).get("annotations") or {}).get(WAKE_ANNOTATION)
        if not self._wake_read:  # a mark from before this replica looked is not news
            self._wake_read, self._wake_seen = True, woken
        elif woken != self._wake_seen:
            self._wake_seen = woken
            if woken is not None and self.leading() and self.on_wake is not None:
                log_event(log, logging.INFO, "woken", reason="a webhook reached another replica")
                self.on_wake()
        mine = shares(members, live).get(me, frozenset())
        for member in members:
            name = member_lease(fleet, member)
            current = found.get(name)
            if member in mine:
                self._hold(name, {**labels, ROLE_LABEL: "member"}, current, duration, now, member=member)
            elif current is not None and _holder(current) == me:
                self._release(name, current, member)

    def _hold(self, name: str, labels: dict[str, str], current: dict[str, Any] | None, duration: int, now: float,
              force: bool = False, member: str | None = None) -> None:
        """Renew ``name`` when it is ours; take it when it is free or has run out (or when
        ``force``: this replica's own Lease)."""
        me = self.settings.identity
        holder = _holder(current) if current is not None else None
        seen = self._seen.get(name)
        free = current is None or holder is None or holder == me or force or (seen is not None and not seen.live(now))
        if not free:
            with self._lock:
                self._held_until.pop(name, None)
            return
        if current is not None and member is not None:
            current = {**current, "metadata": {**current["metadata"],
                                               "annotations": {**(current["metadata"].get("annotations") or {}),
                                                               MEMBER_ANNOTATION: member}}}
        started = self._monotonic()
        taken = take_lease(self.client, self.settings.namespace, name, me, duration, labels, current)
        if taken is None and holder == me:
            # Ours, but changed since it was read (a poke's annotation): read it again, once.
            again = get_lease(self.client, self.settings.namespace, name)
            if again is not None and _holder(again) == me:
                taken = take_lease(self.client, self.settings.namespace, name, me, duration, labels, again)
        with self._lock:
            if taken is None:
                self._held_until.pop(name, None)
            else:
                if holder != me and not force:
                    log_event(log, logging.INFO, "lease_taken", lease=name, member=member, previous=holder)
                self._leases[name] = taken
                # Counted from before the request: the others' clocks started no later.
                self._held_until[name] = started + SAFETY * duration

    def poke_leader(self) -> None:
        """Mark the leader's Lease (an annotation, merge-patched: no version to race for)
        so that the leader's next renewal round runs a cycle; a webhook that reached a
        replica which does not lead still gets the new commit rendered at once."""
        if self.fleet is None:
            return
        name = leader_lease(self.fleet)
        patch = {"metadata": {"annotations": {WAKE_ANNOTATION: f"{self.settings.identity}@{time.time():.3f}"}}}
        try:
            self.client.request("PATCH", f"{leases_path(self.settings.namespace)}/{name}", body=patch,
                                content_type="application/merge-patch+json", what=f"poke lease {name}")
        except GitfleetError as err:
            log_event(log, logging.WARNING, "leader_not_poked", error=str(err))

    def _release(self, name: str, current: dict[str, Any], member: str) -> None:
        with self._lock:
            if member in self._busy:
                return  # an apply runs on it: released next round
            self._held_until.pop(name, None)
        if release_lease(self.client, self.settings.namespace, current):
            log_event(log, logging.INFO, "lease_released", lease=name, member=member)

    def close(self) -> None:
        """Release every Lease this replica holds (a clean stop hands over at once)."""
        if self.fleet is None:
            return
        for name, lease in list(self._leases.items()):
            if _holder(lease) == self.settings.identity:
                try:
                    release_lease(self.client, self.settings.namespace, lease)
                except GitfleetError:
                    pass
        self.client.close()


def _holder(lease: dict[str, Any]) -> str | None:
    holder = (lease.get("spec") or {}).get("holderIdentity")
    return str(holder) if holder else None
