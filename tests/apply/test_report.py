"""The text report of ``apply``: one line per cluster that says what happened to it."""

from __future__ import annotations

import pytest

from gitfleet.apply.report import format_apply
from gitfleet.apply.result import ClusterResult, FleetResult, ObjectResult


@pytest.mark.parametrize(("cluster", "first_line"), [
    (ClusterResult("m1"), "m1: nothing to do"),
    (ClusterResult("m1", error="connection refused"), "m1: not reconciled"),
    (ClusterResult("m1", [ObjectResult("v1/ConfigMap/a/b", "created")]), "m1: 1 created"),
    (ClusterResult("m1", [ObjectResult("v1/ConfigMap/a/b", "unchanged")], dry_run=True), "m1: 1 unchanged (dry run)"),
])
def test_each_cluster_gets_one_line_that_does_not_contradict_its_error(cluster: ClusterResult,
                                                                        first_line: str) -> None:
    lines = format_apply(FleetResult({"m1": cluster})).splitlines()
    assert lines[0] == first_line
    assert ("  error: connection refused" in lines) == (cluster.error is not None)
