"""What the scheduler and override rules remember while a plan is made (``FilterMemo``,
``AffinityMemo``) never changes an answer: a run that shares one memo across resources
gives exactly what fresh runs give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from schedule_builders import (
    AGGREGATED,
    CONFIGMAP,
    DEPLOY,
    DUPLICATED,
    DYNAMIC,
    cluster,
    deployment,
    labelled,
    names,
    placement,
    static,
)

from gitfleet.model.cluster import Cluster, Taint
from gitfleet.model.match import AffinityMemo, cluster_affinity_mismatch
from gitfleet.model.policy import (
    ClusterAffinity,
    ClusterAffinityTerm,
    FieldSelectorRequirement,
    LabelSelector,
    LabelSelectorRequirement,
    Placement,
    SpreadConstraint,
    Toleration,
)
from gitfleet.schedule import interpret
from gitfleet.schedule.filters import INPUTS, PLUGINS
from gitfleet.schedule.scheduler import FilterMemo, schedule

GPU = Taint("dedicated", "gpu", "NoSchedule")
DEPLOYMENTS_ONLY = frozenset({("apps/v1", "Deployment")})


def inventory() -> list[Cluster]:
    return [
        cluster("a1", labels={"env": "prod"}, region="eu", provider="aws", zones=("eu-1",), cpu="8"),
        cluster("a2", labels={"env": "prod"}, region="eu", provider="gcp", cpu="4", taints=(GPU,)),
        cluster("a3", labels={"env": "dev"}, region="us", cpu="2", apis=DEPLOYMENTS_ONLY),
        cluster("a4", labels={"env": "prod", "tier": "gpu"}, region="us", provider="aws", cpu="16"),
        cluster("a5", labels={}, cpu="1"),
    ]


PROVIDER_AWS = ClusterAffinity(field_selector=(FieldSelectorRequirement("provider", "In", ("aws",)),))
# Equal by value to ``labelled(env="prod")`` but another object: they share answers.
PROD_AGAIN = ClusterAffinity(label_selector=LabelSelector(match_labels=(("env", "prod"),)))
NOT_GPU = ClusterAffinity(label_selector=LabelSelector(
    match_expressions=(LabelSelectorRequirement("tier", "NotIn", ("gpu",)),)))
AFFINITIES = [None, labelled(env="prod"), PROD_AGAIN, NOT_GPU, PROVIDER_AWS, names("a1", "a3"),
              ClusterAffinity(exclude=("a2",))]
PLACEMENTS: list[Placement] = [
    placement(DUPLICATED),
    placement(DUPLICATED, affinity=labelled(env="prod")),
    placement(DUPLICATED, affinity=PROD_AGAIN, tolerations=(Toleration("dedicated", "Exists"),)),
    placement(static((PROVIDER_AWS, 2), (labelled(env="prod"), 1))),
    placement(DYNAMIC, affinity=NOT_GPU),
    placement(AGGREGATED, spread=(SpreadConstraint("provider", min_groups=1, max_groups=2),)),
    placement(DYNAMIC, spread=(SpreadConstraint("region", min_groups=1, max_groups=2),
                               SpreadConstraint("cluster", min_groups=1, max_groups=3))),
    placement(DYNAMIC, terms=(
        ClusterAffinityTerm("gpu", NOT_GPU, overflow=(labelled(env="dev"),)),
        ClusterAffinityTerm("any", ClusterAffinity()),
    )),
]
RESOURCES = [(DEPLOY, deployment(3, cpu="1")), (DEPLOY, deployment(0)), (CONFIGMAP, None)]


def test_every_plugin_says_what_it_reads() -> None:
    assert sorted(INPUTS) == sorted(name for name, _ in PLUGINS)


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(st.tuples(st.integers(0, len(RESOURCES) - 1), st.integers(0, len(PLACEMENTS) - 1)),
                     min_size=1, max_size=8))
def test_a_shared_filter_memo_changes_no_result(runs: list[tuple[int, int]]) -> None:
    clusters = inventory()
    memo = FilterMemo()
    for resource, which in runs:
        rid, obj = RESOURCES[resource]
        workload = interpret(obj) if obj is not None else None
        shared = schedule(rid, workload, PLACEMENTS[which], clusters, memo)
        assert shared == schedule(rid, workload, PLACEMENTS[which], clusters)


@settings(max_examples=60, deadline=None)
@given(questions=st.lists(st.tuples(st.integers(0, len(AFFINITIES) - 1), st.integers(0, 4)), max_size=30))
def test_the_affinity_memo_answers_as_the_matcher(questions: list[tuple[int, int]]) -> None:
    clusters = inventory()
    memo = AffinityMemo()
    for term, index in questions:
        affinity, member = AFFINITIES[term], clusters[index]
        assert memo.mismatch(affinity, member) == cluster_affinity_mismatch(affinity, member)
        assert memo.matches(affinity, member) is (cluster_affinity_mismatch(affinity, member) is None)
