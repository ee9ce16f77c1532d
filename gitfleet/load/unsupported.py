"""Karmada fields gitfleet accepts but does not act upon, in one table.

DESIGN.md §1: such fields are never silently dropped; each is reported once per file
as a warning naming the field. A field set to its inert default (``preemption:
Never``) changes nothing and is not reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gitfleet.load.report import Reporter

PP_KINDS = frozenset({"PropagationPolicy", "ClusterPropagationPolicy"})
CLUSTER_KINDS = frozenset({"Cluster"})


@dataclass(frozen=True)
class Unsupported:
    kinds: frozenset[str]
    path: tuple[str, ...]
    why: str
    inert: tuple[Any, ...] = ()  # values that mean "off"

    @property
    def name(self) -> str:
        return ".".join(self.path)


UNSUPPORTED: tuple[Unsupported, ...] = (
    Unsupported(PP_KINDS, ("spec", "placement", "workloadAffinity"),
                "alpha in Karmada (feature gate WorkloadAffinity, off by default)"),
    Unsupported(PP_KINDS, ("spec", "failover", "application"),
                "application failover (eviction on the workload's own health) is not implemented; "
                "cluster failover follows the cluster taints"),
    Unsupported(PP_KINDS, ("spec", "failover", "cluster", "statePreservation"),
                "state preservation is not implemented: the workload moves without the preserved fields"),
    Unsupported(PP_KINDS, ("spec", "activationPreference"),
                "it only delays when a live Karmada acts on policy changes"),
    Unsupported(PP_KINDS, ("spec", "dependentOverrides"),
                "all policies of one commit take effect together, there is nothing to wait for"),
    Unsupported(PP_KINDS, ("spec", "preemption"),
                "claims are recomputed from scratch on every render, so there is nothing to preempt",
                inert=("Never",)),
    Unsupported(PP_KINDS, ("spec", "schedulePriority"),
                "it only orders Karmada's scheduling queue"),
    Unsupported(PP_KINDS, ("spec", "association"),
                "deprecated and unused by Karmada", inert=(False,)),
    Unsupported(PP_KINDS, ("spec", "preserveResourcesOnDeletion"),
                "pruning follows fleet.yaml spec.apply.prune", inert=(False,)),
    Unsupported(CLUSTER_KINDS, ("spec", "resourceModels"),
                "resource-model grading is not implemented; capacity comes from "
                "status.resourceSummary allocatable/allocated/allocating"),
    Unsupported(CLUSTER_KINDS, ("status", "resourceSummary", "allocatableModelings"),
                "resource-model grading is not implemented"),
    Unsupported(CLUSTER_KINDS, ("spec", "impersonatorSecretRef"),
                "gitfleet does not impersonate users on member clusters"),
    Unsupported(CLUSTER_KINDS, ("spec", "proxyURL"),
                "member clusters are reached without a proxy"),
    Unsupported(CLUSTER_KINDS, ("spec", "proxyHeader"),
                "member clusters are reached without a proxy"),
)


def _lookup(doc: Any, path: Iterable[str]) -> tuple[bool, Any]:
    node = doc
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return False, None
        node = node[step]
    return True, node


def present_fields(doc: Any, kind: str) -> list[Unsupported]:
    """The unsupported fields ``doc`` sets to something other than an inert default."""
    found = []
    for entry in UNSUPPORTED:
        if kind not in entry.kinds:
            continue
        exists, value = _lookup(doc, entry.path)
        if exists and value is not None and not any(value == v and type(value) is type(v) for v in entry.inert):
            found.append(entry)
    return found


def report_unsupported(doc: Any, kind: str, report: Reporter, seen: set[str]) -> tuple[str, ...]:
    """Warn about each unsupported field not yet reported for this file (``seen``
    holds the names already reported); return the names ``doc`` sets."""
    names = []
    for entry in present_fields(doc, kind):
        names.append(entry.name)
        if entry.name in seen:
            continue
        seen.add(entry.name)
        report.warning(entry.path, f"not implemented by gitfleet, ignored: {entry.why}")
    return tuple(names)
