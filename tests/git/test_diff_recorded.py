"""The pull-request diff plans as little as it can: from the render of the base that
the status branch holds (path 1), or from the base's scheduling decisions alone
(path 2). Each gives exactly the report that planning both sides gives (path 3)."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from git.fleets import EDITS, fleet
from git.repos import commit, init
from gitfleet.diff import format_json, format_markdown, format_text
from gitfleet.diff.model import PlanDiff
from gitfleet.service import diffing
from gitfleet.service.diffing import diff_revisions
from gitfleet.service.memory import DiskMemory, NoMemory
from gitfleet.service.planning import render_for_status
from gitfleet.service.recording import record_render
from gitfleet.service.source import open_repo, read_repo

pytestmark = pytest.mark.git

EXTRA = {"templates/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: shop\n"
                                 "data: {k: v}\n"}
# Template-only pull requests take the recorded path; global ones plan both sides.
RECORDED = {"replicas": True, "secret": True, "no-change": True, "placement-move": False, "override": False}
MORE = {
    "new-template": {"templates/more.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n"
                                            "  namespace: shop\ndata: {a: b}\n"},
    "removed-template": {"templates/extra.yaml": None},
}


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    r = init(tmp_path / "fleet")
    commit(r, {**fleet(), **EXTRA}, "base")
    render = render_for_status(read_repo(r.workdir, "HEAD"), None, DiskMemory())
    record_render(render, False, DiskMemory())
    return r


def _shown(diff: PlanDiff) -> str:
    return format_json(diff) + format_markdown(diff) + format_text(diff, color=False)


@pytest.mark.parametrize("edit", [*RECORDED, *MORE])
def test_every_path_gives_the_same_diff(repo: pygit2.Repository, edit: str) -> None:
    commit(repo, {**EDITS, **MORE}[edit], edit)
    source = open_repo(repo.workdir)
    base, head = read_repo(repo.workdir, "HEAD~1"), read_repo(repo.workdir, "HEAD")
    planned = _shown(diffing._diff_planned(base, head, 3))
    recorded = diffing.diff_from_record(source, base, head, DiskMemory())
    decided = diffing._diff_from_decisions(base, head, 3)
    assert (recorded is not None) == RECORDED.get(edit, True)
    assert (decided is not None) == RECORDED.get(edit, True)
    for found in (recorded, decided):
        if found is not None:
            assert _shown(found) == planned
    for memory in (DiskMemory(), NoMemory()):
        assert _shown(diff_revisions(source, "HEAD~1", "HEAD", memory=memory)) == planned


def test_a_status_branch_of_another_commit_is_not_used(repo: pygit2.Repository) -> None:
    commit(repo, EDITS["replicas"], "not recorded")
    commit(repo, MORE["new-template"], "head")
    source = open_repo(repo.workdir)
    base, head = read_repo(repo.workdir, "HEAD~1"), read_repo(repo.workdir, "HEAD")
    assert diffing.diff_from_record(source, base, head, DiskMemory()) is None


def test_without_a_record_both_sides_are_planned(repo: pygit2.Repository, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITFLEET_CACHE", str(tmp_path / "empty-cache"))
    commit(repo, EDITS["replicas"], "replicas")
    source = open_repo(repo.workdir)
    base, head = read_repo(repo.workdir, "HEAD~1"), read_repo(repo.workdir, "HEAD")
    assert diffing.diff_from_record(source, base, head, DiskMemory()) is None
    assert diff_revisions(source, "HEAD~1", "HEAD", memory=DiskMemory()).has_changes
