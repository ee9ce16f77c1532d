"""Apply the override policies that select a resource to its manifest for one cluster
(KARMADA-SEMANTICS §4), recording every field that changed.

Order: policies as ``select.matching_policies`` gives them; within a policy its rules
in list order, each only when its ``targetCluster`` is absent or matches the cluster;
within a rule the fixed overrider order of :data:`gitfleet.model.overriders.OVERRIDERS`
(Karmada's: image, command, args, labels, annotations, field, plaintext), whatever the
order in the YAML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gitfleet.errors import OverrideError
from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.model.match import AffinityMemo, cluster_matches
from gitfleet.model.overriders import OVERRIDERS
from gitfleet.model.plan import AppliedOverride
from gitfleet.model.policy import ClusterAffinity, OverridePolicy, Overriders, OverrideRule
from gitfleet.override._doc import OverriderFailure, diff
from gitfleet.override.command_args import apply_args_overriders, apply_command_overriders
from gitfleet.override.field import apply_field_overriders
from gitfleet.override.image import apply_image_overriders
from gitfleet.override.metadata import apply_annotations_overriders, apply_labels_overriders
from gitfleet.override.plaintext import apply_plaintext
from gitfleet.override.select import matching_policies
from gitfleet.redaction import mask_at

Step = Callable[[Mapping[str, Any], Any], Any]

# The function of each overrider, by API name; the order is the table's.
FUNCTIONS: Mapping[str, Step] = {
    "imageOverrider": apply_image_overriders,
    "commandOverrider": apply_command_overriders,
    "argsOverrider": apply_args_overriders,
    "labelsOverrider": apply_labels_overriders,
    "annotationsOverrider": apply_annotations_overriders,
    "fieldOverrider": apply_field_overriders,
    "plaintext": apply_plaintext,
}

# (API name, Overriders attribute, function) in Karmada's order. A row of the table
# without a function fails here, at import, not in the middle of a render.
STEPS: tuple[tuple[str, str, Step], ...] = tuple(
    (kind.api_name, kind.attribute, FUNCTIONS[kind.api_name]) for kind in OVERRIDERS
)


def apply_rule_overriders(
    manifest: Mapping[str, Any], overriders: Overriders, policy: str, rule: int
) -> tuple[Any, list[AppliedOverride]]:
    """One rule's overriders in the fixed order; raises ``OverrideError``."""
    doc: Any = manifest
    applied: list[AppliedOverride] = []
    for name, attribute, step in STEPS:
        entries = getattr(overriders, attribute)
        if not entries:
            continue
        try:
            after = step(doc, entries)
        except OverriderFailure as exc:
            raise OverrideError(policy, rule, name, exc.message) from None
        if not isinstance(after, Mapping):
            raise OverrideError(policy, rule, name, "the result is not an object; do not replace the whole document")
        if after is not doc and _identity(after) != _identity(doc):
            # Validation refuses such rules; this guards whatever it cannot see.
            raise OverrideError(policy, rule, name, "it changes apiVersion, kind, metadata.name or "
                                "metadata.namespace, which identify the object")
        # A Secret's values are recorded as digests: explanations are shown and logged.
        applied.extend(AppliedOverride(ptr, policy, rule, name, mask_at(doc, ptr, old), mask_at(after, ptr, new))
                       for ptr, old, new in diff(doc, after))
        doc = after
    return doc, applied


def _identity(doc: Mapping[str, Any]) -> tuple[Any, ...]:
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return doc.get("apiVersion"), doc.get("kind"), meta.get("name"), meta.get("namespace")


class RuleMemo:
    """The rules of each override policy that target a cluster, remembered while one
    plan is made: a policy applies to many resources, and its rules' ``targetCluster``
    terms were matched again for every (resource, cluster) pair (780,000 times for 20
    resources on 10,000 clusters). Entries hold the policy and the cluster, so their
    ids cannot be reused while the memo lives; make one per plan."""

    def __init__(self) -> None:
        self._terms = AffinityMemo()
        self._rules: dict[int, tuple[OverridePolicy, dict[int, tuple[Cluster, tuple[OverrideRule, ...]]]]] = {}

    def rules(self, policy: OverridePolicy, cluster: Cluster) -> tuple[OverrideRule, ...]:
        """The rules of ``policy`` that apply on ``cluster``, in order."""
        entry = self._rules.get(id(policy))
        if entry is None:
            entry = self._rules[id(policy)] = (policy, {})
        known = entry[1].get(id(cluster))
        if known is None:
            known = entry[1][id(cluster)] = (cluster, _targeting(policy, cluster, self._terms.matches))
        return known[1]


def _targeting(
    policy: OverridePolicy, cluster: Cluster, matches: Callable[[ClusterAffinity, Cluster], bool]
) -> tuple[OverrideRule, ...]:
    return tuple(
        rule for rule in policy.rules if rule.target_cluster is None or matches(rule.target_cluster, cluster)
    )


def apply_policies(
    manifest: Mapping[str, Any],
    cluster: Cluster,
    policies: Sequence[OverridePolicy],
    memo: RuleMemo | None = None,
) -> tuple[dict[str, Any], tuple[AppliedOverride, ...]]:
    """Apply already selected and ordered policies (see ``matching_policies``), so a
    caller can select once per resource and apply once per cluster. A caller that
    applies to many resources passes one ``memo`` so that each rule's ``targetCluster``
    is matched once per cluster, not once per resource and cluster."""
    doc: Any = manifest
    applied: list[AppliedOverride] = []
    for policy in policies:
        rules = memo.rules(policy, cluster) if memo is not None else _targeting(policy, cluster, cluster_matches)
        for rule in rules:
            doc, changes = apply_rule_overriders(doc, rule.overriders, policy.ref, rule.index)
            applied.extend(changes)
    if doc is manifest or type(doc) is not dict:
        doc = dict(doc)
    return doc, tuple(applied)


def apply_overrides(
    manifest: Mapping[str, Any],
    rid: ResourceId,
    labels: Mapping[str, str],
    cluster: Cluster,
    policies: Sequence[OverridePolicy],
) -> tuple[dict[str, Any], tuple[AppliedOverride, ...]]:
    """The manifest for ``cluster`` after every override policy that selects the
    resource, and the fields they changed.

    The input is never modified. The result is a new top-level dict that shares every
    unchanged subtree with the input (only the paths to changed fields are copied), so
    treat it as read-only or copy it before editing it in place. Raises
    ``OverrideError`` naming the policy, rule and overrider that failed.
    """
    if not policies:
        return dict(manifest), ()
    return apply_policies(manifest, cluster, matching_policies(rid, labels, policies))
