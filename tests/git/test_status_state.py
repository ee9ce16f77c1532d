"""``state/`` on a real status branch: written whole by each render (a full write drops
what the render no longer produces, a delta changes only the files that changed and
keeps the rest), part of the render key, and a commit only when it changed."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from gitfleet.git.statusbranch import RenderDelta, commit_status, read_status_commit, read_status_tip
from gitfleet.model.state import FleetState, PreviousTarget, ResourceState
from gitfleet.status.layout import tree_changes
from gitfleet.status.state import read_state, state_files

pytestmark = pytest.mark.git
BRANCH = "gitfleet/status"
SRC = "a" * 40
WEB = "apps/v1/Deployment/shop/web"
CM = "v1/ConfigMap/shop/cfg"
RENDER = {"placements.yaml": b"[]\n", "clusters/m1/shop/core.ConfigMap.cfg.yaml": b"kind: ConfigMap\n"}


def memory(web: int, with_cm: bool = True) -> FleetState:
    resources = {WEB: ResourceState(WEB, clusters=(PreviousTarget("m1", web), PreviousTarget("m2", 2)))}
    if with_cm:
        resources[CM] = ResourceState(CM, clusters=(PreviousTarget("m1"),))
    return FleetState(resources=resources)


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    return pygit2.init_repository(str(tmp_path / "r"), bare=True)


def test_full_write_records_state_and_drops_what_is_gone(repo: pygit2.Repository) -> None:
    assert commit_status(repo, BRANCH, {**RENDER, **state_files(memory(4))}, SRC,
                         extra_files={"status/m1.yaml": b"cluster: m1\n"}) is not None
    same = commit_status(repo, BRANCH, {**RENDER, **state_files(memory(4))}, SRC)
    assert same is None  # the same state, the same blobs: no commit
    commit_status(repo, BRANCH, {**RENDER, **state_files(memory(6, with_cm=False))}, SRC)
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None
    assert read_state(tip.files) == memory(6, with_cm=False)
    assert "status/m1.yaml" in tip.files  # the apply engine's files stay


def test_a_render_without_state_drops_it(repo: pygit2.Repository) -> None:
    """``state/`` is never carried blindly from the previous commit by a full write."""
    commit_status(repo, BRANCH, {**RENDER, **state_files(memory(4))}, SRC)
    commit_status(repo, BRANCH, RENDER, SRC)
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None and not any(p.startswith("state/") for p in tip.files)


def test_a_delta_changes_state_files_and_keeps_the_others(repo: pygit2.Repository) -> None:
    old = {**RENDER, **state_files(memory(4))}
    commit_status(repo, BRANCH, old, SRC)
    before = read_status_tip(repo, BRANCH)
    assert before is not None
    new = {**RENDER, **state_files(memory(6))}
    changes = tree_changes(old, new)
    assert set(changes) == {"state/resources/shop/apps.Deployment.web.yaml"}
    commit_status(repo, BRANCH, RenderDelta(str(before.tree.id), changes), SRC)
    after = read_status_commit(repo, BRANCH)
    assert after is not None
    assert read_state(after.files) == memory(6)
    assert {p: b for p, b in after.files.items() if not p.startswith("state/")} == RENDER
    # The same files written whole give the same tree.
    commit_status(repo, "full", new, SRC)
    full = read_status_tip(repo, "full")
    assert full is not None and str(full.tree.id) == after.tree


def test_the_render_key_covers_state(repo: pygit2.Repository) -> None:
    commit_status(repo, "plain", RENDER, SRC)
    commit_status(repo, "four", {**RENDER, **state_files(memory(4))}, SRC)
    commit_status(repo, "six", {**RENDER, **state_files(memory(6))}, SRC)
    keys = {name: tip.render_key for name in ("plain", "four", "six") if (tip := read_status_tip(repo, name))}
    assert keys["plain"].count("-") == 1  # a tree without a memory keeps the key it always had
    assert len(set(keys.values())) == 3
