"""Hostile fleet repos against the file system (issue 9, "Writes outside the output"):
names that are paths, symbolic links out of the repo, output folders that are not
folders, and credentials in Git URLs.

Every case runs the real CLI in its own process on a repo in a temporary folder and
checks what a user would see: the exit code, a ``path:line:col`` message for input
errors, no traceback, nothing of the forbidden text anywhere in the output, and,
comparing the whole temporary folder before and after, that nothing was written
outside the output folder (and nothing at all when the input is refused).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
import pytest

from tests.security.hostile import assert_no_traceback, assert_rejected, run_cli, snapshot, write_repo

CLUSTER = "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {{name: {0}}}\nspec: {{syncMode: Push}}\n"
BASE = {
    "clusters/member1.yaml": CLUSTER.format("member1"),
    "policies/all.yaml": """apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: all}
spec:
  resourceSelectors:
    - {apiVersion: v1, kind: ConfigMap}
    - {apiVersion: x.example.com/v1, kind: Widget}
  placement:
    clusterAffinity: {clusterNames: [member1]}
""",
    "templates/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: shop}\ndata: {a: kept}\n",
}
OUTSIDE_VALUE = "OUTSIDE-THE-REPO-VALUE"
OUTSIDE = {"cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: leak, namespace: shop}}\n"
                      f"data: {{v: {OUTSIDE_VALUE}}}\n"}
RENDER_OUT = ["render", "repo", "--output-dir", "out"]
SKIPPED = "warning: symbolic link skipped"


def cm(name: str, namespace: str = "shop", api_version: str = "v1", kind: str = "ConfigMap") -> str:
    """A document whose identity fields are given as YAML double-quoted scalars, so any
    character (newline, NUL) can be written."""
    return (f'apiVersion: "{api_version}"\nkind: "{kind}"\nmetadata:\n  name: "{name}"\n'
            f'  namespace: "{namespace}"\ndata: {{a: b}}\n')


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    files: dict[str, str] = field(default_factory=dict)  # added to BASE
    code: int = 1
    located: str | None = None  # a path:line:col message must name this file
    message: str = ""  # ... and stderr must say this
    links: dict[str, str] = field(default_factory=dict)  # repo path -> target (relative to the link)
    commit: bool = False  # commit the repo (links included) before running
    out: str | None = None  # what `out` is beforehand: "file", "link", "render"
    absent: tuple[str, ...] = ()  # must appear in no output


EVIL = "templates/evil.yaml"
CASES = [
    # -- names that are paths ------------------------------------------------------
    Case("name-climbs-out", RENDER_OUT, {EVIL: cm("x/../../../../PWNED")}, located=EVIL,
         message="invalid name for a ConfigMap"),
    Case("name-overwrites-a-sibling", RENDER_OUT, {EVIL: cm("z/../core.ConfigMap.ok")}, located=EVIL,
         message="DNS-1123 subdomain"),
    Case("name-dotdot", RENDER_OUT, {EVIL: cm("..")}, located=EVIL),
    Case("name-newline", ["render", "repo"], {EVIL: cm("a\\n---\\nkind: Secret")}, located=EVIL,
         absent=("\n---\nkind: Secret",)),
    Case("name-nul", RENDER_OUT, {EVIL: cm("a\\0b")}, located=EVIL),
    Case("name-backslash", RENDER_OUT, {EVIL: cm("a\\\\..\\\\b")}, located=EVIL),
    Case("name-too-long", RENDER_OUT, {EVIL: cm("a" * 254)}, located=EVIL, message="no more than 253"),
    Case("namespace-climbs-out", RENDER_OUT, {EVIL: cm("x", namespace="../../etc")}, located=EVIL,
         message="invalid namespace"),
    Case("namespace-too-long", RENDER_OUT, {EVIL: cm("x", namespace="n" * 64)}, located=EVIL,
         message="no more than 63"),
    Case("api-group-climbs-out", RENDER_OUT, {EVIL: cm("x", api_version="../../x/v1")}, located=EVIL,
         message="invalid apiVersion"),
    Case("api-group-hides-dotdot", RENDER_OUT, {EVIL: cm("x", api_version="x.example.com/../v1")},
         located=EVIL),
    Case("api-version-is-a-path", RENDER_OUT, {EVIL: cm("x", api_version="x.example.com/v1/..")},
         located=EVIL),
    Case("kind-is-a-path", RENDER_OUT, {EVIL: cm("x", kind="../Widget")}, located=EVIL, message="invalid kind"),
    Case("cluster-name-climbs-out", RENDER_OUT, {"clusters/evil.yaml": CLUSTER.format('"../../x"')},
         located="clusters/evil.yaml", message="invalid cluster name"),
    Case("policy-name-is-a-path", RENDER_OUT, {"policies/evil.yaml": BASE["policies/all.yaml"].replace(
        "{name: all}", '{name: "a/../b"}')}, located="policies/evil.yaml", message="invalid name"),
    Case("jinja-renders-a-path", RENDER_OUT, {"templates/evil.yaml.j2": cm("{{ '../' * 3 }}x")},
         located="templates/evil.yaml.j2"),
    Case("commit-with-a-hostile-name", ["render", "repo", "--rev", "HEAD", "--commit"],
         {EVIL: cm("x/../../PWNED")}, commit=True, located=EVIL),
    # -- symbolic links: skipped with a warning, never followed, in both modes ------
    Case("symlinked-file", ["render", "repo"], links={"templates/link.yaml": "../../outside/cm.yaml"}, code=0,
         located="templates/link.yaml", message=SKIPPED, absent=(OUTSIDE_VALUE,)),
    Case("symlinked-folder", ["render", "repo"], links={"templates/linked": "../../outside"}, code=0,
         located="templates/linked", message=SKIPPED, absent=(OUTSIDE_VALUE,)),
    Case("symlinked-file-at-rev", ["render", "repo", "--rev", "HEAD"],
         links={"templates/link.yaml": "../../outside/cm.yaml"}, commit=True, code=0,
         located="templates/link.yaml", message=SKIPPED, absent=(OUTSIDE_VALUE,)),
    Case("symlinked-folder-at-rev", ["render", "repo", "--rev", "HEAD"],
         links={"templates/linked": "../../outside"}, commit=True, code=0,
         located="templates/linked", message=SKIPPED, absent=(OUTSIDE_VALUE,)),
    Case("symlinked-absolute", RENDER_OUT, links={"templates/abs.yaml": "/etc/passwd"}, code=0,
         located="templates/abs.yaml", message=SKIPPED, absent=("root:",)),
    # -- the output folder ------------------------------------------------------------
    Case("output-dir-is-a-file", RENDER_OUT, out="file", code=2, message="is not a folder"),
    Case("output-dir-under-a-file", ["render", "repo", "--output-dir", "out/sub"], out="file", code=2,
         message="is not a folder"),
    Case("output-dir-is-a-symlink", RENDER_OUT, out="link", code=2, message="symbolic link"),
    Case("output-name-too-long-for-the-disk", RENDER_OUT, {EVIL: cm("a" * 253)}, out="render",
         message="more than this file system allows"),
    # -- credentials in a Git URL -----------------------------------------------------
    Case("url-credentials-in-a-failed-clone", ["validate", "https://bob:S3cr3tPw@127.0.0.1:9/fleet.git"],
         message="https://***@127.0.0.1:9/fleet.git", absent=("S3cr3tPw", "bob:")),
]


def _setup(tmp_path: Path, case: Case) -> Path:
    write_repo(tmp_path / "outside", OUTSIDE)
    repo = write_repo(tmp_path / "repo", {**BASE, **case.files})
    for rel, target in case.links.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, repo / rel)
    if case.commit:
        git = pygit2.init_repository(str(repo), initial_head="main")
        git.index.add_all()
        git.index.write()
        sig = pygit2.Signature("t", "t@example.com", 1_700_000_000, 0)
        git.create_commit("HEAD", sig, sig, "fleet", git.index.write_tree(), [])
        for rel in case.links:  # Git holds the link as a link, not what it points at
            assert git.head.peel(pygit2.Commit).tree[rel].filemode == pygit2.enums.FileMode.LINK
    if case.out == "file":
        (tmp_path / "out").write_text("not a folder\n")
    elif case.out == "link":
        (tmp_path / "elsewhere").mkdir()
        os.symlink("elsewhere", tmp_path / "out")
    elif case.out == "render":
        write_repo(tmp_path / "out", {"placements.yaml": "[]\n"})
    return repo


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_input(tmp_path: Path, case: Case) -> None:
    _setup(tmp_path, case)
    before = snapshot(tmp_path)
    code, out, err = run_cli(case.argv, cwd=tmp_path, env={"GITFLEET_CACHE": str(tmp_path / "cache")})
    assert_no_traceback(out, err)
    if case.code == 1 and case.located:
        assert_rejected(code, out, err, case.located)
    assert code == case.code, f"exit {code}\n{out[-2000:]}\n{err[-2000:]}"
    if case.located and case.code != 1:
        assert re.search(rf"\S*{re.escape(case.located)}:\d+:\d+: ", err), err
    assert case.message in err, err
    for text in case.absent:
        assert text not in out and text not in err
    after = snapshot(tmp_path)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    own = ("out/", "out", "cache/", "cache", "repo/.git/")  # the output, gitfleet's cache, the status branch
    assert not {p for p in changed if not p.startswith(own)}, sorted(changed)
    if case.code != 0:  # refused: not even the output folder was touched
        assert all(p.startswith("cache") for p in changed), sorted(changed)


# -- credentials in Git URLs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("fetching https://u:pw@h/x failed", "fetching https://***@h/x failed"),
        ("remote https://a:1@h/x and ssh://git:2@g/y both failed", "remote https://***@h/x and ssh://***@g/y both failed"),
        ("'http://tok3n@h:8080/x.git': 401", "'http://***@h:8080/x.git': 401"),
        ("https://u:p@ss@w0rd@h/x", "https://***@h/x"),  # a password holding '@'
        ("https://u:p%40ss@h/x?q=1", "https://***@h/x?q=1"),
        ("line one\nhttps://u:p@h/x\nline three", "line one\nhttps://***@h/x\nline three"),
        ("mail bob@example.com about https://h/x@v1", "mail bob@example.com about https://h/x@v1"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ],
    ids=["start", "two-in-the-middle", "quoted", "at-in-password", "escaped", "multi-line", "no-userinfo",
         "scp-like"],
)
def test_every_url_in_a_message_is_redacted(message: str, shown: str) -> None:
    from gitfleet.git.credentials import redact_url

    assert redact_url(message) == shown


@pytest.mark.parametrize(
    ("url", "env_token", "bare", "user", "token"),
    [
        ("https://bob:pw@h/x.git", "env", "https://h/x.git", "bob", "pw"),
        ("https://TOKEN@h/x.git", None, "https://h/x.git", "TOKEN", ""),
        ("https://bob@h/x.git", "env", "https://h/x.git", "bob", "env"),  # as git: the password from elsewhere
        ("https://bob:p%40ss@h:8443/x", None, "https://h:8443/x", "bob", "p@ss"),
        ("https://h/x.git", "env", "https://h/x.git", None, "env"),
        ("ssh://git@h/x.git", "env", "ssh://git@h/x.git", None, "env"),
        ("ssh://git:pw@h/x.git", None, "ssh://git@h/x.git", None, None),
    ],
    ids=["user-password", "token-as-user", "user-only", "escaped", "none", "ssh-user-kept", "ssh-password-dropped"],
)
def test_credentials_leave_the_url(url: str, env_token: str | None, bare: str, user: str | None,
                                   token: str | None) -> None:
    from gitfleet.git.credentials import Credentials

    got_url, creds = Credentials(token=env_token).for_url(url)
    assert (got_url, creds.username, creds.token) == (bare, user, token)


def _files_holding(root: Path, secret: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.mark.git
def test_a_mirror_keeps_no_credential_and_follows_a_rotated_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitfleet.git.errors import GitSourceError
    from gitfleet.git.source import open_source
    from tests.fleetrepo import commit_files, fleet_files
    from tests.git.repos import git_http, init, make_bare_remote

    for name in ("GITFLEET_GIT_TOKEN", "GITFLEET_GIT_TOKEN_FILE", "GITFLEET_GIT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path / "cache"
    work = init(tmp_path / "work")
    commit_files(work, fleet_files("shop"), "fleet")
    make_bare_remote(work, tmp_path / "srv" / "fleet.git")
    old, new = "old-t0ken-value", "new-t0ken-value"
    with git_http(tmp_path / "srv", "bot", old) as remote:
        host = remote.url.removeprefix("http://")
        source = open_source(f"http://bot:{old}@{host}/fleet.git", cache_dir=cache)
        assert source.head_sha() == str(work.head.target)
        assert old not in source.display
        assert _files_holding(cache, old) == []
        remote.accept("bot", new)  # the token is rotated on the host
        with pytest.raises(GitSourceError) as refused:
            open_source(f"http://bot:{old}@{host}/fleet.git", cache_dir=cache)
        assert old not in str(refused.value)
        commit_files(work, {"templates/extra.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n"})
        work.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
        fresh = open_source(f"http://bot:{new}@{host}/fleet.git", cache_dir=cache)
        assert fresh.head_sha() == str(work.head.target)  # fetched with the new token
    assert _files_holding(cache, old) == [] and _files_holding(cache, new) == []
    config = next(cache.rglob("config")).read_text()
    assert "bot" not in config and f"url = http://{host}/fleet.git" in config


@pytest.mark.git
def test_an_old_mirror_forgets_its_password(tmp_path: Path) -> None:
    """A mirror made before this rule kept the URL with its password: opening it again
    rewrites the remote without it."""
    from gitfleet.git.source import DEFAULT_REMOTE, mirror_path, open_source

    url = "https://bot:old-pa55word@127.0.0.1:9/fleet.git"
    repo = pygit2.init_repository(str(mirror_path(url, tmp_path)), bare=True)
    repo.remotes.create(DEFAULT_REMOTE, url)
    open_source(url, cache_dir=tmp_path, fetch=False)
    assert _files_holding(tmp_path, "old-pa55word") == []


def test_special_files_are_not_read(tmp_path: Path) -> None:
    """A FIFO named like a fleet file would block a read forever; Git cannot hold one,
    so it is not a fleet file."""
    from gitfleet.git.worktree import read_directory

    write_repo(tmp_path, {"ok.yaml": "a: 1\n"})
    os.mkfifo(tmp_path / "fifo.yaml")
    assert read_directory(tmp_path) == {"ok.yaml": b"a: 1\n"}
