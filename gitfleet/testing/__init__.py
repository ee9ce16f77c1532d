"""Test helpers that users' CI can use too: real member clusters (etcd and
kube-apiserver processes on loopback) with a kubeconfig naming each one.

    from gitfleet.testing import start_member_clusters

    with start_member_clusters(2) as clusters:
        run_gitfleet("--kubeconfig", clusters.kubeconfig)

The pytest plugin :mod:`gitfleet.testing.pytest_plugin` offers the same as a
session-scoped ``member_clusters`` fixture.
"""

from gitfleet.testing.binaries import Binaries, BinariesMissing, find_binaries
from gitfleet.testing.clusters import ClusterStartError, LocalClusters, MemberCluster, start_member_clusters

__all__ = [
    "Binaries", "BinariesMissing", "ClusterStartError", "LocalClusters", "MemberCluster",
    "find_binaries", "start_member_clusters",
]
