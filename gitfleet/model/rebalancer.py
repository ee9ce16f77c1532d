"""Karmada's WorkloadRebalancer (``apps.karmada.io/v1alpha1``): a one-off request to
reschedule the listed resources from scratch (KARMADA-RESCHEDULING §7)."""

from __future__ import annotations

from dataclasses import dataclass

from gitfleet.model.keys import ResourceId
from gitfleet.model.source import UNKNOWN, SourcePos


@dataclass(frozen=True)
class Rebalancer:
    """``created`` is the document's ``metadata.creationTimestamp`` when it has one,
    else the time of the first render that saw it (RFC 3339, UTC): each listed
    resource is rescheduled once, if its last successful schedule is older."""

    name: str
    created: str
    workloads: tuple[ResourceId, ...] = ()
    pos: SourcePos = UNKNOWN

    @property
    def token(self) -> str:
        """How ``ResourceState.rebalancers`` records that it fired."""
        return f"{self.name}@{self.created}"
