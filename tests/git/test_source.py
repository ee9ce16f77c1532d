"""Reading the fleet repo from Git: any revision, in memory, equals a checkout of it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import CredentialType

from git.repos import commit, git_daemon, init, make_bare_remote
from gitfleet.git.credentials import MAX_CREDENTIAL_ASKS, Credentials, GitfleetCallbacks, redact_url
from gitfleet.git.errors import GitSourceError
from gitfleet.git.source import mirror_path, open_source
from gitfleet.git.urls import is_remote_url
from gitfleet.git.worktree import read_directory

pytestmark = pytest.mark.git

V1 = {
    "fleet/fleet.yaml": "kind: Fleet\n",
    "fleet/clusters/a.yaml": "kind: Cluster\nname: a\n",
    "fleet/templates/web/deploy.yaml": "kind: Deployment\nv: 1\n",
    "fleet/templates/web/cm.yaml.j2": "kind: ConfigMap\nv: {{ cluster.name }}\n",
    "fleet/templates/notes.md": "not a fleet file\n",
    "fleet/.hidden/x.yaml": "kind: Hidden\n",
    "fleet/templates/.dot.yaml": "kind: Dot\n",
    "other/outside.yaml": "kind: Outside\n",
}
V2 = {"fleet/templates/web/deploy.yaml": "kind: Deployment\nv: 2\n", "fleet/clusters/b.yml": "kind: Cluster\n",
      "fleet/clusters/a.yaml": None}
V3 = {"fleet/templates/web/deploy.yaml": "kind: Deployment\nv: 3\n"}


@pytest.fixture
def history(tmp_path: Path) -> tuple[pygit2.Repository, dict[str, str]]:
    repo = init(tmp_path / "work")
    shas = {"v1": commit(repo, V1, "v1")}
    repo.references.create("refs/tags/v1", shas["v1"])
    shas["v2"] = commit(repo, V2, "v2")
    repo.branches.local.create("feature", repo.revparse_single(shas["v2"]).peel(pygit2.Commit))
    shas["v3"] = commit(repo, V3, "v3")
    return repo, shas


def checkout(repo: pygit2.Repository, rev: str, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "--no-checkout", repo.workdir, str(dest)], check=True, timeout=60)
    sha = str(repo.revparse_single(rev).peel(pygit2.Commit).id)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", sha], check=True, timeout=60)
    return dest


@pytest.mark.parametrize("rev", ["HEAD", "HEAD~1", "HEAD~2", "v1", "feature", "main", "sha:v2"],
                         ids=["head", "head~1", "head~2", "tag", "branch", "main", "full-sha"])
def test_files_at_equals_checkout(history: tuple[pygit2.Repository, dict[str, str]], rev: str,
                                  tmp_path: Path) -> None:
    repo, shas = history
    rev = shas[rev[4:]] if rev.startswith("sha:") else rev
    source = open_source(Path(repo.workdir) / "fleet")
    assert source.prefix == "fleet"
    expected = read_directory(checkout(repo, rev, tmp_path / "co") / "fleet")
    assert source.files_at(rev) == expected
    assert "templates/notes.md" not in expected and ".hidden/x.yaml" not in expected


def test_resolve(history: tuple[pygit2.Repository, dict[str, str]]) -> None:
    repo, shas = history
    source = open_source(repo.workdir)
    assert [source.resolve(r) for r in ("HEAD", "HEAD~1", "v1", "feature", shas["v1"][:10])] == [
        shas["v3"], shas["v2"], shas["v1"], shas["v2"], shas["v1"]]


def test_working_tree_with_uncommitted_edits(history: tuple[pygit2.Repository, dict[str, str]]) -> None:
    repo, _ = history
    root = Path(repo.workdir) / "fleet"
    source = open_source(root)
    assert source.files() == source.files_at("HEAD") and not source.is_dirty()
    (root / "templates/web/deploy.yaml").write_text("kind: Deployment\nv: dirty\n")
    assert source.files()["templates/web/deploy.yaml"] == b"kind: Deployment\nv: dirty\n"
    assert source.files_at("HEAD")["templates/web/deploy.yaml"] == b"kind: Deployment\nv: 3\n"
    assert source.is_dirty()


@pytest.mark.parametrize(
    ("rev", "message"),
    [("no-such-branch", "revision 'no-such-branch' not found"), ("HEAD~7", "revision 'HEAD~7' not found")],
    ids=["unknown-branch", "too-far-back"],
)
def test_unknown_revision(history: tuple[pygit2.Repository, dict[str, str]], rev: str, message: str) -> None:
    with pytest.raises(GitSourceError, match=message):
        open_source(history[0].workdir).files_at(rev)


def test_prefix_missing_at_older_revision(tmp_path: Path) -> None:
    repo = init(tmp_path / "work")
    commit(repo, {"README.yaml": "x: 1\n"}, "before the fleet folder existed")
    commit(repo, {"fleet/fleet.yaml": "kind: Fleet\n"}, "add fleet")
    source = open_source(Path(repo.workdir) / "fleet")
    with pytest.raises(GitSourceError, match="fleet/ does not exist at revision 'HEAD~1'"):
        source.files_at("HEAD~1")


def test_folder_outside_git(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("kind: X\n")
    source = open_source(tmp_path)
    assert source.files() == {"f.yaml": b"kind: X\n"}
    with pytest.raises(GitSourceError, match="not inside a Git repository"):
        source.files_at("HEAD")


def test_mirror_over_git_daemon_fetches_new_commits(history: tuple[pygit2.Repository, dict[str, str]],
                                                     tmp_path: Path) -> None:
    repo, shas = history
    served = tmp_path / "srv"
    make_bare_remote(repo, served / "fleet.git", ("refs/heads/main", "refs/heads/feature", "refs/tags/v1"))
    cache = tmp_path / "cache"
    with git_daemon(served) as url:
        source = open_source(f"{url}/fleet.git", cache_dir=cache)
        assert source.root is None and source.head_sha() == shas["v3"]
        assert source.resolve("v1") == shas["v1"] and source.resolve("feature") == shas["v2"]
        assert source.files_at("HEAD") == open_source(repo.workdir).files_at("HEAD")
        v4 = commit(repo, {"fleet/templates/web/deploy.yaml": "kind: Deployment\nv: 4\n"}, "v4")
        repo.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
        again = open_source(f"{url}/fleet.git", cache_dir=cache)
        assert again.repo is not None and again.repo.path == source.repo.path  # type: ignore[union-attr]
        assert again.resolve("main") == v4
        assert open_source(f"{url}/fleet.git", cache_dir=cache, fetch=False).resolve("main") == v4


def test_mirror_of_file_url(history: tuple[pygit2.Repository, dict[str, str]], tmp_path: Path) -> None:
    repo, shas = history
    source = open_source(f"file://{repo.path}", cache_dir=tmp_path / "cache")
    assert source.resolve("main") == shas["v3"]


def test_clone_failure_is_reported_without_credentials(tmp_path: Path) -> None:
    with pytest.raises(GitSourceError) as err:
        open_source("https://user:tok3n-secret@127.0.0.1:1/fleet.git", cache_dir=tmp_path / "cache")
    assert "tok3n-secret" not in str(err.value) and "***@127.0.0.1" in str(err.value)
    assert list((tmp_path / "cache").iterdir()) == []  # no half-made mirror left behind


@pytest.mark.parametrize(
    ("spec", "remote"),
    [("https://h/x.git", True), ("git://h/x", True), ("ssh://git@h/x", True), ("git@github.com:o/r.git", True),
     ("file:///srv/x", True), ("./sample-repo", False), ("/work/main", False), ("C:fleet", False)],
    ids=["https", "git", "ssh", "scp-like", "file-url", "relative", "absolute", "colon-in-path"],
)
def test_is_remote_url(spec: str, remote: bool) -> None:
    assert is_remote_url(spec) is remote


@pytest.mark.parametrize(
    ("url", "shown"),
    [("https://u:p@h/x", "https://***@h/x"), ("https://tok@h/x", "https://***@h/x"), ("https://h/x", "https://h/x"),
     ("git@h:x", "git@h:x")],
    ids=["user-pass", "token", "plain", "scp-like"],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_mirror_path_ignores_credentials(tmp_path: Path) -> None:
    assert mirror_path("https://a:1@h/x", tmp_path) == mirror_path("https://b:2@h/x", tmp_path)
    assert mirror_path("https://h/x", tmp_path) != mirror_path("https://h/y", tmp_path)


def test_credentials_from_env_and_files(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("file-token\n")
    creds = Credentials.from_env({"GITFLEET_GIT_TOKEN_FILE": str(token), "GITFLEET_SSH_KEY": "~/id_x"})
    assert creds.token == "file-token" and creds.ssh_key == Path("~/id_x").expanduser()
    assert "file-token" not in repr(creds)
    assert Credentials.from_env({"GITFLEET_GIT_TOKEN": "env", "GITFLEET_GIT_TOKEN_FILE": str(token)}).token == "env"
    with pytest.raises(GitSourceError, match="cannot read GITFLEET_GIT_TOKEN_FILE"):
        Credentials.from_env({"GITFLEET_GIT_TOKEN_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    ("creds", "allowed", "expected"),
    [
        (Credentials(token="t0k"), CredentialType.USERPASS_PLAINTEXT, ("UserPass", ("x-access-token", "t0k"))),
        (Credentials(token="t0k", username="oauth2"), CredentialType.USERPASS_PLAINTEXT,
         ("UserPass", ("oauth2", "t0k"))),
        (Credentials(ssh_key=Path("/keys/id_ed25519")), CredentialType.SSH_KEY,
         ("Keypair", ("git", None, "/keys/id_ed25519", ""))),
        (Credentials(), CredentialType.SSH_KEY, ("KeypairFromAgent", ("git", None, None, None))),
    ],
    ids=["token", "token-with-user", "ssh-key", "ssh-agent"],
)
def test_credentials_handed_out(creds: Credentials, allowed: CredentialType, expected: tuple[str, tuple]) -> None:
    got = GitfleetCallbacks(creds).credentials("https://h/x", None, allowed)
    assert (type(got).__name__, got.credential_tuple) == expected


def test_credentials_asked_too_often_or_missing() -> None:
    callbacks = GitfleetCallbacks(Credentials(token="t0k"))
    for _ in range(MAX_CREDENTIAL_ASKS):
        callbacks.credentials("https://u:pw@h/x", None, CredentialType.USERPASS_PLAINTEXT)
    with pytest.raises(GitSourceError, match=r"authentication to https://\*\*\*@h/x failed"):
        callbacks.credentials("https://u:pw@h/x", None, CredentialType.USERPASS_PLAINTEXT)
    with pytest.raises(GitSourceError, match="set GITFLEET_GIT_TOKEN"):
        GitfleetCallbacks(Credentials()).credentials("https://h/x", None, CredentialType.USERPASS_PLAINTEXT)
