"""The health probe against real API servers: a running member is healthy, a stopped
one unreachable within the timeout, and the state machine taints it after the
threshold."""

from __future__ import annotations

import time

import pytest

from gitfleet.health import observe
from gitfleet.kube import KubeClient
from gitfleet.kube.probe import probe
from gitfleet.model.health import ClusterHealth, ProbeResult
from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import free_port

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def test_running_member_is_healthy(kube: dict[str, KubeClient]) -> None:
    assert probe(kube["member1"], timeout=10) == ProbeResult("healthy")


def test_nothing_listening_is_unreachable(kube: dict[str, KubeClient]) -> None:
    cfg = kube["member1"].configuration
    ghost = KubeClient("ghost", type(cfg)())
    ghost.configuration.host = f"https://127.0.0.1:{free_port()}"
    result = probe(ghost, timeout=2)
    assert result.outcome == "unreachable" and "cannot reach" in result.message


def test_stopped_member_is_unreachable_within_the_timeout(member_clusters: LocalClusters,
                                                         kube: dict[str, KubeClient]) -> None:
    client = kube["member2"]
    member_clusters.kill_member("member2")
    try:
        observed: dict[str, ClusterHealth] = {}
        for i in range(3):
            started = time.monotonic()
            result = probe(client, timeout=2)
            assert time.monotonic() - started < 4
            assert result.outcome == "unreachable", result
            observed = dict(observe(observed, {"member2": result, "member1": probe(kube["member1"], 10)},
                                    f"2026-12-04T10:00:0{i}Z").observed)
        assert [t.effect for t in observed["member2"].taints] == ["NoSchedule", "NoExecute"]
        assert observed["member1"].taints == ()
    finally:
        member_clusters.start_member("member2")
    deadline = time.monotonic() + 60
    while probe(client, timeout=2).outcome != "healthy":
        assert time.monotonic() < deadline, "member2 did not come back"
        time.sleep(0.5)
