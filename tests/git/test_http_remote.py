"""A fleet repo on a smart-HTTP Git host (``git http-backend`` behind Basic auth on
loopback): mirrored with the token from the environment, the status branch pushed back,
and the token never shown, whether it is right, wrong or missing."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from git.repos import HttpRemote, fsck, git_http, init, make_bare_remote
from gitfleet.cli.main import main
from gitfleet.git.errors import GitSourceError
from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import source_of
from tests.fleetrepo import commit_files, fleet_files

pytestmark = pytest.mark.git

USER, TOKEN = "fleet-bot", "tok3n-s3cret-value"
BRANCH = "gitfleet/status"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[pygit2.Repository, Path]:
    """A fleet repo, its bare copy to serve, and no credentials in the environment."""
    for name in ("GITFLEET_GIT_TOKEN", "GITFLEET_GIT_TOKEN_FILE", "GITFLEET_GIT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITFLEET_CACHE", str(tmp_path / "cache"))
    work = init(tmp_path / "work")
    commit_files(work, fleet_files("shop"), "fleet")
    make_bare_remote(work, tmp_path / "srv" / "fleet.git")
    return work, tmp_path / "srv"


def test_mirror_with_the_token(served: tuple[pygit2.Repository, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    work, base = served
    monkeypatch.setenv("GITFLEET_GIT_TOKEN", TOKEN)
    monkeypatch.setenv("GITFLEET_GIT_USERNAME", USER)
    with git_http(base, USER, TOKEN) as remote:
        source = open_source(f"{remote.url}/fleet.git")
        assert source.head_sha() == str(work.head.target)
        assert source.files_at("HEAD") == open_source(work.workdir).files_at("HEAD")
    # The host challenged the anonymous first request; the token answered it.
    assert any(not ok for _, _, ok in remote.requests) and any(ok for _, _, ok in remote.requests)


def test_token_from_a_file(served: tuple[pygit2.Repository, Path], monkeypatch: pytest.MonkeyPatch,
                           tmp_path: Path) -> None:
    work, base = served
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    monkeypatch.setenv("GITFLEET_GIT_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("GITFLEET_GIT_USERNAME", USER)
    with git_http(base, USER, TOKEN) as remote:
        assert open_source(f"{remote.url}/fleet.git").head_sha() == str(work.head.target)


@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "asks for credentials: set GITFLEET_GIT_TOKEN"), ("not-" + TOKEN, "authentication to")],
    ids=["missing", "wrong"],
)
def test_refused_without_the_right_token(served: tuple[pygit2.Repository, Path], monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path, token: str | None, message: str) -> None:
    _, base = served
    if token is not None:
        monkeypatch.setenv("GITFLEET_GIT_TOKEN", token)
    monkeypatch.setenv("GITFLEET_GIT_USERNAME", USER)
    with git_http(base, USER, TOKEN) as remote, pytest.raises(GitSourceError) as err:
        open_source(f"{remote.url}/fleet.git")
    assert message in str(err.value)
    assert TOKEN not in str(err.value)
    assert not any(ok for _, _, ok in remote.requests)
    assert len(remote.requests) <= 4  # asked a bounded number of times, not in a loop
    assert not any((tmp_path / "cache" / "repos").iterdir())  # no half-made mirror left


def _push_render(remote: HttpRemote, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["render", f"{remote.url}/fleet.git", "--commit", "--push"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert TOKEN not in out + err
    return err


def test_status_branch_pushed_over_http(served: tuple[pygit2.Repository, Path],
                                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    work, base = served
    monkeypatch.setenv("GITFLEET_GIT_TOKEN", TOKEN)
    monkeypatch.setenv("GITFLEET_GIT_USERNAME", USER)
    with git_http(base, USER, TOKEN) as remote:
        _push_render(remote, capsys)
        host = pygit2.Repository(str(base / "fleet.git"))
        first = host.revparse_single(BRANCH).peel(pygit2.Commit)
        assert source_of(first.message) == str(work.head.target)
        assert any(e.name == "clusters" for e in first.tree)

        # A new commit on the host: fetched, rendered, pushed on top of the first.
        second = commit_files(work, fleet_files("shop", greeting="bonjour"), "greeting")
        work.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
        _push_render(remote, capsys)
        tip = host.revparse_single(BRANCH).peel(pygit2.Commit)
        assert source_of(tip.message) == second and tip.parent_ids == [first.id]
    fsck(base / "fleet.git")
