"""Fixtures shared by every tier: the real member clusters (one set per test session,
started on first use) come from gitfleet's own pytest plugin, as users' tests get them."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from gitfleet.model.cluster import Cluster

if TYPE_CHECKING:
    from gitfleet.kube import KubeClient
    from gitfleet.testing import LocalClusters

pytest_plugins = ["gitfleet.testing.pytest_plugin"]

# Properties are about results, never about time: on a shared 2-core machine a slow
# example must not fail the run.
settings.register_profile("gitfleet", deadline=None)
settings.load_profile("gitfleet")

# The binaries stay where scripts/install-test-clusters.sh cached them, even though
# each test gets a cache folder of its own below.
_BINARY = Path(os.environ.get("GITFLEET_CACHE") or Path.home() / ".cache" / "gitfleet") / "bin" / "kube-apiserver"
if "GITFLEET_KUBE_APISERVER" not in os.environ and _BINARY.exists():
    os.environ["GITFLEET_KUBE_APISERVER"] = str(_BINARY)


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gitfleet-cache")


@pytest.fixture(autouse=True)
def _private_cache(_session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Render records and mirrors go to the test session's folder, never the user's."""
    monkeypatch.setenv("GITFLEET_CACHE", str(_session_cache))


_namespaces = itertools.count(1)


@pytest.fixture(scope="session")
def kube(member_clusters: LocalClusters) -> Iterator[dict[str, KubeClient]]:
    """One client per member of the session's clusters, through their kubeconfig."""
    from gitfleet.kube import KubeClient, connect

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
    return f"{stem}-{next(_namespaces)}"
