"""The cluster tier: real kube-apiserver and etcd processes on loopback, started once
per session by the fixture of :mod:`gitfleet.testing.pytest_plugin`."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from gitfleet.kube import KubeClient, connect
from gitfleet.model.cluster import Cluster
from gitfleet.testing import LocalClusters

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def kube(member_clusters: LocalClusters) -> Iterator[dict[str, KubeClient]]:
    """One client per member, reached through the fixture's kubeconfig."""
    made = connect([Cluster(n) for n in member_clusters.names], member_clusters.kubeconfig)
    clients = {n: c for n, c in made.items() if isinstance(c, KubeClient)}
    assert len(clients) == len(member_clusters.names), made
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture
def ns(request: pytest.FixtureRequest) -> str:
    """A namespace name of this test's own (the clusters are shared by the session)."""
    stem = request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")[:40].rstrip("-")
    return f"{stem}-{next(_counter)}"
