"""Where the fleet repo comes from: a local repository (whose REPO folder may be a
subfolder of the Git work tree) or a remote mirrored into a cache folder and fetched.

Any revision is read straight from the object database, without a checkout, with the
same file filter as :func:`gitfleet.git.worktree.read_directory`, so rendering
``--rev REV`` gives the same files as rendering a checkout of REV. Without a revision
the working tree is read from disk, uncommitted edits included.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import FileMode

from gitfleet.git.credentials import Credentials, GitfleetCallbacks, redact_url
from gitfleet.git.errors import GitSourceError
from gitfleet.git.housekeeping import pack_if_needed
from gitfleet.git.treebuild import blob_data
from gitfleet.git.urls import is_remote_url
from gitfleet.git.worktree import FLEET_SUFFIXES, read_directory
from gitfleet.model.source import Symlink

log = logging.getLogger(__name__)

DEFAULT_REMOTE = "origin"
MIRROR_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_BLOB_MODES = (FileMode.BLOB, FileMode.BLOB_EXECUTABLE)


def cache_root() -> Path:
    return Path(os.environ.get("GITFLEET_CACHE") or Path.home() / ".cache" / "gitfleet")


def mirror_path(url: str, cache_dir: Path | None = None) -> Path:
    """The cache folder of ``url``'s mirror. Keyed by the URL without credentials, so a
    rotated token reuses the same mirror."""
    digest = hashlib.sha256(redact_url(url).encode()).hexdigest()[:16]
    return (cache_dir or cache_root() / "repos") / digest


@dataclass
class GitSource:
    """An opened fleet repo. ``root`` is the REPO folder on disk (``None`` for a mirror
    or a bare repository); ``prefix`` is that folder's path inside the repository."""

    repo: pygit2.Repository | None
    prefix: str = ""
    root: Path | None = None
    remote: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    display: str = ""
    owned: bool = False  # a mirror in gitfleet's cache: nobody else writes to it

    def callbacks(self) -> GitfleetCallbacks:
        return GitfleetCallbacks(self.credentials)

    def tidy(self) -> int:
        """Pack a mirror's loose objects once there are many (status commits add them;
        see :mod:`gitfleet.git.housekeeping`); how many were packed. A repository that
        is not gitfleet's own is left to git."""
        if not self.owned or self.repo is None:
            return 0
        try:
            return pack_if_needed(self.repo)
        except (OSError, pygit2.GitError) as exc:  # housekeeping must not fail a render
            log.warning("could not pack the loose objects of %s: %s", self.display, exc)
            return 0

    def _require_repo(self) -> pygit2.Repository:
        if self.repo is None:
            raise GitSourceError(f"{self.display} is not inside a Git repository")
        return self.repo

    def commit(self, rev: str) -> pygit2.Commit:
        repo = self._require_repo()
        try:
            obj = repo.revparse_single(rev)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            raise GitSourceError(f"revision {rev!r} not found in {self.display}") from None
        assert isinstance(commit, pygit2.Commit)
        return commit

    def resolve(self, rev: str) -> str:
        """The full SHA of the commit ``rev`` names (branch, tag, SHA, ``HEAD~1``...)."""
        return str(self.commit(rev).id)

    def head_sha(self) -> str | None:
        """The commit checked out (or the mirror's default branch); ``None`` when unborn."""
        repo = self._require_repo()
        if repo.head_is_unborn:
            return None
        return str(repo.head.target)

    def files_at(self, rev: str) -> dict[str, bytes]:
        """Every fleet file of the REPO folder at ``rev``, read from Git objects."""
        repo = self._require_repo()
        tree = self.commit(rev).tree
        if self.prefix:
            try:
                sub = tree[self.prefix]
            except KeyError:
                raise GitSourceError(f"{self.prefix}/ does not exist at revision {rev!r}") from None
            if sub.type_str != "tree":
                raise GitSourceError(f"{self.prefix} is not a folder at revision {rev!r}")
            subtree = repo[sub.id]
            assert isinstance(subtree, pygit2.Tree)
            tree = subtree
        files: dict[str, bytes] = {}
        _collect(repo, tree, "", files)
        return files

    def files(self, rev: str | None = None) -> dict[str, bytes]:
        """``files_at(rev)``, or the working tree as it is on disk when ``rev`` is None
        (for a mirror or bare repository: HEAD)."""
        if rev is not None:
            return self.files_at(rev)
        if self.root is not None:
            return read_directory(self.root)
        return self.files_at("HEAD")

    def is_dirty(self) -> bool:
        """Whether the REPO folder on disk differs from HEAD in any fleet file."""
        if self.root is None or self.repo is None or self.repo.head_is_unborn:
            return False
        return read_directory(self.root) != self.files_at("HEAD")

    def descends_from(self, commit: str, ancestor: str) -> bool:
        """Whether ``ancestor`` is in ``commit``'s history (False when either is unknown,
        as after a force-push and a garbage collection)."""
        repo = self._require_repo()
        try:
            return commit == ancestor or bool(repo.descendant_of(commit, ancestor))
        except (pygit2.GitError, KeyError, ValueError):
            return False

    def fetch_branches(self, prefix: str, exact: bool = False) -> None:
        """Fetch only the remote's branches under ``prefix/`` (the agents' reports), or
        with ``exact`` the one branch ``prefix``; nothing for a local repository."""
        repo = self._require_repo()
        if self.remote is None:
            return
        name = prefix if exact else f"{prefix}/*"
        spec = f"+refs/heads/{name}:refs/heads/{name}"
        try:
            repo.remotes[self.remote].fetch([spec], callbacks=self.callbacks())
        except pygit2.GitError as exc:
            raise GitSourceError(f"fetching {self.display} failed: {redact_url(str(exc))}") from None

    def fetch(self) -> None:
        """Fetch the remote of a mirror (all branches and tags)."""
        repo = self._require_repo()
        if self.remote is None:
            return
        try:
            repo.remotes[self.remote].fetch(callbacks=self.callbacks())
        except pygit2.GitError as exc:
            raise GitSourceError(f"fetching {self.display} failed: {redact_url(str(exc))}") from None


def _collect(repo: pygit2.Repository, tree: pygit2.Tree, base: str, out: dict[str, bytes]) -> None:
    # Mirrors read_directory: dot-entries skipped, only fleet suffixes, symlinks handed
    # over as links (the loader skips them with a warning), submodules ignored.
    for entry in tree:
        name = entry.name
        if name is None or name.startswith("."):
            continue
        if entry.filemode == FileMode.TREE:
            sub = repo[entry.id]
            assert isinstance(sub, pygit2.Tree)
            _collect(repo, sub, f"{base}{name}/", out)
        elif entry.filemode in _BLOB_MODES and name.endswith(FLEET_SUFFIXES):
            out[base + name] = blob_data(repo, entry.id)
        elif entry.filemode == FileMode.LINK:
            out[base + name] = Symlink(blob_data(repo, entry.id))


def open_source(
    spec: str | Path,
    *,
    credentials: Credentials | None = None,
    cache_dir: Path | None = None,
    fetch: bool = True,
) -> GitSource:
    """Open REPO: a folder (inside a Git work tree or not, or a bare repository) or a
    remote URL, mirrored into ``cache_dir`` (default ``$GITFLEET_CACHE/repos`` or
    ``~/.cache/gitfleet/repos``) and fetched unless ``fetch`` is False.

    Raises :class:`GitSourceError` for a missing folder or a failed clone/fetch.
    """
    creds = credentials if credentials is not None else Credentials.from_env()
    text = str(spec)
    if is_remote_url(text):
        return _open_mirror(text, creds, cache_dir, fetch)
    path = Path(text).resolve()
    if not path.is_dir():
        raise GitSourceError(f"{text}: no such folder")
    found = pygit2.discover_repository(str(path))
    if found is None:
        return GitSource(repo=None, root=path, credentials=creds, display=text)
    repo = pygit2.Repository(found)
    remote = DEFAULT_REMOTE if DEFAULT_REMOTE in repo.remotes.names() else None
    if repo.is_bare:
        return GitSource(repo=repo, remote=remote, credentials=creds, display=text)
    workdir = Path(repo.workdir).resolve()
    prefix = path.relative_to(workdir).as_posix()
    return GitSource(
        repo=repo,
        prefix="" if prefix == "." else prefix,
        root=path,
        remote=remote,
        credentials=creds,
        display=text,
    )


def _open_mirror(url: str, creds: Credentials, cache_dir: Path | None, fetch: bool) -> GitSource:
    # The mirror records the URL without credentials (its config, FETCH_HEAD, reflogs):
    # they are handed out by the callbacks, from this run's URL or environment, so a
    # rotated token is the one used and none is left on disk.
    path = mirror_path(url, cache_dir)
    shown = redact_url(url)
    bare, creds = creds.for_url(url)
    if path.exists():
        repo = pygit2.Repository(str(path))
        _forget_credentials(repo, bare)
        source = GitSource(repo=repo, remote=DEFAULT_REMOTE, credentials=creds, display=shown, owned=True)
        if fetch:
            source.fetch()
        return source
    path.parent.mkdir(parents=True, exist_ok=True)
    # Clone beside the final place and rename, so a crash or a concurrent clone never
    # leaves a half-made mirror where the next run would trust it.
    tmp = Path(tempfile.mkdtemp(prefix=path.name + ".", dir=path.parent))
    try:
        cloned = pygit2.clone_repository(
            bare, str(tmp / "repo"), bare=True, callbacks=GitfleetCallbacks(creds), remote=_mirror_remote
        )
        _follow_remote_head(cloned)
        try:
            (tmp / "repo").rename(path)
        except OSError:
            if not path.exists():
                raise
    except pygit2.GitError as exc:
        raise GitSourceError(f"cloning {shown} failed: {redact_url(str(exc))}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return GitSource(repo=pygit2.Repository(str(path)), remote=DEFAULT_REMOTE, credentials=creds, display=shown,
                     owned=True)


def _forget_credentials(repo: pygit2.Repository, bare: str) -> None:
    """Point the mirror's remote at ``bare``: a mirror made by an older gitfleet (or
    from another spelling of the URL) may hold a password in its config; a stale
    FETCH_HEAD may quote it too."""
    remote = repo.remotes[DEFAULT_REMOTE]
    if remote.url != bare:
        repo.remotes.set_url(DEFAULT_REMOTE, bare)
    if remote.push_url is not None and remote.push_url != bare:
        repo.remotes.set_push_url(DEFAULT_REMOTE, bare)
    fetch_head = Path(repo.path, "FETCH_HEAD")
    try:
        text = fetch_head.read_text(errors="replace")
    except FileNotFoundError:
        return
    if redact_url(text) != text:
        fetch_head.unlink()


def _follow_remote_head(repo: pygit2.Repository) -> None:
    # libgit2 records the remote's default branch as refs/remotes/origin/HEAD but, with
    # the mirror refspec, cannot point the mirror's own HEAD at it: do that here.
    ref = repo.references.get(f"refs/remotes/{DEFAULT_REMOTE}/HEAD")
    if ref is None:
        return
    target = ref.target
    if isinstance(target, str) and target.startswith("refs/heads/"):
        repo.set_head(target)
    ref.delete()


def _mirror_remote(repo: pygit2.Repository, name: str, url: str) -> pygit2.Remote:
    repo.remotes.create(name, url, MIRROR_REFSPECS[0])
    for spec in MIRROR_REFSPECS[1:]:
        repo.remotes.add_fetch(name, spec)
    return repo.remotes[name]
