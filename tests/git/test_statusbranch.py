"""The status branch: orphan commits recording renders, reusing unchanged objects,
moved only by compare-and-swap, pushed with bounded fetch-rebuild-retry."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pygit2
import pytest

from git.repos import commit, fsck, git_daemon, init, make_bare_remote
from gitfleet.git import statusbranch
from gitfleet.git.errors import PushRejected, StatusBranchError
from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import commit_status, read_status_commit, read_status_tree, source_of

pytestmark = pytest.mark.git

BRANCH = "gitfleet/status"
SRC1, SRC2, SRC3 = "1" * 40, "2" * 40, "3" * 40


def render(n_clusters: int = 3, version: str = "1", changed_cluster: str | None = None) -> dict[str, bytes]:
    files = {"placements.yaml": b"- resource: apps/v1/Deployment/shop/web\n"}
    for i in range(n_clusters):
        name = f"m{i}"
        v = version if changed_cluster in (None, name) else "1"
        for j in range(4):
            files[f"clusters/{name}/shop/core.ConfigMap.c{j}.yaml"] = f"kind: ConfigMap\nv: {v}\n".encode()
    return files


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    r = init(tmp_path / "work")
    commit(r, {"fleet.yaml": "kind: Fleet\n"}, "source")
    return r


def tip(repo: pygit2.Repository) -> pygit2.Commit:
    c = repo.revparse_single(f"refs/heads/{BRANCH}")
    assert isinstance(c, pygit2.Commit)
    return c


def test_first_commit_is_orphan_with_trailer(repo: pygit2.Repository) -> None:
    sha = commit_status(repo, BRANCH, render(), SRC1, summary="add web\n\nbody")
    c = tip(repo)
    assert str(c.id) == sha and c.parents == []
    assert c.message == f"render {SRC1[:12]}: add web\n\nGitfleet-Source: {SRC1}\n"
    assert source_of(c.message) == SRC1
    assert read_status_tree(repo, BRANCH) == render()
    assert str(repo.head.shorthand) == "main"  # the checked-out branch is not touched


def test_unchanged_render_is_not_committed(repo: pygit2.Repository) -> None:
    first = commit_status(repo, BRANCH, render(), SRC1)
    assert commit_status(repo, BRANCH, render(), SRC2) is None
    assert str(tip(repo).id) == first


def test_parent_chain_and_sources(repo: pygit2.Repository) -> None:
    shas = [commit_status(repo, BRANCH, render(version=v), src) for v, src in (("1", SRC1), ("2", SRC2), ("3", SRC3))]
    chain, c = [], tip(repo)
    while True:
        chain.append((str(c.id), source_of(c.message)))
        if not c.parents:
            break
        c = c.parents[0]
    assert chain == list(zip(reversed(shas), (SRC3, SRC2, SRC1)))


def test_unchanged_blobs_and_subtrees_reused(repo: pygit2.Repository) -> None:
    commit_status(repo, BRANCH, render(), SRC1)
    before = tip(repo).tree
    commit_status(repo, BRANCH, render(version="2", changed_cluster="m1"), SRC2)
    after = tip(repo).tree
    clusters_before, clusters_after = before / "clusters", after / "clusters"
    assert isinstance(clusters_before, pygit2.Tree) and isinstance(clusters_after, pygit2.Tree)
    assert clusters_before["m0"].id == clusters_after["m0"].id  # whole subtree reused
    assert clusters_before["m2"].id == clusters_after["m2"].id
    assert clusters_before["m1"].id != clusters_after["m1"].id
    assert before["placements.yaml"].id == after["placements.yaml"].id


def test_status_files_kept_unless_replaced(repo: pygit2.Repository) -> None:
    commit_status(repo, BRANCH, render(), SRC1, extra_files={"status/m0.yaml": b"a: 1\n", "status/m1.yaml": b"b: 1\n"})
    commit_status(repo, BRANCH, render(version="2"), SRC2, extra_files={"status/m1.yaml": b"b: 2\n"})
    files = read_status_tree(repo, BRANCH)
    assert files["status/m0.yaml"] == b"a: 1\n" and files["status/m1.yaml"] == b"b: 2\n"
    assert commit_status(repo, BRANCH, render(version="2"), SRC3, extra_files={"status/m1.yaml": b"b: 2\n"}) is None


def test_dirty_render_is_marked(repo: pygit2.Repository) -> None:
    commit_status(repo, BRANCH, render(), SRC1, dirty=True)
    assert "Gitfleet-Dirty: true" in tip(repo).message and source_of(tip(repo).message) == SRC1


def test_missing_branch_reads_empty(repo: pygit2.Repository) -> None:
    assert read_status_tree(repo, BRANCH) == {} and read_status_commit(repo, BRANCH) is None


def test_invalid_branch_name(repo: pygit2.Repository) -> None:
    with pytest.raises(StatusBranchError, match="not a valid branch name"):
        commit_status(repo, "bad..name", render(), SRC1)


def test_compare_and_swap_refuses_a_moved_branch(repo: pygit2.Repository) -> None:
    old = pygit2.Oid(hex=commit_status(repo, BRANCH, render(), SRC1) or "")
    other = pygit2.Oid(hex=commit_status(repo, BRANCH, render(version="2"), SRC2) or "")
    sig = pygit2.Signature("x", "x@y")
    stale = repo.create_commit(None, sig, sig, "stale", tip(repo).tree_id, [old])
    assert statusbranch._move(repo, f"refs/heads/{BRANCH}", old, stale) is False
    assert tip(repo).id == other


def test_crash_before_ref_update_leaves_old_commit(repo: pygit2.Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    first = commit_status(repo, BRANCH, render(), SRC1)

    def crash(*_: object) -> bool:
        raise SystemExit("killed")

    monkeypatch.setattr(statusbranch, "_move", crash)
    with pytest.raises(SystemExit):
        commit_status(repo, BRANCH, render(version="2"), SRC2)
    assert str(tip(repo).id) == first
    fsck(Path(repo.path))


def test_local_race_rebuilds_on_the_winner(repo: pygit2.Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    commit_status(repo, BRANCH, render(), SRC1)
    real_move = statusbranch._move
    raced: list[str] = []

    def move_after_a_rival(r: pygit2.Repository, ref: str, old: pygit2.Oid | None, new: pygit2.Oid) -> bool:
        if not raced:  # a rival writer lands between our read of the tip and our update
            raced.append("")
            monkeypatch.setattr(statusbranch, "_move", real_move)
            raced[0] = commit_status(open_source(repo.workdir), BRANCH, render(version="r"), SRC3) or ""
            monkeypatch.setattr(statusbranch, "_move", move_after_a_rival)
        return real_move(r, ref, old, new)

    monkeypatch.setattr(statusbranch, "_move", move_after_a_rival)
    ours = commit_status(repo, BRANCH, render(version="2"), SRC2)
    c = tip(repo)
    assert str(c.id) == ours and str(c.parents[0].id) == raced[0]


def _writer(work: str, version: str, src: str, attempts: int, start: multiprocessing.synchronize.Barrier,
            results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        start.wait(timeout=30)
        sha = commit_status(open_source(work), BRANCH, render(version=version), src, push=True,
                            max_attempts=attempts)
        results.put((src, "ok", sha))
    except PushRejected as exc:
        results.put((src, "rejected", str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent test
        results.put((src, "error", repr(exc)))


def _race(tmp_path: Path, attempts: int) -> tuple[dict[str, tuple[str, str | None]], pygit2.Repository]:
    base = init(tmp_path / "seed")
    commit(base, {"fleet.yaml": "kind: Fleet\n"}, "source")
    served = tmp_path / "srv"
    make_bare_remote(base, served / "fleet.git")
    with git_daemon(served) as url:
        first = pygit2.clone_repository(f"{url}/fleet.git", str(tmp_path / "first"))
        commit_status(open_source(first.workdir), BRANCH, render(), SRC1, push=True)  # a shared starting point
        # Fresh clones know the status branch only as origin/gitfleet/status.
        clones = [pygit2.clone_repository(f"{url}/fleet.git", str(tmp_path / n)).workdir for n in ("a", "b")]
        ctx = multiprocessing.get_context("fork")
        start, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(w, v, s, attempts, start, results))
                 for w, v, s in ((clones[0], "2", SRC2), (clones[1], "3", SRC3))]
        for p in procs:
            p.start()
        out = {}
        for _ in procs:
            src, status, detail = results.get(timeout=120)
            out[src] = (status, detail)
        for p in procs:
            p.join(timeout=30)
    fsck(served / "fleet.git")
    return out, pygit2.Repository(str(served / "fleet.git"))


def _remote_tip(remote: pygit2.Repository) -> pygit2.Commit:
    c = remote.revparse_single(f"refs/heads/{BRANCH}").peel(pygit2.Commit)
    assert isinstance(c, pygit2.Commit)
    return c


def _remote_sources(remote: pygit2.Repository) -> list[str]:
    c, out = _remote_tip(remote), []
    while True:
        out.append(source_of(c.message) or "")
        if not c.parents:
            return out
        c = c.parents[0]


def test_racing_pushers_both_recorded(tmp_path: Path) -> None:
    out, remote = _race(tmp_path, attempts=5)
    assert {s for s, _ in out.values()} == {"ok"}, out
    sources = _remote_sources(remote)
    assert sorted(sources[:2]) == sorted([SRC2, SRC3]) and sources[2:] == [SRC1]
    # The tip holds the render of whichever writer landed last.
    last = {SRC2: "2", SRC3: "3"}[sources[0]]
    blob = remote[_remote_tip(remote).tree["clusters/m0/shop/core.ConfigMap.c0.yaml"].id]
    assert isinstance(blob, pygit2.Blob) and blob.data == f"kind: ConfigMap\nv: {last}\n".encode()


def test_racing_pushers_without_retry_one_rejected_cleanly(tmp_path: Path) -> None:
    out, remote = _race(tmp_path, attempts=1)
    statuses = sorted(s for s, _ in out.values())
    sources = _remote_sources(remote)
    if statuses == ["ok", "ok"]:  # the two did not overlap after all: both landed in turn
        assert sorted(sources[:2]) == sorted([SRC2, SRC3])
        return
    assert statuses == ["ok", "rejected"], out
    (winner,) = [s for s, (st, _) in out.items() if st == "ok"]
    assert sources == [winner, SRC1]


def test_fresh_clone_builds_on_the_remote_tracking_branch(tmp_path: Path, repo: pygit2.Repository) -> None:
    make_bare_remote(repo, tmp_path / "remote.git")
    first = commit_status(repo, BRANCH, render(), SRC1, push=True)
    clone = pygit2.clone_repository(str(tmp_path / "remote.git"), str(tmp_path / "clone"))
    assert read_status_commit(clone, BRANCH).sha == first  # type: ignore[union-attr]
    second = commit_status(clone, BRANCH, render(version="2"), SRC2, push=True, max_attempts=1)
    c = _remote_tip(pygit2.Repository(str(tmp_path / "remote.git")))
    assert str(c.id) == second and str(c.parents[0].id) == first


def test_push_requires_a_remote(repo: pygit2.Repository) -> None:
    with pytest.raises(StatusBranchError, match="no remote 'origin'"):
        commit_status(repo, BRANCH, render(), SRC1, push=True)


def test_unchanged_but_unpushed_commit_is_pushed(tmp_path: Path, repo: pygit2.Repository) -> None:
    make_bare_remote(repo, tmp_path / "remote.git")
    sha = commit_status(repo, BRANCH, render(), SRC1)  # committed locally only
    assert commit_status(repo, BRANCH, render(), SRC1, push=True) is None
    remote = pygit2.Repository(str(tmp_path / "remote.git"))
    assert str(remote.revparse_single(f"refs/heads/{BRANCH}").id) == sha
