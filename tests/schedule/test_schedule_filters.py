"""Filter plugins, one table each (KARMADA-SEMANTICS §2.2, pitfall 10)."""

from __future__ import annotations

import pytest
from schedule_builders import DEPLOY, cluster, labelled, names, placement

from gitfleet.model.cluster import Taint
from gitfleet.model.policy import (
    ClusterAffinity,
    FieldSelectorRequirement,
    SpreadConstraint,
    Toleration,
)
from gitfleet.schedule.filters import PLUGINS, FilterContext, api_enablement, cluster_affinity
from gitfleet.schedule.filters import spread_constraint as spread_filter
from gitfleet.schedule.filters import taint_toleration as taints

PROD = Taint("env", "prod", "NoSchedule")


@pytest.mark.parametrize(
    ("cluster_taints", "tolerations", "untolerated"),
    [
        ((), (), None),
        ((PROD,), (), "env=prod:NoSchedule"),
        ((Taint("env", "prod", "NoExecute"),), (), "env=prod:NoExecute"),
        ((Taint("env", "prod", "PreferNoSchedule"),), (), None),
        ((PROD,), (Toleration(key="env", operator="Exists"),), None),
        ((PROD,), (Toleration(key="env", operator="Equal", value="prod"),), None),
        ((PROD,), (Toleration(key="env", value="prod", effect="NoSchedule"),), None),
        ((PROD,), (Toleration(key="env", operator="Equal", value="dev"),), "env=prod:NoSchedule"),
        ((PROD,), (Toleration(key="env", operator="Exists", effect="NoExecute"),), "env=prod:NoSchedule"),
        # Pitfall: {effect: NoSchedule} alone is Equal with empty key and value.
        ((PROD,), (Toleration(effect="NoSchedule"),), "env=prod:NoSchedule"),
        ((Taint("dedicated", "", "NoSchedule"),), (Toleration(effect="NoSchedule"),), None),
        ((PROD, Taint("gpu", "", "NoExecute")), (Toleration(operator="Exists"),), None),
        ((PROD, Taint("gpu", "", "NoExecute")), (Toleration(key="env", operator="Exists"),), "gpu:NoExecute"),
        ((PROD,), (Toleration(key="env", operator="Lt", value="prod"),), "env=prod:NoSchedule"),
    ],
    ids=["no-taints", "untolerated", "no-execute-filters", "prefer-ignored", "exists", "equal",
         "equal-with-effect", "other-value", "other-effect", "effect-only-pitfall", "effect-only-valueless",
         "exists-everything", "second-taint", "unknown-operator"],
)
def test_taint_toleration(
    cluster_taints: tuple[Taint, ...], tolerations: tuple[Toleration, ...], untolerated: str | None
) -> None:
    ctx = FilterContext(DEPLOY, placement(tolerations=tolerations))
    verdict = taints.check(cluster("m1", taints=cluster_taints), ctx)
    assert verdict.step == "TaintToleration"
    assert verdict.passed is (untolerated is None)
    if untolerated is not None:
        assert verdict.fit_reason == f"cluster(s) had untolerated taint {{{untolerated}}}"
        assert untolerated in verdict.reason


@pytest.mark.parametrize(
    ("taint", "text"),
    [(Taint("k", "v", "NoSchedule"), "k=v:NoSchedule"), (Taint("k", "", "NoExecute"), "k:NoExecute"),
     (Taint("k", "v", ""), "k=v:"), (Taint("k", "", ""), "k")],
    ids=["full", "no-value", "no-effect", "key-only"],
)
def test_taint_string(taint: Taint, text: str) -> None:
    assert taints.taint_string(taint) == text


@pytest.mark.parametrize(
    ("apis", "passed"),
    [(None, True), (frozenset({("apps/v1", "Deployment")}), True),
     (frozenset({("apps/v1", "StatefulSet"), ("apps/v1beta1", "Deployment")}), False), (frozenset(), False)],
    ids=["not-listed-means-all", "listed", "other-version", "empty-list"],
)
def test_api_enablement(apis: frozenset[tuple[str, str]] | None, passed: bool) -> None:
    verdict = api_enablement.check(cluster("m1", apis=apis), FilterContext(DEPLOY, placement()))
    assert verdict.passed is passed
    assert verdict.fit_reason == ("" if passed else "cluster(s) did not have the API resource")


EU = FieldSelectorRequirement("region", "In", ("eu",))


@pytest.mark.parametrize(
    ("affinities", "passed", "reason"),
    [
        ((), True, "no cluster affinity"),
        ((names("m1", "ghost"),), True, "matches the affinity term"),
        ((names("m2"),), False, "not in clusterNames"),
        ((ClusterAffinity(exclude=("m1",)),), False, "excluded by name"),
        ((ClusterAffinity(cluster_names=("m1",), exclude=("m1",)),), False, "excluded by name"),
        ((labelled(env="prod"),), True, "matches"),
        ((labelled(env="dev"),), False, "labels do not match"),
        ((ClusterAffinity(field_selector=(EU,)),), True, "matches"),
        ((ClusterAffinity(field_selector=(FieldSelectorRequirement("region", "NotIn", ("eu",)),)),), False,
         "does not satisfy NotIn"),
        ((names("m2"), names("m1")), True, "matches overflow affinity 1"),
        ((names("m2"), names("m3")), False, "primary: not in clusterNames; overflow 1: not in clusterNames"),
    ],
    ids=["none", "names", "not-named", "exclude", "exclude-beats-names", "labels", "labels-mismatch",
         "field", "field-notin", "overflow-tier", "no-tier"],
)
def test_cluster_affinity(affinities: tuple[ClusterAffinity, ...], passed: bool, reason: str) -> None:
    c = cluster("m1", labels={"env": "prod"}, region="eu")
    verdict = cluster_affinity.check(c, FilterContext(DEPLOY, placement(), affinities))
    assert verdict.passed is passed
    assert reason in verdict.reason
    if not passed:
        assert verdict.fit_reason == "cluster(s) did not match the placement cluster affinity constraint"


@pytest.mark.parametrize(
    ("field", "kwargs", "fit_reason"),
    [
        ("region", {}, "cluster(s) did not have region property"),
        ("region", {"region": "eu"}, ""),
        ("zone", {"region": "eu"}, "cluster(s) did not have zones property"),
        ("zone", {"zones": ("eu-1",)}, ""),
        ("provider", {}, "cluster(s) did not have provider property"),
        ("provider", {"provider": "aws"}, ""),
        ("cluster", {}, ""),
        (None, {}, ""),
    ],
    ids=["region-missing", "region", "zones-missing", "zones", "provider-missing", "provider", "cluster",
         "label"],
)
def test_spread_constraint_filter(field: str | None, kwargs: dict[str, object], fit_reason: str) -> None:
    constraint = SpreadConstraint(spread_by_field=field, spread_by_label=None if field else "team")
    ctx = FilterContext(DEPLOY, placement(spread=(constraint,)))
    verdict = spread_filter.check(cluster("m1", **kwargs), ctx)  # type: ignore[arg-type]
    assert verdict.passed is (fit_reason == "")
    assert verdict.fit_reason == fit_reason


def test_plugins_run_in_a_fixed_order() -> None:
    assert [name for name, _ in PLUGINS] == ["APIEnablement", "TaintToleration", "ClusterAffinity", "SpreadConstraint"]


def test_plain_verdict_drops_the_fit_reason() -> None:
    verdict = taints.check(cluster("m1", taints=(PROD,)), FilterContext(DEPLOY, placement()))
    plain = verdict.plain()
    assert type(plain).__name__ == "FilterVerdict"
    assert (plain.cluster, plain.step, plain.passed, plain.reason) == (
        verdict.cluster, verdict.step, verdict.passed, verdict.reason)
