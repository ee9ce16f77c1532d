"""Which policy claims a resource (KARMADA-SEMANTICS §1.2, pitfalls 4 and 5)."""

from __future__ import annotations

import pytest

from gitfleet.model.keys import ResourceId
from gitfleet.model.policy import LabelSelector, PropagationPolicy, ResourceSelector
from gitfleet.schedule.policy_select import select_policy, skip_reason

WEB = ResourceId("apps/v1", "Deployment", "shop", "web")
LABELS = {"app": "web"}


def sel(name: str | None = None, labels: dict[str, str] | None = None, kind: str = "Deployment",
        namespace: str | None = None) -> ResourceSelector:
    ls = LabelSelector(match_labels=tuple(sorted(labels.items()))) if labels is not None else None
    return ResourceSelector("apps/v1", kind, namespace=namespace, name=name, label_selector=ls)


def pp(name: str, *selectors: ResourceSelector, priority: int = 0, ns: str = "shop") -> PropagationPolicy:
    return PropagationPolicy("PropagationPolicy", name, ns, tuple(selectors) or (sel(),), priority=priority)


def cpp(name: str, *selectors: ResourceSelector, priority: int = 0) -> PropagationPolicy:
    return PropagationPolicy("ClusterPropagationPolicy", name, None, tuple(selectors) or (sel(),), priority=priority)


@pytest.mark.parametrize(
    ("policies", "winner"),
    [
        ([cpp("everything", priority=100), pp("plain")], "PropagationPolicy/shop/plain"),
        ([pp("low", priority=0), pp("high", priority=10)], "PropagationPolicy/shop/high"),
        ([pp("neg", priority=-5), pp("zero")], "PropagationPolicy/shop/zero"),
        ([pp("by-label", sel(labels=LABELS)), pp("by-name", sel(name="web"))], "PropagationPolicy/shop/by-name"),
        ([pp("all"), pp("by-label", sel(labels=LABELS))], "PropagationPolicy/shop/by-label"),
        ([pp("kind-only", priority=1), pp("by-name", sel(name="web"))], "PropagationPolicy/shop/kind-only"),
        ([pp("b"), pp("a"), pp("B")], "PropagationPolicy/shop/B"),
        ([pp("ab"), pp("abc")], "PropagationPolicy/shop/ab"),
        # A name makes the labelSelector irrelevant, even one that does not match.
        ([pp("named", sel(name="web", labels={"app": "other"}))], "PropagationPolicy/shop/named"),
        ([pp("other", sel(name="api")), cpp("fallback")], "ClusterPropagationPolicy/fallback"),
        ([cpp("low"), cpp("high", priority=3)], "ClusterPropagationPolicy/high"),
        ([pp("elsewhere", ns="billing"), cpp("fallback")], "ClusterPropagationPolicy/fallback"),
        ([pp("services", sel(kind="Service"))], None),
        ([pp("wrong-labels", sel(labels={"app": "api"}))], None),
        ([cpp("other-ns", sel(namespace="billing"))], None),
        ([], None),
    ],
    ids=["pp-beats-higher-cpp", "explicit-priority", "negative-priority", "name-beats-label",
         "label-beats-kind", "explicit-before-implicit", "byte-order", "prefix-first", "name-overrides-labels",
         "cpp-when-no-pp-matches", "cpp-priority", "pp-of-other-namespace-ignored", "kind-mismatch",
         "label-mismatch", "cpp-namespace-mismatch", "no-policies"],
)
def test_winner(policies: list[PropagationPolicy], winner: str | None) -> None:
    chosen, candidates = select_policy(WEB, LABELS, policies)
    assert (chosen.ref if chosen else None) == winner
    assert [c.policy for c in candidates if c.verdict == "chosen"] == ([winner] if winner else [])


@pytest.mark.parametrize(
    ("policies", "loser", "verdict"),
    [
        ([pp("low"), pp("high", priority=10)], "PropagationPolicy/shop/low",
         "lost: explicit priority 0 < 10 (PropagationPolicy/shop/high)"),
        ([cpp("all", priority=100), pp("plain")], "ClusterPropagationPolicy/all",
         ("lost: a PropagationPolicy matched, which always beats a ClusterPropagationPolicy "
         "(PropagationPolicy/shop/plain)")),
        ([pp("by-label", sel(labels=LABELS)), pp("by-name", sel(name="web"))], "PropagationPolicy/shop/by-label",
         "lost: implicit priority labelSelector match < name match (PropagationPolicy/shop/by-name)"),
        ([pp("b"), pp("a")], "PropagationPolicy/shop/b", "lost: same priorities, and name 'a' sorts before 'b'"),
        ([pp("svc", sel(kind="Service")), cpp("x")], "PropagationPolicy/shop/svc",
         "did not match: selects apps/v1 Service, not apps/v1 Deployment"),
        ([pp("api", sel(name="api"))], "PropagationPolicy/shop/api", "did not match: selects name 'api', not 'web'"),
        ([pp("lbl", sel(labels={"tier": "db"}))], "PropagationPolicy/shop/lbl",
         "did not match: labelSelector does not match the template's labels"),
    ],
    ids=["explicit", "pp-over-cpp", "implicit", "name", "kind", "name-mismatch", "labels"],
)
def test_verdict_words(policies: list[PropagationPolicy], loser: str, verdict: str) -> None:
    _, candidates = select_policy(WEB, LABELS, policies)
    by_ref = {c.policy: c for c in candidates}
    assert by_ref[loser].verdict == verdict
    assert by_ref[loser].matched is verdict.startswith("lost")


def test_candidates_ordered_winner_first_then_rank_then_unmatched() -> None:
    policies = [pp("z-nomatch", sel(kind="Service")), cpp("c"), pp("b"), pp("a", priority=1)]
    _, candidates = select_policy(WEB, LABELS, policies)
    assert [c.policy for c in candidates] == [
        "PropagationPolicy/shop/a", "PropagationPolicy/shop/b", "ClusterPropagationPolicy/c",
        "PropagationPolicy/shop/z-nomatch",
    ]
    assert [(c.priority, c.implicit_priority) for c in candidates] == [(1, 1), (0, 1), (0, 1), (0, 0)]


def test_cluster_scoped_resources_only_see_cluster_policies() -> None:
    ns = ResourceId("v1", "Namespace", None, "shop")
    policies = [
        PropagationPolicy("PropagationPolicy", "p", "shop", (ResourceSelector("v1", "Namespace"),)),
        PropagationPolicy("ClusterPropagationPolicy", "c", None, (ResourceSelector("v1", "Namespace"),)),
    ]
    chosen, candidates = select_policy(ns, {}, policies)
    assert chosen is not None and chosen.ref == "ClusterPropagationPolicy/c"
    assert [c.policy for c in candidates] == ["ClusterPropagationPolicy/c"]


@pytest.mark.parametrize(
    ("namespace", "kind", "name", "skipped"),
    [
        ("karmada-system", "Deployment", "web", True),
        ("karmada-cluster", "Deployment", "web", True),
        ("karmada-es-member1", "Deployment", "web", True),
        ("kube-system", "Deployment", "web", True),
        ("kube-public", "Deployment", "web", True),
        ("my-kube-stuff", "Deployment", "web", False),
        ("kube", "Deployment", "web", False),
        ("shop", "Deployment", "web", False),
        ("karmada-demo", "Deployment", "web", False),
    ],
    ids=["karmada-system", "karmada-cluster", "execution-space", "kube-system", "kube-public",
         "anchored-pattern", "kube-without-dash", "ordinary", "karmada-prefix-only"],
)
def test_reserved_and_skipped_namespaces(namespace: str, kind: str, name: str, skipped: bool) -> None:
    rid = ResourceId("apps/v1", kind, namespace, name)
    policy = PropagationPolicy("ClusterPropagationPolicy", "all", None, (ResourceSelector("apps/v1", kind),))
    chosen, candidates = select_policy(rid, {}, [policy])
    assert (chosen is None) is skipped
    assert candidates[0].verdict.startswith("not considered") is skipped
    assert candidates[0].matched


def test_extension_apiserver_authentication_is_skipped_even_without_kube_pattern() -> None:
    rid = ResourceId("v1", "ConfigMap", "kube-system", "extension-apiserver-authentication")
    assert skip_reason(rid, skipped_namespaces=()) is not None
    other = ResourceId("v1", "ConfigMap", "kube-system", "coredns")
    assert skip_reason(other, skipped_namespaces=()) is None
