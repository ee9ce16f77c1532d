"""Sharding the Push members among several ``gitfleet run`` replicas (issue 13): pure
rules over what the replicas' Leases show.

- **Who should own a member**: rendezvous hashing over the live replicas (the highest
  ``sha256(replica, member)`` wins), so a replica joining or leaving moves only its own
  share of the members.
- **Whether a Lease is live**: judged by *this* replica's clock from when it last saw the
  Lease change (as client-go's leader election does), never from the holder's
  ``renewTime``, so replicas need no agreement on the time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def rendezvous_owner(member: str, replicas: Iterable[str]) -> str | None:
    """The replica that should own ``member`` (None when there is none)."""
    best: tuple[bytes, str] | None = None
    for replica in replicas:
        score = hashlib.sha256(f"{replica}\0{member}".encode()).digest()
        if best is None or (score, replica) > best:
            best = (score, replica)
    return best[1] if best else None


def shares(members: Iterable[str], replicas: Iterable[str]) -> dict[str, frozenset[str]]:
    """Every replica's share of ``members``."""
    live = sorted(set(replicas))
    out: dict[str, set[str]] = {r: set() for r in live}
    for member in members:
        owner = rendezvous_owner(member, live)
        if owner is not None:
            out[owner].add(member)
    return {r: frozenset(m) for r, m in out.items()}


@dataclass(frozen=True)
class ShardSettings:
    """``sharding`` of the run config."""

    namespace: str = "gitfleet"
    identity: str = ""
    lease_duration: float = 15.0  # seconds
    renew_interval: float = 5.0


@dataclass(frozen=True)
class Seen:
    """A Lease as this replica last saw it: its holder, its version and when (by this
    replica's monotonic clock) that version was first seen."""

    holder: str | None
    version: str
    since: float
    duration: float  # leaseDurationSeconds

    def live(self, now: float) -> bool:
        return self.holder is not None and now - self.since < self.duration


def observe(previous: Mapping[str, Seen], current: Mapping[str, tuple[str | None, str, float]],
            now: float) -> dict[str, Seen]:
    """The Leases ``current`` (name -> (holder, resourceVersion, duration)) as seen at
    ``now``: a Lease whose version did not change keeps the time it was first seen."""
    out: dict[str, Seen] = {}
    for name, (holder, version, duration) in current.items():
        before = previous.get(name)
        since = before.since if before is not None and before.version == version else now
        out[name] = Seen(holder, version, since, duration)
    return out
