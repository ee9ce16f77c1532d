"""Selector corner cases fixed in gitfleet.model.match while building the scheduler:
Kubernetes rejects In/NotIn without values and Exists/DoesNotExist with values, and
Karmada then matches nothing; an empty provider/region counts as unset."""

from __future__ import annotations

import pytest
from schedule_builders import cluster

from gitfleet.model.match import cluster_matches, label_selector_matches
from gitfleet.model.policy import (
    ClusterAffinity,
    FieldSelectorRequirement,
    LabelSelector,
    LabelSelectorRequirement,
)


@pytest.mark.parametrize(
    ("operator", "values", "matches"),
    [("In", (), False), ("NotIn", (), False), ("Exists", ("x",), False), ("DoesNotExist", ("x",), False),
     ("NotIn", ("dev",), True), ("Exists", (), True)],
    ids=["in-empty", "notin-empty", "exists-with-values", "doesnotexist-with-values", "notin", "exists"],
)
def test_invalid_label_requirements_match_nothing(operator: str, values: tuple[str, ...], matches: bool) -> None:
    selector = LabelSelector(match_expressions=(LabelSelectorRequirement("env", operator, values),))
    assert label_selector_matches(selector, {"env": "prod"}) is matches


@pytest.mark.parametrize(
    ("req", "provider", "matches"),
    [
        (FieldSelectorRequirement("provider", "In", ("",)), "", False),
        (FieldSelectorRequirement("provider", "NotIn", ("aws",)), "", True),
        (FieldSelectorRequirement("provider", "NotIn", ()), "aws", False),
        (FieldSelectorRequirement("zone", "NotIn", ()), None, True),
    ],
    ids=["empty-provider-is-unset", "empty-provider-notin", "notin-without-values", "zone-notin-empty-ok"],
)
def test_field_selector_corner_cases(req: FieldSelectorRequirement, provider: str | None, matches: bool) -> None:
    affinity = ClusterAffinity(field_selector=(req,))
    assert cluster_matches(affinity, cluster("m1", provider=provider)) is matches
