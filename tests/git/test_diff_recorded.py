"""A pull-request diff whose base the status branch already holds: the base is not
planned, the head is planned from the remembered render, and the report is exactly the
one that planning both sides gives."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest
from git.fleets import EDITS, fleet
from git.repos import commit, init

from gitfleet.diff import format_json, format_markdown, format_text
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


def _both(r: pygit2.Repository, head: str) -> tuple[str, str, bool]:
    source = open_repo(r.workdir)
    planned = diff_revisions(source, "HEAD~1", head, memory=NoMemory())
    base, head_side = read_repo(r.workdir, "HEAD~1"), read_repo(r.workdir, head)
    recorded = diffing.diff_from_record(source, base, head_side, DiskMemory())
    via = diff_revisions(source, "HEAD~1", head, memory=DiskMemory())
    out = [format_json(d) + format_markdown(d) + format_text(d, color=False) for d in (planned, via)]
    return out[0], out[1], recorded is not None


@pytest.mark.parametrize("edit", [*RECORDED, *MORE])
def test_a_recorded_base_gives_the_same_diff(repo: pygit2.Repository, edit: str) -> None:
    commit(repo, {**EDITS, **MORE}[edit], edit)
    planned, recorded, used = _both(repo, "HEAD")
    assert recorded == planned
    assert used == RECORDED.get(edit, True)


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
