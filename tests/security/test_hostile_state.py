"""A hostile or hand-edited ``state/`` on the status branch (anyone who can push to the
branch can write it): read from a real Git branch it is an error at ``path:line:col``
naming the file, never a traceback; the verbs that read the branch survive it, and a
render never carries it over (each render writes ``state/`` whole, or refuses it)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pygit2
import pytest
from fleetrepo import SIG, fleet_files
from security.hostile import assert_no_traceback, assert_rejected, run_cli, write_repo

from gitfleet.git.statusbranch import read_status_commit, read_status_tree
from gitfleet.model.state import FleetState, PreviousTarget, ResourceState
from gitfleet.status.state import MAX_LIST_ITEMS, StateError, read_state, resource_state_path, state_files

pytestmark = pytest.mark.git
BRANCH = "gitfleet/status"
WEB = "apps/v1/Deployment/shop/web"
WEB_PATH = resource_state_path(WEB)
LINK = "link"


def _good_state() -> dict[str, bytes]:
    return state_files(FleetState(resources={WEB: ResourceState(WEB, clusters=(PreviousTarget("member1", 2),))}))


def _tree(repo: pygit2.Repository, files: Mapping[str, bytes | tuple[str, str]]) -> pygit2.Oid:
    """A tree of ``files``; ``(LINK, target)`` is a symbolic link."""
    builder = repo.TreeBuilder()
    folders: dict[str, dict[str, bytes | tuple[str, str]]] = {}
    for path, data in files.items():
        head, sep, rest = path.partition("/")
        if sep:
            folders.setdefault(head, {})[rest] = data
        elif isinstance(data, tuple):
            builder.insert(head, repo.create_blob(data[1].encode()), pygit2.GIT_FILEMODE_LINK)
        else:
            builder.insert(head, repo.create_blob(data), pygit2.GIT_FILEMODE_BLOB)
    for name, inner in folders.items():
        builder.insert(name, _tree(repo, inner), pygit2.GIT_FILEMODE_TREE)
    return builder.write()


def cli(root: Path, *argv: str) -> tuple[int, str, str]:
    """The CLI with a cache of its own (no render remembered by another test)."""
    return run_cli([*argv], env={"GITFLEET_CACHE": str(root.parent / "cache")})


def hostile_repo(root: Path, state: Mapping[str, bytes | tuple[str, str]]) -> tuple[Path, str]:
    """A fleet repo whose status branch tip is its own render with ``state`` edited in by
    hand; returns the folder and the hostile tip."""
    write_repo(root, {k: v for k, v in fleet_files("shop").items() if v is not None})
    repo = pygit2.init_repository(str(root), initial_head="main")
    repo.index.add_all()
    repo.index.write()
    head = repo.create_commit("refs/heads/main", SIG, SIG, "fleet", repo.index.write_tree(), [])
    code, _, err = cli(root, "render", str(root), "--commit")
    assert code == 0, err
    rendered = read_status_commit(repo, BRANCH)
    assert rendered is not None
    tree = _tree(repo, {**rendered.files, **_good_state(), **state})
    tip = repo.create_commit(f"refs/heads/{BRANCH}", SIG, SIG, f"hand edit\n\nGitfleet-Source: {head}\n", tree,
                             [pygit2.Oid(hex=rendered.sha)])
    return root, str(tip)


# (id, state files edited in, the file the error names, a fragment of the message)
CASES: list[tuple[str, dict[str, bytes | tuple[str, str]], str, str]] = [
    ("not-yaml", {WEB_PATH: b"version: 1\nclusters: {member1: [\n"}, WEB_PATH, "invalid YAML"),
    ("not-utf8", {WEB_PATH: b"version: 1\nresource: \xff\n"}, WEB_PATH, "not UTF-8"),
    ("newer-version", {WEB_PATH: f"version: 2\nresource: {WEB}\n".encode()}, WEB_PATH, "newer gitfleet"),
    ("wrong-types", {WEB_PATH: f"version: 1\nresource: {WEB}\nclusters: [member1]\n".encode()}, WEB_PATH,
     "clusters: expected a mapping, found list"),
    ("key-traversal", {"state/resources/shop/core.ConfigMap.x.yaml": b"version: 1\nresource: v1/ConfigMap/../x\n"},
     "state/resources/shop/core.ConfigMap.x.yaml", "namespace '..' cannot be a file or folder name"),
    ("speaks-for-another-file", {"state/resources/shop/core.ConfigMap.x.yaml":
                                 f"version: 1\nresource: {WEB}\nclusters: {{evil: 9}}\n".encode()},
     "state/resources/shop/core.ConfigMap.x.yaml", f"belongs in {WEB_PATH}"),
    ("cluster-traversal", {WEB_PATH: f"version: 1\nresource: {WEB}\nclusters: {{'../../x': 1}}\n".encode()},
     WEB_PATH, "cannot be a file or folder name"),
    ("huge-list", {WEB_PATH: (f"version: 1\nresource: {WEB}\nrebalancers: ["
                              + ",".join("r" for _ in range(MAX_LIST_ITEMS + 1)) + "]\n").encode()},
     WEB_PATH, f"more than {MAX_LIST_ITEMS} items"),
    ("alias-bomb", {"state/fleet.yaml": b"version: 1\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                                        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                                        b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"},
     "state/fleet.yaml", "expand this document"),
]


@pytest.mark.parametrize(("state", "named", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_state_on_the_status_branch(tmp_path: Path, state: dict[str, bytes | tuple[str, str]],
                                            named: str, message: str) -> None:
    root, tip = hostile_repo(tmp_path / "repo", state)
    repo = pygit2.Repository(str(root))

    with pytest.raises(StateError) as err:
        read_state(read_status_tree(repo, BRANCH))
    shown = str(err.value)
    assert re.match(rf"{re.escape(named)}:\d+:\d+: ", shown), shown[:300]
    assert message in shown and len(shown) < 1000, shown[:300]

    code, out, err_text = cli(root, "status", str(root))  # a report: state/ is not its business
    assert_no_traceback(out, err_text)
    assert code == 0, err_text

    code, out, err_text = cli(root, "render", str(root), "--commit")
    if code == 0:  # the render does not read the memory: it writes state/ whole, without the hostile file
        assert_no_traceback(out, err_text)
        files = read_status_tree(repo, BRANCH)
        assert all(files.get(path) != data for path, data in state.items())
    else:  # it reads the memory: refused at the file, the branch left as it was
        assert_rejected(code, out, err_text, named)
        assert str(repo.references[f"refs/heads/{BRANCH}"].target) == tip


def test_a_link_under_state_is_not_followed(tmp_path: Path) -> None:
    """Git can hold a symbolic link; its target is never read as a state file."""
    root, _ = hostile_repo(tmp_path / "repo", {"state/resources/shop/core.ConfigMap.x.yaml": (LINK, "/etc/passwd")})
    files = read_status_tree(pygit2.Repository(str(root)), BRANCH)
    assert "state/resources/shop/core.ConfigMap.x.yaml" not in files
    resources = set(read_state(files).resources)
    assert WEB in resources and "v1/ConfigMap/shop/x" not in resources
