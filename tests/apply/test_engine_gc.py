"""The apply engine pauses the cyclic garbage collector while a cluster runs (its
callers hold a large plan the collector would traverse again for every batch of decoded
list responses) and leaves it as it found it, also when the cluster fails."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from kubernetes.client import Configuration

from gitfleet.apply.engine import apply_cluster, apply_fleet
from gitfleet.apply.request import ClusterRequest
from gitfleet.kube.client import KubeClient
from gitfleet.kube.errors import KubeError, Unreachable


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def client_failing_with(error: KubeError, seen: list[bool]) -> KubeClient:
    """A client whose first request (the server version) notes whether the collector
    runs, then fails."""
    client = KubeClient(error.cluster, Configuration(host="https://127.0.0.1:9"))

    def server_version() -> str:
        seen.append(gc.isenabled())
        raise error

    client.server_version = server_version  # type: ignore[method-assign]
    return client


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("error", [Unreachable("m1", "cannot reach it"), KubeError("m1", "forbidden", 403)])
@pytest.mark.usefixtures("collector")
def test_collector_is_paused_during_a_run_and_restored(enabled: bool, error: KubeError) -> None:
    (gc.enable if enabled else gc.disable)()
    seen: list[bool] = []
    result = apply_cluster(client_failing_with(error, seen), ClusterRequest("m1", "demo", {}))
    assert result.error is not None and error.message in result.error
    assert seen == [False]
    assert gc.isenabled() is enabled


@pytest.mark.usefixtures("collector")
def test_parallel_clusters_restore_the_collector_once_all_are_done() -> None:
    gc.enable()
    seen: list[bool] = []
    clients = {f"m{i}": client_failing_with(Unreachable(f"m{i}", "down"), seen) for i in range(4)}
    requests = {name: ClusterRequest(name, "demo", {}) for name in clients}
    result = apply_fleet(clients, requests)  # type: ignore[arg-type]
    assert sorted(result.clusters) == sorted(clients) and not result.ok
    assert seen == [False] * 4
    assert gc.isenabled()
