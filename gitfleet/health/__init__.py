"""Cluster health as Karmada's cluster controller derives it (issue 11): probe results
become the ``Ready`` condition and the ``not-ready`` / ``unreachable`` taints, held back
from NoExecute by a disruption guard; and the observed state laid over the inventory so
every render sees the same clusters. Pure: the probing is :mod:`gitfleet.kube.probe`'s,
the record :mod:`gitfleet.status.health`'s."""

from __future__ import annotations

from gitfleet.health.machine import HEALTH_TAINTS, observe
from gitfleet.health.overlay import apply_observed

__all__ = ["HEALTH_TAINTS", "apply_observed", "observe"]
