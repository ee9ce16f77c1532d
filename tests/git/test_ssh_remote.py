"""A fleet repo on an SSH Git host (OpenSSH on loopback running Git's pack commands):
mirrored with the key from the environment, the status branch pushed back; a key the
host does not know, a locked key without its passphrase, and a host whose key is not
(or no longer) the one in known_hosts are refused, with nothing secret in the message."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest

from git.repos import LOCKED_PASSPHRASE, SSHD, SshRemote, fsck, init, make_bare_remote, sshd
from gitfleet.cli.main import main
from gitfleet.git.errors import GitSourceError
from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import source_of
from tests.fleetrepo import commit_files, fleet_files

pytestmark = pytest.mark.git
BRANCH = "gitfleet/status"


def _need_sshd() -> None:
    if Path(SSHD).exists():
        return
    why = f"{SSHD} is missing: install openssh-server (scripts/install-test-clusters.sh does)"
    if os.environ.get("GITFLEET_SKIP_SSH_TESTS") == "1" and not os.environ.get("CI"):
        pytest.skip(why)
    pytest.fail(why)


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SshRemote, pygit2.Repository, str]]:
    """The SSH host serving a fleet repo (URL of it), and a HOME whose known_hosts
    holds the host's key; no agent, no credentials in the environment."""
    _need_sshd()
    for name in ("GITFLEET_SSH_KEY", "GITFLEET_SSH_KEY_PASSPHRASE", "GITFLEET_SSH_KEY_PASSPHRASE_FILE",
                 "GITFLEET_GIT_TOKEN", "SSH_AUTH_SOCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITFLEET_CACHE", str(tmp_path / "cache"))
    work = init(tmp_path / "work")
    commit_files(work, fleet_files("shop"), "fleet")
    bare = tmp_path / "srv" / "fleet.git"
    make_bare_remote(work, bare)
    with sshd(tmp_path / "sshd") as remote:
        home = tmp_path / "home"
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "known_hosts").write_text(remote.host_key_line)
        # libgit2 takes its home folder (for known_hosts) from $HOME once, at start.
        monkeypatch.setattr(pygit2.settings, "homedir", str(home))
        yield remote, work, f"{remote.url}{bare}"


def test_mirror_with_a_key(host: tuple[SshRemote, pygit2.Repository, str], monkeypatch: pytest.MonkeyPatch) -> None:
    remote, work, url = host
    monkeypatch.setenv("GITFLEET_SSH_KEY", str(remote.client_key))
    source = open_source(url)
    assert source.head_sha() == str(work.head.target)
    assert source.files_at("HEAD") == open_source(work.workdir).files_at("HEAD")


def test_locked_key_with_its_passphrase_file(host: tuple[SshRemote, pygit2.Repository, str],
                                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    remote, work, url = host
    secret = tmp_path / "passphrase"
    secret.write_text(LOCKED_PASSPHRASE + "\n")
    monkeypatch.setenv("GITFLEET_SSH_KEY", str(remote.locked_key))
    monkeypatch.setenv("GITFLEET_SSH_KEY_PASSPHRASE_FILE", str(secret))
    assert open_source(url).head_sha() == str(work.head.target)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown-key", "rejected authentication"),
        ("locked-key-without-passphrase", "authentication to"),
        ("wrong-passphrase", "authentication to"),
        ("host-not-in-known-hosts", "could not be verified"),
        ("host-key-changed", "could not be verified"),
    ],
)
def test_refused(host: tuple[SshRemote, pygit2.Repository, str], monkeypatch: pytest.MonkeyPatch,
                 tmp_path: Path, case: str, message: str) -> None:
    remote, _, url = host
    key = {"unknown-key": remote.stranger_key, "locked-key-without-passphrase": remote.locked_key,
           "wrong-passphrase": remote.locked_key}.get(case, remote.client_key)
    monkeypatch.setenv("GITFLEET_SSH_KEY", str(key))
    if case == "wrong-passphrase":
        monkeypatch.setenv("GITFLEET_SSH_KEY_PASSPHRASE", "not " + LOCKED_PASSPHRASE)
    known_hosts = Path(pygit2.settings.homedir) / ".ssh" / "known_hosts"
    if case == "host-not-in-known-hosts":
        known_hosts.unlink()
    elif case == "host-key-changed":  # e.g. a man in the middle: the name is known, the key is not its key
        stranger_pub = remote.stranger_key.with_name(remote.stranger_key.name + ".pub").read_text().split()
        known_hosts.write_text(remote.host_key_line.split()[0] + f" {stranger_pub[0]} {stranger_pub[1]}\n")
    with pytest.raises(GitSourceError) as err:
        open_source(url)
    assert message in str(err.value)
    assert LOCKED_PASSPHRASE not in str(err.value)
    assert not any((tmp_path / "cache" / "repos").iterdir())  # no half-made mirror left


def test_status_branch_pushed_over_ssh(host: tuple[SshRemote, pygit2.Repository, str],
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    remote, work, url = host
    monkeypatch.setenv("GITFLEET_SSH_KEY", str(remote.client_key))
    assert main(["render", url, "--commit", "--push"]) == 0, capsys.readouterr().err
    served = pygit2.Repository(str(tmp_path / "srv" / "fleet.git"))
    tip = served.revparse_single(BRANCH).peel(pygit2.Commit)
    assert source_of(tip.message) == str(work.head.target)
    fsck(tmp_path / "srv" / "fleet.git")
