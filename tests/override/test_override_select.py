"""Which override policies apply, in which order (KARMADA-SEMANTICS §4.1)."""

from __future__ import annotations

import pytest
from ovhelpers import policy, select_deployment

from gitfleet.model import Overriders, ResourceId, ResourceSelector
from gitfleet.override.select import matching_policies

WEB = ResourceId("apps/v1", "Deployment", "default", "web")
LABELS = {"app": "web"}
NOTHING = Overriders()

ALL = ()  # no selectors: every resource, match-all priority
BY_KIND = (select_deployment(),)
BY_LABEL = (select_deployment(app="web"),)
BY_NAME = (select_deployment("web"),)
OTHER_NAME = (select_deployment("api"),)
OTHER_LABEL = (select_deployment(app="api"),)
OTHER_KIND = (ResourceSelector("v1", "ConfigMap"),)

CASES = [
    ("cop before op whatever the names",
     [("a-op", "default", BY_NAME), ("z-cop", None, ALL)], ["z-cop", "a-op"]),
    ("ascending implicit priority",
     [("n1", "default", BY_NAME), ("n2", "default", BY_LABEL), ("n3", "default", BY_KIND)], ["n3", "n2", "n1"]),
    ("no selectors counts as match-all",
     [("b", "default", BY_LABEL), ("c", "default", ALL), ("a", "default", BY_KIND)], ["a", "c", "b"]),
    ("ties by name", [("zeta", None, BY_LABEL), ("alpha", None, BY_LABEL), ("mid", None, BY_LABEL)],
     ["alpha", "mid", "zeta"]),
    ("non-matching policies dropped",
     [("x", "default", OTHER_NAME), ("y", "default", OTHER_LABEL), ("z", None, OTHER_KIND), ("ok", None, BY_KIND)],
     ["ok"]),
    ("best selector of a policy counts",
     [("a", "default", (*OTHER_NAME, *BY_NAME)), ("b", "default", BY_LABEL)], ["b", "a"]),
    ("ops of other namespaces ignored", [("a", "prod", ALL), ("b", "default", ALL)], ["b"]),
    ("input order irrelevant",
     [("c", None, BY_NAME), ("b", "default", BY_KIND), ("a", None, BY_KIND), ("d", "default", BY_KIND)],
     ["a", "c", "b", "d"]),
    ("selector namespace must match", [("a", None, (select_deployment(namespace="prod"),)),
                                       ("b", None, (select_deployment(namespace="default"),))], ["b"]),
]


@pytest.mark.parametrize(("specs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_order(specs: list[tuple[str, str | None, tuple[ResourceSelector, ...]]], expected: list[str]) -> None:
    policies = [policy(name, NOTHING, namespace=ns, selectors=sel) for name, ns, sel in specs]
    assert [p.name for p in matching_policies(WEB, LABELS, policies)] == expected


def test_cluster_scoped_resources_only_get_cluster_override_policies() -> None:
    role = ResourceId("rbac.authorization.k8s.io/v1", "ClusterRole", None, "reader")
    policies = [policy("op", NOTHING, namespace="default"), policy("cop", NOTHING, namespace=None),
                policy("cop-ns", NOTHING, namespace=None, selectors=(
                    ResourceSelector("rbac.authorization.k8s.io/v1", "ClusterRole", "default"),))]
    assert [p.name for p in matching_policies(role, {}, policies)] == ["cop"]
