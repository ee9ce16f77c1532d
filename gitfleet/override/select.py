"""Which override policies apply to a resource, and in which order
(Karmada ``overridemanager.go`` getOverridersFromOverridePolicies).

The order decides conflicts, because a later write wins: every ClusterOverridePolicy
runs before every OverridePolicy, and within each group a more precise selector
match runs later. There is no explicit priority for override policies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gitfleet.model.keys import ResourceId
from gitfleet.model.match import ImplicitPriority, selectors_priority
from gitfleet.model.policy import OverridePolicy


def implicit_priority(policy: OverridePolicy, rid: ResourceId, labels: Mapping[str, str]) -> ImplicitPriority:
    """How precisely the policy selects the resource; a policy without selectors
    selects everything with match-all priority."""
    if not policy.selectors:
        return ImplicitPriority.MATCH_ALL
    return selectors_priority(policy.selectors, rid, labels)


def matching_policies(
    rid: ResourceId, labels: Mapping[str, str], policies: Sequence[OverridePolicy]
) -> list[OverridePolicy]:
    """The policies that select the resource, in application order: ClusterOverridePolicies,
    then (namespaced resources only) OverridePolicies of the resource's namespace; each
    group by ascending implicit priority, then ascending name."""
    cluster_wide: list[tuple[int, str, OverridePolicy]] = []
    namespaced: list[tuple[int, str, OverridePolicy]] = []
    for policy in policies:
        if policy.namespace is None:
            group = cluster_wide
        elif rid.namespace is not None and policy.namespace == rid.namespace:
            group = namespaced
        else:
            continue
        priority = implicit_priority(policy, rid, labels)
        if priority != ImplicitPriority.NO_MATCH:
            group.append((int(priority), policy.name, policy))
    cluster_wide.sort(key=lambda entry: entry[:2])
    namespaced.sort(key=lambda entry: entry[:2])
    return [entry[2] for entry in cluster_wide] + [entry[2] for entry in namespaced]
