"""Which PropagationPolicy or ClusterPropagationPolicy claims a resource template
(KARMADA-SEMANTICS §1.2, Karmada ``pkg/detector/policy.go`` and ``compare.go``).

Offline there is no claim history, so the rule is: skip reserved and ``kube-*``
namespaces; consider the PropagationPolicies of the template's namespace, and the
ClusterPropagationPolicies only when none of those matches; among one kind the highest
explicit ``priority`` wins, then the most precise selector (implicit priority), then
the smallest name in byte order. Every policy considered gets a verdict in words, so
``gitfleet explain`` can say why a policy won or lost."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gitfleet.model.keys import ResourceId
from gitfleet.model.match import ImplicitPriority, resource_selector_priority, selectors_priority
from gitfleet.model.plan import PolicyCandidate
from gitfleet.model.policy import PropagationPolicy, ResourceSelector

PP = "PropagationPolicy"
CPP = "ClusterPropagationPolicy"
RESERVED_NAMESPACES = ("karmada-system", "karmada-cluster")
EXECUTION_SPACE_PREFIX = "karmada-es-"
# Karmada's --skipped-propagating-namespaces default; each pattern is anchored.
DEFAULT_SKIPPED_NAMESPACES = ("kube-.*",)

_PRIORITY_WORDS = {
    ImplicitPriority.NO_MATCH: "no match",
    ImplicitPriority.MATCH_ALL: "kind-only match",
    ImplicitPriority.LABEL_SELECTOR: "labelSelector match",
    ImplicitPriority.NAME: "name match",
}


@dataclass(frozen=True)
class _Ranked:
    policy: PropagationPolicy
    implicit: ImplicitPriority

    def key(self) -> tuple[int, int, str]:
        # Sorting ascending by this key puts the winner first. Python compares str by
        # code point, which is the same order as Go's byte-wise compare of UTF-8.
        return (-self.policy.priority, -int(self.implicit), self.policy.name)


def skip_reason(
    rid: ResourceId, skipped_namespaces: Sequence[str] = DEFAULT_SKIPPED_NAMESPACES
) -> str | None:
    """Why Karmada never propagates this template, or ``None`` if it may."""
    ns = rid.namespace
    if ns is None:
        return None
    if ns in RESERVED_NAMESPACES or ns.startswith(EXECUTION_SPACE_PREFIX):
        return f"namespace {ns!r} is reserved for Karmada and never propagated"
    for pattern in skipped_namespaces:
        if re.fullmatch(pattern, ns):
            return f"namespace {ns!r} matches the skipped-propagating-namespaces pattern {pattern!r}"
    if ns == "kube-system" and rid.kind == "ConfigMap" and rid.name == "extension-apiserver-authentication":
        return "kube-system/extension-apiserver-authentication is managed by kube-apiserver and never propagated"
    return None


def select_policy(
    rid: ResourceId,
    labels: Mapping[str, str],
    policies: Sequence[PropagationPolicy],
    skipped_namespaces: Sequence[str] = DEFAULT_SKIPPED_NAMESPACES,
) -> tuple[PropagationPolicy | None, tuple[PolicyCandidate, ...]]:
    """The policy that claims ``rid`` (or ``None``) and a verdict for every candidate.

    Candidates are the PropagationPolicies of the resource's namespace and every
    ClusterPropagationPolicy; PropagationPolicies of other namespaces can never select
    the resource and are not listed. The verdicts come winner first, then the other
    matching policies in rank order, then the ones that did not match, by reference.
    """
    pps = [p for p in policies if p.kind == PP and rid.namespace is not None and p.namespace == rid.namespace]
    cpps = [p for p in policies if p.kind == CPP]
    pp_ranked = _rank(pps, rid, labels)
    cpp_ranked = _rank(cpps, rid, labels)
    skipped = skip_reason(rid, skipped_namespaces)

    winner: _Ranked | None = None
    if skipped is None:
        winner = pp_ranked[0] if pp_ranked else cpp_ranked[0] if cpp_ranked else None

    verdicts: list[PolicyCandidate] = []
    for ranked in pp_ranked + cpp_ranked:
        if skipped is not None:
            words = f"not considered: {skipped}"
        elif winner is not None and ranked.policy is winner.policy:
            words = "chosen"
        elif ranked.policy.kind == CPP and pp_ranked:
            words = (
                "lost: a PropagationPolicy matched, which always beats a ClusterPropagationPolicy"
                f" ({pp_ranked[0].policy.ref})"
            )
        else:
            assert winner is not None
            words = _lost_words(ranked, winner)
        verdicts.append(_candidate(ranked.policy, ranked.implicit, words))
    matched = {id(r.policy) for r in pp_ranked + cpp_ranked}
    unmatched = sorted((p for p in pps + cpps if id(p) not in matched), key=lambda p: (p.kind != PP, p.ref))
    for policy in unmatched:
        verdicts.append(
            _candidate(policy, ImplicitPriority.NO_MATCH, f"did not match: {_mismatch(policy, rid, labels)}")
        )
    return (winner.policy if winner else None), tuple(verdicts)


def _rank(
    policies: Sequence[PropagationPolicy], rid: ResourceId, labels: Mapping[str, str]
) -> list[_Ranked]:
    ranked = []
    for policy in policies:
        implicit = selectors_priority(policy.selectors, rid, labels)
        if implicit > ImplicitPriority.NO_MATCH:
            ranked.append(_Ranked(policy, implicit))
    return sorted(ranked, key=_Ranked.key)


def _lost_words(loser: _Ranked, winner: _Ranked) -> str:
    against = winner.policy.ref
    if loser.policy.priority != winner.policy.priority:
        return f"lost: explicit priority {loser.policy.priority} < {winner.policy.priority} ({against})"
    if loser.implicit != winner.implicit:
        return (
            f"lost: implicit priority {_PRIORITY_WORDS[loser.implicit]} < "
            f"{_PRIORITY_WORDS[winner.implicit]} ({against})"
        )
    return f"lost: same priorities, and name {winner.policy.name!r} sorts before {loser.policy.name!r}"


def _candidate(policy: PropagationPolicy, implicit: ImplicitPriority, verdict: str) -> PolicyCandidate:
    return PolicyCandidate(
        policy=policy.ref,
        matched=implicit > ImplicitPriority.NO_MATCH,
        priority=policy.priority,
        implicit_priority=int(implicit),
        verdict=verdict,
    )


def _mismatch(policy: PropagationPolicy, rid: ResourceId, labels: Mapping[str, str]) -> str:
    reasons = [_selector_mismatch(s, rid, labels) for s in policy.selectors]
    if not reasons:
        return "the policy has no resourceSelectors"
    return "; ".join(reasons)


def _selector_mismatch(selector: ResourceSelector, rid: ResourceId, labels: Mapping[str, str]) -> str:
    if resource_selector_priority(selector, rid, labels) > ImplicitPriority.NO_MATCH:
        return "selector matches"  # not reached for policies that did not match
    if selector.api_version != rid.api_version or selector.kind != rid.kind:
        return f"selects {selector.api_version} {selector.kind}, not {rid.api_version} {rid.kind}"
    if selector.namespace and selector.namespace != (rid.namespace or ""):
        return f"selects namespace {selector.namespace!r}, not {rid.namespace or '(cluster-scoped)'!r}"
    if selector.name:
        return f"selects name {selector.name!r}, not {rid.name!r}"
    return "labelSelector does not match the template's labels"
