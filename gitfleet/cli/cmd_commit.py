"""``gitfleet render --commit``: record a render on the status branch.

The render command calls :func:`prepare_commit` (read the repo, render it) and then
:func:`finish_commit` (commit, push, remember the render). A render is remembered in a
cache folder outside the repository (``$GITFLEET_CACHE/render`` or
``~/.cache/gitfleet/render``), keyed by the rendered part of the status commit, so the
next ``--commit`` after a small change plans only what changed and reuses every other
blob of that commit (:mod:`gitfleet.plan.incremental`). A missing, stale or damaged
cache entry only means a full render. :func:`commit_render` commits a plan made
elsewhere, as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gitfleet import __version__
from gitfleet.cli.common import CommandError
from gitfleet.git.errors import StatusBranchError
from gitfleet.git.source import GitSource, cache_root, is_remote_url, open_source
from gitfleet.git.statusbranch import RenderDelta, StatusTip, commit_status, read_status_tip, record_status
from gitfleet.load.discover import FLEET_FILE
from gitfleet.load.loader import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.plan.incremental import (
    Fallback,
    RenderRecord,
    decode_record,
    encode_record,
    render_full,
    try_increment,
)
from gitfleet.status.layout import PLACEMENTS_FILE, plan_to_tree, status_branch_name

log = logging.getLogger(__name__)
RECORDS_KEPT = 4  # per repository: the newest few, so a revert or a second branch still hits


def commit_render(repo_path: str, rev: str | None, plan: Plan, branch: str, push: bool) -> str | None:
    """Commit ``plan`` (rendered from ``repo_path`` at ``rev``, or from the working tree
    when ``rev`` is None) to ``branch``; the new commit's SHA, or None when the render is
    unchanged. A working tree with uncommitted edits is recorded against HEAD and marked
    ``Gitfleet-Dirty: true``."""
    source = open_source(repo_path, fetch=False)
    sha, dirty = _source_commit(source, repo_path, rev)
    summary = source.commit(sha).message
    return commit_status(source, branch, plan_to_tree(plan), sha, push=push, summary=summary, dirty=dirty)


def _source_commit(source: GitSource, repo_path: str, rev: str | None,
                   files: Mapping[str, bytes] | None = None) -> tuple[str, bool]:
    """The source commit a render is recorded against, and whether the files rendered
    (the working tree's, when ``rev`` is None) differ from it."""
    if rev is not None:
        return source.resolve(rev), False
    head = source.head_sha()
    if head is None:
        raise CommandError(f"{repo_path} has no commit yet: commit the fleet repo before --commit", 1)
    if files is None or source.root is None:
        return head, source.is_dirty()
    return head, files != source.files_at(head)


@dataclass(frozen=True)
class PreparedCommit:
    """A render ready to be committed."""

    source: GitSource
    source_sha: str  # the commit rendered (HEAD for the working tree)
    dirty: bool  # the working tree's uncommitted edits were rendered
    branch: str
    files: Mapping[str, bytes] | RenderDelta  # the rendered tree, or its changes
    warnings: tuple[str, ...]
    record: RenderRecord | None  # what to remember once committed
    incremental: bool
    reason: str  # why the render was full (empty when incremental)
    replanned: tuple[str, ...] = ()  # resource keys planned again (incremental)


def prepare_commit(repo_path: str, rev: str | None, branch: str | None) -> PreparedCommit:
    """Read ``repo_path`` at ``rev`` (None: the working tree) and render it for the status
    branch ``branch`` (None: fleet.yaml's): incrementally from the remembered render of
    the branch tip when there is one and no global input changed, else in full.

    Raises ``InputError`` for an invalid fleet repo, ``LayoutError`` for two objects on
    one path, :class:`CommandError` for a missing folder.
    """
    if rev is None and not is_remote_url(repo_path) and not Path(repo_path).exists():
        raise CommandError(f"fleet repo {repo_path!r} does not exist")
    source = open_source(repo_path)
    files = source.files(rev)
    guess = branch or status_branch_name(files.get(FLEET_FILE))
    tool = tool_fingerprint()
    tip, record, reason = _remembered(source, guess)
    if record is not None and tip is not None:
        outcome = try_increment(record, files, tool)
        if isinstance(outcome, Fallback) and outcome.failed:
            log.warning("%s; rendering in full", outcome.reason)
        if isinstance(outcome, Fallback):
            reason = outcome.reason
        elif (branch or outcome.fleet.settings.status_branch) != guess:
            reason = "the status branch name changed"
        else:
            tree = RenderDelta(str(tip.tree.id), {**outcome.changes, PLACEMENTS_FILE: outcome.placements})
            sha, dirty = _source_commit(source, repo_path, rev, files)
            log.info("incremental render: planned %d of %d resources again", len(outcome.replanned),
                     len(outcome.record.templates))
            return PreparedCommit(source, sha, dirty, guess, tree, outcome.warnings, outcome.record,
                                  True, "", outcome.replanned)
    log.info("full render: %s", reason)
    fleet = load_fleet(files)
    plan, new_record = render_full(fleet, files, tool)
    tree_bytes = plan_to_tree(plan)
    if new_record is None:
        reason += "; this render cannot be remembered (a warning names no fleet file)"
    sha, dirty = _source_commit(source, repo_path, rev, files)
    return PreparedCommit(source, sha, dirty, branch or fleet.settings.status_branch, tree_bytes,
                          plan.warnings, new_record, False, reason)


def finish_commit(prepared: PreparedCommit, push: bool) -> str | None:
    """Commit a prepared render (see :func:`gitfleet.git.statusbranch.commit_status`) and
    remember it for the next one; the new commit's SHA, or None when unchanged."""
    source = prepared.source
    summary = source.commit(prepared.source_sha).message
    outcome = record_status(source, prepared.branch, prepared.files, prepared.source_sha, push=push,
                            summary=summary, dirty=prepared.dirty)
    if prepared.record is not None and outcome.render_key:
        _remember(source, outcome.render_key, prepared.record)
    return outcome.sha


# -- the cache of remembered renders ----------------------------------------------


def tool_fingerprint() -> str:
    """What a remembered render depends on besides the fleet repo: gitfleet's version
    and code (a checkout changes without a version bump) and the libraries whose output
    lands in the status tree.

    It runs on every ``--commit`` before anything is rendered, so it reads Jinja2's
    version from its source instead of importing it (~40 ms), and walks gitfleet's
    folder with ``os.scandir``, whose entries know their type without a ``stat`` each.
    """
    import importlib.util

    import yaml

    def library_identity(name: str) -> str:
        # The ``__version__ = "..."`` line of the package's __init__, else that file's
        # size and mtime: either changes when another release is installed.
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return "absent"
        try:
            with open(spec.origin, "rb") as src:
                for line in src:
                    if line.startswith(b"__version__"):
                        return line.partition(b"=")[2].strip().strip(b"\"'").decode("ascii", "replace")
            stat = os.stat(spec.origin)
        except OSError:
            return "unreadable"
        return f"{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"

    seen: set[tuple[int, int]] = set()

    def walk(folder: str, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], int, int]]:
        # Bytecode caches are left out: they change on every import of changed code.
        # Symlinked folders are followed (a checkout links schemas/ in), once each.
        found: list[tuple[tuple[str, ...], int, int]] = []
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = (*prefix, entry.name)
                if entry.is_dir():
                    where = entry.stat()
                    if entry.name != "__pycache__" and (where.st_dev, where.st_ino) not in seen:
                        seen.add((where.st_dev, where.st_ino))
                        found.extend(walk(entry.path, rel))
                elif entry.is_file():
                    stat = entry.stat()
                    found.append((rel, stat.st_size, stat.st_mtime_ns))
        return found

    h = hashlib.blake2b(digest_size=16)
    h.update(f"{__version__}\0{sys.version}\0{yaml.__version__}\0{library_identity('jinja2')}\0".encode())
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    for rel, size, mtime_ns in sorted(walk(package, ())):
        h.update(f"{'/'.join(rel)}\0{size}\0{mtime_ns}\n".encode())
    return h.hexdigest()


def _records_dir(source: GitSource) -> Path | None:
    if source.repo is None:
        return None
    where = os.path.realpath(source.repo.path)
    return cache_root() / "render" / hashlib.sha256(where.encode()).hexdigest()[:16]


def _remembered(source: GitSource, branch: str) -> tuple[StatusTip | None, RenderRecord | None, str]:
    """The status branch tip and the remembered render of its tree, with why not."""
    try:
        tip = read_status_tip(source, branch)
    except StatusBranchError as exc:  # not a Git repository, or a bad branch name
        return None, None, str(exc)
    folder = _records_dir(source)
    if tip is None or folder is None:
        return tip, None, "no status branch yet"
    try:
        data = (folder / f"{tip.render_key}.record").read_bytes()
    except OSError:
        return tip, None, "no remembered render of the status branch tip"
    record = decode_record(data)
    if record is None:
        return tip, None, "the remembered render is damaged or from another version"
    return tip, record, ""


def _remember(source: GitSource, key: str, record: RenderRecord) -> None:
    """Store ``record`` under ``key``, atomically (a reader sees a whole file or none);
    best effort: a cache that cannot be written costs the next render its speed only."""
    folder = _records_dir(source)
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".record.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(encode_record(record))
            os.replace(tmp, folder / f"{key}.record")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        records = sorted(folder.glob("*.record"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in records[RECORDS_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("could not remember the render in %s: %s", folder, exc)
