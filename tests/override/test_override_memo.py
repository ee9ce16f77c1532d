"""``RuleMemo`` remembers which rules of a policy target a cluster; sharing one across
resources and clusters gives exactly what matching every time gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from ovhelpers import container, deployment, policy

from gitfleet.model import (
    Cluster,
    ClusterAffinity,
    ImageOverrider,
    LabelSelector,
    MetadataOverrider,
    Overriders,
)
from gitfleet.model.policy import FieldSelectorRequirement
from gitfleet.override.apply import RuleMemo, apply_policies

CLUSTERS = [
    Cluster("m1", labels={"env": "prod"}, provider="aws"),
    Cluster("m2", labels={"env": "staging"}, provider="gcp"),
    Cluster("m3", labels={}, provider="aws"),
]
AWS = ClusterAffinity(field_selector=(FieldSelectorRequirement("provider", "In", ("aws",)),))
STAGING = ClusterAffinity(label_selector=LabelSelector(match_labels=(("env", "staging"),)))
REGISTRY = Overriders(image=(ImageOverrider("Registry", "replace", "mirror.example"),))
CANARY = Overriders(labels=(MetadataOverrider("add", {"stage": "canary"}),))
POLICIES = [
    policy("a", (REGISTRY, AWS), (CANARY, STAGING)),
    policy("b", (CANARY, ClusterAffinity(cluster_names=("m3",))), REGISTRY),
    # Equal terms in another policy: their answers are shared.
    policy("c", (CANARY, AWS), (REGISTRY, ClusterAffinity(exclude=("m1",)))),
]


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(st.tuples(st.lists(st.integers(0, len(POLICIES) - 1), max_size=3), st.integers(0, 2)),
                     min_size=1, max_size=10))
def test_a_shared_rule_memo_changes_no_result(runs: list[tuple[list[int], int]]) -> None:
    memo = RuleMemo()
    for chosen, member in runs:
        doc = deployment(container("web", "nginx:1.25"), labels={"app": "web"})
        policies = [POLICIES[i] for i in chosen]
        assert apply_policies(doc, CLUSTERS[member], policies, memo) == apply_policies(
            doc, CLUSTERS[member], policies)
