"""Packing the loose objects of gitfleet's own mirrors: nothing lost, nothing of a
user's repository touched."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from git.repos import commit, fsck, init, make_bare_remote
from gitfleet.git import housekeeping
from gitfleet.git.housekeeping import (
    estimate_loose_objects,
    loose_objects,
    pack_if_needed,
    pack_loose_objects,
)
from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import commit_status, read_status_tree

pytestmark = pytest.mark.git


def every_object(repo: pygit2.Repository) -> set[str]:
    """The ids of every object reachable from any reference, each read in full."""
    seen: set[str] = set()

    def tree(t: pygit2.Tree) -> None:
        seen.add(str(t.id))
        for entry in t:
            obj = repo[entry.id]
            if isinstance(obj, pygit2.Tree):
                tree(obj)
            else:
                assert isinstance(obj, pygit2.Blob) and obj.data is not None
                seen.add(str(obj.id))

    for name in repo.references:
        for c in repo.walk(repo.references[name].resolve().target):
            seen.add(str(c.id))
            tree(c.tree)
    return seen


@pytest.fixture
def busy(tmp_path: Path) -> pygit2.Repository:
    """A repository with a few hundred loose objects over three commits."""
    repo = init(tmp_path / "work")
    for version in range(3):
        commit(repo, {f"clusters/m{i}/shop/cm{j}.yaml": f"v: {version}\ni: {i}\nj: {j}\n"
                      for i in range(20) for j in range(5)}, f"v{version}")
    return repo


def test_packing_keeps_every_object_readable(busy: pygit2.Repository) -> None:
    before = every_object(busy)
    loose = len(loose_objects(busy))
    assert loose >= len(before)
    assert pack_loose_objects(busy) == loose
    assert loose_objects(busy) == []
    assert every_object(busy) == before  # through the same handle (libgit2 finds the new pack)
    assert every_object(pygit2.Repository(busy.path)) == before
    fsck(Path(busy.path))
    assert pack_loose_objects(busy) == 0  # nothing left to do


def test_estimate_counts_like_git(busy: pygit2.Repository) -> None:
    sample = sum(1 for _, path in loose_objects(busy) if path.parent.name == "17")
    assert estimate_loose_objects(busy) == 256 * sample


@pytest.mark.parametrize(("limit", "packed"), [(10**9, False), (-1, True)], ids=["below-limit", "above-limit"])
def test_pack_if_needed(busy: pygit2.Repository, limit: int, packed: bool) -> None:
    loose = len(loose_objects(busy))
    assert pack_if_needed(busy, limit) == (loose if packed else 0)
    assert len(loose_objects(busy)) == (0 if packed else loose)


def test_a_mirror_is_packed_after_a_status_commit_a_user_repo_is_not(
        busy: pygit2.Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(housekeeping, "LOOSE_OBJECTS_AUTO", -1)  # pack at the first occasion
    files = {"placements.yaml": b"[]\n", "clusters/m0/shop/core.ConfigMap.a.yaml": b"a: 1\n"}

    local = open_source(busy.workdir)
    commit_status(local, "gitfleet/status", files, str(busy.head.target))
    assert loose_objects(busy)  # the user's repository: git's business

    make_bare_remote(busy, tmp_path / "srv" / "fleet.git")
    mirror = open_source(f"file://{tmp_path / 'srv' / 'fleet.git'}", cache_dir=tmp_path / "cache")
    assert mirror.repo is not None
    commit_status(mirror, "gitfleet/status", files, str(busy.head.target))
    assert loose_objects(mirror.repo) == []
    assert read_status_tree(mirror, "gitfleet/status") == files
    fsck(Path(mirror.repo.path))
