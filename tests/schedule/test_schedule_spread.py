"""Selection with spread constraints (KARMADA-SEMANTICS §2.5, pitfalls 2 and 3)."""

from __future__ import annotations

import pytest
from schedule_builders import (
    AGGREGATED,
    DUPLICATED,
    DYNAMIC,
    WEIGHTED_NO_PREFERENCE,
    cand,
    names,
    placement,
    static,
)

from gitfleet.model.policy import ReplicaScheduling, SpreadConstraint
from gitfleet.schedule.candidate import ranked
from gitfleet.schedule.errors import SchedulingError
from gitfleet.schedule.spread import group_score, select, select_groups, spread_ignored

CLUSTER_2 = SpreadConstraint("cluster", min_groups=1, max_groups=2)
EMPTY_WEIGHTS = ReplicaScheduling(type="Divided", division_preference="Weighted", has_weight_preference=True)


@pytest.mark.parametrize(
    ("rs", "ignored"),
    [
        (static((names("a"), 1)), True),
        (WEIGHTED_NO_PREFERENCE, True),
        (ReplicaScheduling(type="Divided"), True),
        (EMPTY_WEIGHTS, False),
        (DYNAMIC, False),
        (AGGREGATED, False),
        (DUPLICATED, False),
    ],
    ids=["static", "weighted-no-preference", "divided-defaulted", "empty-weight-preference", "dynamic",
         "aggregated", "duplicated"],
)
def test_spread_ignored(rs: ReplicaScheduling, ignored: bool) -> None:
    assert spread_ignored(placement(rs, spread=(CLUSTER_2,))) is ignored


FOUR = ranked([cand("a", 10), cand("b", 8), cand("c", 6), cand("d", 4)])


@pytest.mark.parametrize(
    ("rs", "constraint", "replicas", "selected"),
    [
        (DUPLICATED, CLUSTER_2, 3, ["a", "b"]),
        (DUPLICATED, SpreadConstraint("cluster", min_groups=1, max_groups=9), 3, ["a", "b", "c", "d"]),
        (DYNAMIC, CLUSTER_2, 18, ["a", "b"]),
        (static((names("a"), 1)), SpreadConstraint("cluster", max_groups=1), 3, ["a", "b", "c", "d"]),
    ],
    ids=["top-2", "max-above-count", "dynamic-fits", "static-ignores-spread"],
)
def test_cluster_spread(rs: ReplicaScheduling, constraint: SpreadConstraint, replicas: int, selected: list[str]) -> None:
    result = select(placement(rs, spread=(constraint,)), FOUR, replicas)
    assert [c.name for c in result.clusters] == selected
    assert set(result.reasons) == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    ("rs", "constraints", "replicas", "message"),
    [
        (DYNAMIC, (CLUSTER_2,), 19, "no enough resource when selecting 2 clusters"),
        (DYNAMIC, (SpreadConstraint("cluster", min_groups=1, max_groups=0),), 3,
         "no enough resource when selecting 0 clusters"),
        (DUPLICATED, (SpreadConstraint("cluster", min_groups=5, max_groups=5),), 3,
         "the number of feasible clusters is less than spreadConstraint.MinGroups"),
        (DUPLICATED, (SpreadConstraint(spread_by_label="team"),), 3,
         "just support cluster and region spread constraint"),
        (DUPLICATED, (SpreadConstraint("zone", max_groups=2),), 3, "just support cluster and region spread constraint"),
        (DYNAMIC, (SpreadConstraint("provider", max_groups=2),), 3, "just support cluster and region spread constraint"),
    ],
    ids=["not-enough-capacity", "max-groups-unset-divided", "min-groups", "spread-by-label", "zone-only",
         "provider-only"],
)
def test_spread_failures(rs: ReplicaScheduling, constraints: tuple[SpreadConstraint, ...], replicas: int,
                         message: str) -> None:
    with pytest.raises(SchedulingError, match=message):
        select(placement(rs, spread=constraints), FOUR, replicas)


def test_max_groups_unset_selects_nothing_for_duplicated() -> None:
    # The failure then surfaces at replica assignment ("no clusters available").
    result = select(placement(spread=(SpreadConstraint("cluster", min_groups=1),)), FOUR, 3)
    assert result.clusters == ()
    assert any("maxGroups is unset" in note for note in result.notes)


def test_divided_swaps_low_ranked_picks_for_capacity() -> None:
    # Karmada's selectClustersByAvailableResource example: scores 60/50/40, 80 replicas in 2 clusters.
    clusters = ranked([cand("member1", 40, score=60), cand("member2", 30, score=50), cand("member3", 60, score=40)])
    result = select(placement(DYNAMIC, spread=(CLUSTER_2,)), clusters, 80)
    assert [c.name for c in result.clusters] == ["member1", "member3"]
    assert "swap member2 (available 30) for member3 (available 60)" in result.notes


@pytest.mark.parametrize(
    ("groups", "min_c", "max_c", "target", "chosen"),
    [
        ([("r1", 2, 2000), ("r2", 1, 1000), ("r3", 1, 1000)], 2, 2, 3, ["r1", "r2"]),
        ([("A", 1, 3000), ("B", 1, 2000), ("C", 1, 1000)], 1, 3, 1, ["A"]),
        ([("Y", 1, 1000), ("X", 2, 3000)], 1, 2, 2, ["X"]),
        ([("r1", 1, 1000), ("r2", 1, 1000)], 2, 2, 0, ["r1", "r2"]),
        ([("r1", 1, 1000), ("r2", 1, 1000)], 1, 0, 0, []),
        ([("r1", 1, 1000)], 2, 2, 1, []),
        ([], 1, 1, 0, []),
    ],
    ids=["cluster-min-forces-big-region", "highest-score", "strict-prefix-preferred", "all-needed",
         "region-max-unset", "too-few-regions", "no-groups"],
)
def test_select_groups(groups: list[tuple[str, int, int]], min_c: int, max_c: int, target: int,
                       chosen: list[str]) -> None:
    assert select_groups(groups, min_c, max_c, target) == chosen


def regions(ap_available: int) -> list:
    return ranked([
        cand("eu-1", 10, region="eu"), cand("eu-2", 8, region="eu"), cand("us-1", 9, region="us"),
        cand("ap-1", ap_available, region="ap"),
    ])


REGIONS = regions(3)


@pytest.mark.parametrize(
    ("ap_available", "chosen", "left_out"),
    [(3, ["eu-1", "eu-2", "us-1"], "ap"), (7, ["ap-1", "eu-1", "eu-2"], "us")],
    ids=["higher-region-score-wins", "equal-scores-fall-to-region-name"],
)
def test_region_spread_picks_best_of_each_region_then_fills(
    ap_available: int, chosen: list[str], left_out: str
) -> None:
    # Duplicated 5 replicas: a region scores 1000 per cluster that can hold all 5. eu holds two
    # clusters, so only eu plus one other region reaches the cluster minGroups of 3.
    plc = placement(spread=(SpreadConstraint("region", min_groups=2, max_groups=2),
                            SpreadConstraint("cluster", min_groups=3, max_groups=3)))
    result = select(plc, regions(ap_available), 5)
    assert sorted(c.name for c in result.clusters) == chosen
    assert result.reasons[f"{left_out}-1"] == f"not selected: region {left_out} was not chosen"


def test_region_spread_without_cluster_constraint_takes_one_per_region() -> None:
    plc = placement(spread=(SpreadConstraint("region", min_groups=3, max_groups=3),))
    result = select(plc, REGIONS, 5)
    assert sorted(c.name for c in result.clusters) == ["ap-1", "eu-1", "us-1"]
    assert result.reasons["eu-2"].startswith("not selected: beyond cluster maxGroups")


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (SpreadConstraint("region", min_groups=4, max_groups=4), "the number of feasible region is less than"),
        (SpreadConstraint("region", min_groups=2), "no combination of regions"),
    ],
    ids=["too-few-regions", "region-max-unset"],
)
def test_region_spread_failures(region: SpreadConstraint, message: str) -> None:
    with pytest.raises(SchedulingError, match=message):
        select(placement(spread=(region, SpreadConstraint("cluster", max_groups=3))), REGIONS, 5)


@pytest.mark.parametrize(
    ("rs", "available", "replicas", "min_groups", "cluster_min", "score"),
    [
        (DUPLICATED, [60, 70, 40, 30, 10], 50, 1, 1, 2000),
        (DUPLICATED, [10, 5], 50, 1, 1, 0),
        (DYNAMIC, [10, 10, 10, 10, 5], 100, 2, 1, 45000),
        (DYNAMIC, [40, 30, 10, 10], 100, 2, 1, 50000),
    ],
    ids=["duplicated-counts-fitting-clusters", "duplicated-none-fit", "divided-short", "divided-reaches-target"],
)
def test_group_score(rs: ReplicaScheduling, available: list[int], replicas: int, min_groups: int,
                     cluster_min: int, score: int) -> None:
    # Karmada's calcGroupScore examples (scores 0, as on a fresh schedule).
    clusters = [cand(f"m{i}", a) for i, a in enumerate(available)]
    assert group_score(clusters, placement(rs), replicas, min_groups, cluster_min) == score
