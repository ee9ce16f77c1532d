"""Fixtures of the reconciler tests: a fleet repo in Git made with pygit2, and the
real member clusters of :mod:`gitfleet.testing.pytest_plugin`."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest

from gitfleet.kube import KubeClient, connect
from gitfleet.model.cluster import Cluster
from gitfleet.testing import LocalClusters

SIG = pygit2.Signature("tester", "tester@example.com", 1_700_000_000, 0)
_counter = itertools.count(1)


class FleetRepo:
    """A fleet repo whose every change is one commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), initial_head="main")

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        for rel, text in files.items():
            target = self.path / rel
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.repo.index.add_all()
        self.repo.index.write()
        tree = self.repo.index.write_tree()
        parents = [] if self.repo.head_is_unborn else [self.repo.head.target]
        return str(self.repo.create_commit("HEAD", SIG, SIG, message, tree, parents))


@pytest.fixture
def fleet_repo(tmp_path: Path) -> FleetRepo:
    return FleetRepo(tmp_path / "fleet")


@pytest.fixture(scope="session")
def kube(member_clusters: LocalClusters) -> Iterator[dict[str, KubeClient]]:
    made = connect([Cluster(n) for n in member_clusters.names], member_clusters.kubeconfig)
    clients = {n: c for n, c in made.items() if isinstance(c, KubeClient)}
    assert len(clients) == len(member_clusters.names), made
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture
def ns(request: pytest.FixtureRequest) -> str:
    stem = request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")[:30].rstrip("-")
    return f"rc-{stem}-{next(_counter)}"
