"""Opening REPO and reading it at a revision, with one wording for every failure."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitfleet.errors import UsageError

if TYPE_CHECKING:
    from gitfleet.git.source import GitSource

# pygit2 is imported only where Git is read: ``render`` and ``explain`` of a folder
# as it is on disk do without it.


@dataclass(frozen=True)
class SourceRevision:
    """The fleet files of REPO at one revision, and the commit they are recorded against.

    ``sha`` is the commit read (for the working tree: HEAD; None outside Git or before
    the first commit); ``dirty`` says the working tree differs from it. ``where`` is the
    REPO folder relative to the current folder ("" for a URL), which prefixes the paths
    shown to the user."""

    source: GitSource | None  # None: a folder read as it is on disk, without Git
    files: Mapping[str, bytes]
    rev: str | None
    sha: str | None
    dirty: bool
    where: str = ""

    @property
    def label(self) -> str:
        if self.rev is None:
            return "working tree"
        return f"{self.rev} ({(self.sha or '')[:12]})"

    @property
    def summary(self) -> str | None:
        if self.sha is None or self.source is None or self.source.repo is None:
            return None
        return self.source.commit(self.sha).message

    @property
    def git(self) -> GitSource:
        """The Git side of the source (opened when this revision was read with Git)."""
        if self.source is None:
            raise UsageError("this command read the fleet repo without Git", 1)
        return self.source


def is_remote(repo: str) -> bool:
    from gitfleet.git.urls import is_remote_url

    return is_remote_url(repo)


def _check_folder(repo: str) -> None:
    if not Path(repo).exists():
        raise UsageError(f"fleet repo {repo!r} does not exist")
    if not Path(repo).is_dir():
        raise UsageError(f"fleet repo {repo!r} is not a folder")


def open_repo(repo: str, *, fetch: bool = True) -> GitSource:
    """REPO opened: a folder (in a Git work tree or not) or a URL (mirrored, fetched)."""
    from gitfleet.git.source import open_source

    if not is_remote(repo):
        _check_folder(repo)
    return open_source(repo, fetch=fetch)


def resolve(source: GitSource, rev: str) -> str:
    """The full SHA ``rev`` names; an unknown revision is a usage error."""
    from gitfleet.git.errors import GitSourceError

    try:
        return source.resolve(rev)
    except GitSourceError as err:
        raise UsageError(str(err)) from None


def read_revision(source: GitSource, rev: str | None) -> SourceRevision:
    """``source``'s fleet files at ``rev`` (None: the working tree as it is on disk)."""
    if rev is not None:
        sha = resolve(source, rev)
        return SourceRevision(source, source.files_at(sha), rev, sha, False, _where(source))
    files = source.files(None)
    head = source.head_sha() if source.repo is not None else None
    dirty = head is not None and source.root is not None and files != source.files_at(head)
    return SourceRevision(source, files, None, head, dirty, _where(source))


def read_repo(repo: str, rev: str | None = None, *, git: bool = True) -> SourceRevision:
    """REPO at ``rev``. Without ``git``, a folder outside any Git work tree is read from
    disk without loading libgit2 (a folder in Git is opened: its status branch holds
    the memory every render schedules with)."""
    if not git and rev is None and not is_remote(repo) and not _in_git(repo):
        from gitfleet.git.worktree import read_directory

        _check_folder(repo)
        where = os.path.normpath(repo)
        return SourceRevision(None, read_directory(Path(repo)), None, None, False, "" if where == "." else where)
    return read_revision(open_repo(repo), rev)


def _where(source: GitSource) -> str:
    """REPO as the user named it (paths in messages start there, as a compiler's do);
    "" for the current folder and for URLs, whose paths are the repository's own."""
    if source.root is None or is_remote(source.display):
        return ""
    where = os.path.normpath(source.display)
    return "" if where == "." else where


def _in_git(folder: str) -> bool:
    from gitfleet.service.recall import in_git

    return in_git(folder)
