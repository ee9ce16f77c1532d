"""Fixtures of the reconciler tests: a fleet repo in Git made with pygit2, and the
real member clusters of :mod:`gitfleet.testing.pytest_plugin`."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

SIG = pygit2.Signature("tester", "tester@example.com", 1_700_000_000, 0)


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
