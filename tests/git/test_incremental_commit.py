"""`render --commit` on real repositories: the incremental commit holds exactly the tree a
full render commits (same tree ids), falls back to a full render whenever it cannot
know better (global change, missing or damaged cache, racing writer), keeps the apply
engine's `status/` files, and `update_tree` agrees with `write_tree`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pygit2
import pytest

from git.fleets import EDITS, fleet
from git.repos import commit, init, write
from gitfleet.cli.main import main
from gitfleet.errors import InputError
from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import commit_status, read_status_commit, read_status_tip, render_key
from gitfleet.git.treebuild import FileData, read_tree, update_tree, write_tree
from gitfleet.load.loader import load_fleet
from gitfleet.plan.build import build_plan
from gitfleet.service.memory import DiskMemory
from gitfleet.service.planning import render_for_status
from gitfleet.service.recall import read_memory
from gitfleet.service.recording import record_plan, record_render
from gitfleet.service.source import read_repo

pytestmark = pytest.mark.git
BRANCH = "gitfleet/status"
FULL = "full-render"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GITFLEET_CACHE", str(cache))
    return cache


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    r = init(tmp_path / "fleet")
    commit(r, {**fleet(), "templates/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                  "  name: extra\n  namespace: shop\ndata: {k: v}\n"}, "base")
    return r


def render_commit(r: pygit2.Repository, rev: str | None = None) -> tuple[bool, str, str | None]:
    """prepare + finish; (incremental?, why not, new sha)."""
    prepared = render_for_status(read_repo(r.workdir, rev), None, DiskMemory())
    return prepared.incremental, prepared.reason, record_render(prepared, False, DiskMemory())


def assert_equals_full_render(r: pygit2.Repository, rev: str | None = None) -> None:
    """The status tip's rendered files are those of a full render, blob for blob. The
    full render schedules with the memory the tip records: a render is a fixed point of
    its own memory, so that gives the tip again, ``state/`` included."""
    files = open_source(r.workdir).files(rev)
    memory = read_memory(open_source(r.workdir), BRANCH)
    record_plan(read_repo(r.workdir, rev), build_plan(load_fleet(files), memory), FULL, False)
    tip, full = read_status_tip(r, BRANCH), read_status_tip(r, FULL)
    assert tip is not None and full is not None
    assert tip.render_key == full.render_key


def cached_records(cache: Path) -> list[Path]:
    return sorted(cache.glob("render/*/*.record"))


@pytest.mark.parametrize(
    ("edit", "incremental"),
    [("replicas", True), ("secret", True), ("no-change", True), ("placement-move", False), ("override", False)],
    ids=["template", "secret", "non-fleet-file", "policy", "override-policy"],
)
def test_recommit_after_an_edit_equals_a_full_render(repo: pygit2.Repository, edit: str, incremental: bool) -> None:
    first = render_commit(repo)
    assert first[0] is False and first[1] == "no status branch yet" and first[2] is not None
    commit(repo, EDITS[edit], edit)
    done, reason, sha = render_commit(repo)
    assert done is incremental, reason
    assert (sha is None) == (edit == "no-change")
    assert_equals_full_render(repo)
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None and (tip.source_sha == str(repo.head.target)) == (sha is not None)
    assert b"second-clear-password" not in b"".join(tip.files.values())


def test_a_chain_of_incremental_commits(repo: pygit2.Repository) -> None:
    render_commit(repo)
    for replicas in (3, 5, 2):
        commit(repo, {"templates/web.yaml": fleet(replicas=replicas)["templates/web.yaml"]}, f"{replicas}")
        done, reason, sha = render_commit(repo)
        assert done and sha is not None, reason
        assert_equals_full_render(repo)
    commit(repo, {"templates/extra.yaml": None}, "drop extra")
    done, reason, _ = render_commit(repo)
    assert done, reason
    assert_equals_full_render(repo)
    assert not any(p.endswith("ConfigMap.extra.yaml") for p in read_status_commit(repo, BRANCH).files)  # type: ignore[union-attr]


def test_an_invalid_change_is_reported_by_the_full_render(repo: pygit2.Repository) -> None:
    render_commit(repo)
    before = read_status_tip(repo, BRANCH)
    commit(repo, EDITS["template-error"], "bad")
    with pytest.raises(InputError) as err:
        render_for_status(read_repo(repo.workdir, None), None, DiskMemory())
    assert "templates/bad.yaml.j2:" in str(err.value)
    assert read_status_tip(repo, BRANCH).sha == before.sha  # type: ignore[union-attr]


def test_working_tree_edits_render_incrementally_as_dirty(repo: pygit2.Repository) -> None:
    render_commit(repo)
    write(Path(repo.workdir), EDITS["replicas"])
    prepared = render_for_status(read_repo(repo.workdir, None), None, DiskMemory())
    assert prepared.incremental and prepared.revision.dirty
    record_render(prepared, False, DiskMemory())
    assert "Gitfleet-Dirty: true" in read_status_commit(repo, BRANCH).message  # type: ignore[union-attr]
    assert_equals_full_render(repo)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-100]), "damaged"),
        (lambda p: p.write_bytes(b"x" + p.read_bytes()[1:]), "damaged"),
        (lambda p: p.unlink(), "no remembered render"),
    ],
    ids=["truncated", "corrupt", "missing"],
)
def test_a_damaged_cache_means_a_full_render(repo: pygit2.Repository, private_cache: Path,
                                             damage: Callable[[Path], None], reason: str) -> None:
    render_commit(repo)
    [record] = cached_records(private_cache)
    damage(record)
    commit(repo, EDITS["replicas"], "replicas")
    done, why, sha = render_commit(repo)
    assert not done and reason in why and sha is not None
    assert_equals_full_render(repo)
    assert len(cached_records(private_cache)) == 2 - (reason == "no remembered render")


def test_status_files_of_the_apply_engine_are_kept(repo: pygit2.Repository) -> None:
    render_commit(repo)
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None
    rendered = {p: b for p, b in tip.files.items() if not p.startswith("status/")}
    commit_status(repo, BRANCH, rendered, tip.source_sha or "", extra_files={"status/m1.yaml": b"ok: true\n"})
    commit(repo, EDITS["replicas"], "replicas")
    done, reason, _ = render_commit(repo)
    assert done, reason  # the record is keyed by the rendered files, not the commit
    assert read_status_commit(repo, BRANCH).files["status/m1.yaml"] == b"ok: true\n"  # type: ignore[union-attr]
    assert_equals_full_render(repo)


def test_a_racing_writer_between_render_and_commit(repo: pygit2.Repository) -> None:
    base = str(repo.head.target)
    render_commit(repo)
    commit(repo, EDITS["replicas"], "replicas")
    prepared = render_for_status(read_repo(repo.workdir, None), None, DiskMemory())
    assert prepared.incremental
    # Another writer records a different render in between, changing a file the
    # prepared changes do not touch (the Secret): applying them to its tree would be wrong.
    other = load_fleet({**open_source(repo.workdir).files_at(base),
                        "templates/secret.yaml": str(EDITS["secret"]["templates/secret.yaml"]).encode()})
    raced = record_plan(read_repo(repo.workdir, base), build_plan(other), BRANCH, False)
    sha = record_render(prepared, False, DiskMemory())
    assert sha is not None and str(repo[sha].peel(pygit2.Commit).parents[0].id) == raced
    assert_equals_full_render(repo)
    again = render_for_status(read_repo(repo.workdir, None), None, DiskMemory())  # remembered under its own commit's key
    assert again.incremental and record_render(again, False, DiskMemory()) is None


def test_the_cli_commits_incrementally(repo: pygit2.Repository, private_cache: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", repo.workdir, "--commit"]) == 0
    assert len(cached_records(private_cache)) == 1
    commit(repo, EDITS["replicas"], "replicas")
    assert main(["render", repo.workdir, "--commit"]) == 0
    assert "status branch: committed" in capsys.readouterr().err
    assert len(cached_records(private_cache)) == 2
    assert_equals_full_render(repo)


@pytest.mark.parametrize("run", [1, 2], ids=["full", "incremental"])
def test_render_commit_does_not_import_kubernetes(repo: pygit2.Repository, private_cache: Path, run: int) -> None:
    """`python -m gitfleet render --commit` stays light: no Kubernetes client, no scheduler."""
    if run == 2:
        assert main(["render", repo.workdir, "--commit"]) == 0
        commit(repo, EDITS["replicas"], "replicas")
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['gitfleet', '-v', 'render', {repo.workdir!r}, '--commit']\n"
        "try:\n    runpy.run_module('gitfleet', run_name='__main__')\n"
        "except SystemExit as exit:\n    print('exit', exit.code)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'kubernetes', 'apscheduler'}))\n"
    )
    env = {**os.environ, "GITFLEET_CACHE": str(private_cache)}
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2], env=env)
    assert out.stdout == "exit 0\n[]\n", out.stdout + out.stderr
    assert ("incremental render" in out.stderr) == (run == 2), out.stderr


BASE_FILES = {
    "placements.yaml": b"[]\n",
    "clusters/m1/shop/apps.Deployment.web.yaml": b"a: 1\n",
    "clusters/m1/shop/core.ConfigMap.cm.yaml": b"b: 1\n",
    "clusters/m2/_cluster/core.Namespace.shop.yaml": b"c: 1\n",
    "status/m1.yaml": b"ok\n",
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"clusters/m1/shop/apps.Deployment.web.yaml": b"a: 2\n"},
        {"clusters/m2/_cluster/core.Namespace.shop.yaml": None},  # the folder empties and goes
        {"clusters/m1/shop/apps.Deployment.web.yaml": None, "clusters/m1/shop/core.ConfigMap.cm.yaml": None},
        {"clusters/m3/shop/core.ConfigMap.cm.yaml": b"new\n", "placements.yaml": b"- x\n"},
        {"status/m1.yaml/inner.yaml": b"file became a folder\n"},
        {"clusters/m1": b"folder became a file\n"},
        {"clusters/m9/x.yaml": None},  # removing what is not there changes nothing
        {"clusters/m1/shop/core.ConfigMap.cm.yaml": "reuse:clusters/m2/_cluster/core.Namespace.shop.yaml"},
    ],
    ids=["nothing", "change", "empty-folder", "empty-cluster", "add", "file-to-folder", "folder-to-file",
         "absent", "blob-id"],
)
def test_update_tree_equals_write_tree(tmp_path: Path, changes: Mapping[str, bytes | str | None]) -> None:
    r = pygit2.init_repository(str(tmp_path / "t.git"), bare=True)
    base = r[write_tree(r, BASE_FILES)]
    assert isinstance(base, pygit2.Tree)
    resolved: dict[str, FileData | None] = {}
    for path, data in changes.items():
        if isinstance(data, str):  # a blob id taken from the base tree
            resolved[path] = base[data.removeprefix("reuse:")].id
        else:
            resolved[path] = data
    expected: dict[str, FileData] = {
        p: b for p, b in BASE_FILES.items()
        if not any(p == c or p.startswith(c + "/") or c.startswith(p + "/") for c in changes)
    }
    expected.update({p: d for p, d in resolved.items() if d is not None})
    updated = update_tree(r, base, resolved)
    assert updated == write_tree(r, expected)
    tree = r[updated]
    assert isinstance(tree, pygit2.Tree)
    assert render_key(tree) == render_key(r[write_tree(r, expected)])  # type: ignore[arg-type]
    assert set(read_tree(r, tree)) == set(expected)
