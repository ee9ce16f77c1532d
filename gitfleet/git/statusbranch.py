"""The status branch: an orphan branch whose commits record rendered state (DESIGN.md
§4). Reading it gives the last rendered tree (the pruning inventory); writing it adds
one commit per source commit whose render changed.

Crash safety: objects are written first and the branch moves last, by one
compare-and-swap on its old target, so a crash or a racing writer leaves the branch
at either the old or the new commit. Pushing is a fast-forward only; on rejection the
remote branch is fetched, the same render is rebuilt on top of it and pushed again, a
bounded number of times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pygit2

from gitfleet.git.credentials import Credentials, GitfleetCallbacks, redact_url
from gitfleet.git.errors import PushRejected, StatusBranchError
from gitfleet.git.source import GitSource
from gitfleet.git.treebuild import FileData, blob_data, blob_ids, read_tree, update_tree, write_tree
from gitfleet.status.layout import CLUSTERS_DIR, PLACEMENTS_FILE, STATE_DIR, STATUS_DIR

SOURCE_TRAILER = "Gitfleet-Source"
DIRTY_TRAILER = "Gitfleet-Dirty"
AUTHOR = ("gitfleet", "gitfleet@localhost")
DEFAULT_MAX_ATTEMPTS = 5
# Remote state fetched while retrying lives here, apart from branches and the
# remote-tracking refs a user (or a mirror's refspec) owns.
_FETCHED_PREFIX = "refs/gitfleet/fetched/"

RepoLike = GitSource | pygit2.Repository


@dataclass(frozen=True)
class StatusCommit:
    sha: str
    source_sha: str | None  # from the Gitfleet-Source trailer
    message: str
    time: int  # commit time, seconds since the epoch
    files: Mapping[str, bytes]
    tree: str = ""  # the tree id

    @property
    def dirty(self) -> bool:
        return is_dirty(self.message)


def _unwrap(repo: RepoLike) -> tuple[pygit2.Repository, str | None, Credentials]:
    if isinstance(repo, GitSource):
        if repo.repo is None:
            raise StatusBranchError(f"{repo.display} is not inside a Git repository")
        return repo.repo, repo.remote, repo.credentials
    remote = "origin" if "origin" in repo.remotes.names() else None
    return repo, remote, Credentials()


def _ref_name(branch: str) -> str:
    name = f"refs/heads/{branch}"
    if not pygit2.reference_is_valid_name(name):
        raise StatusBranchError(f"{branch!r} is not a valid branch name: fix spec.statusBranch in fleet.yaml")
    return name


def _tip(repo: pygit2.Repository, ref_name: str) -> pygit2.Oid | None:
    ref = repo.references.get(ref_name)
    if ref is None:
        return None
    return ref.resolve().target  # type: ignore[return-value]


def _tracking_tip(r: pygit2.Repository, remote: str | None, branch: str) -> pygit2.Oid | None:
    """The remote-tracking ref of the status branch (a fresh clone has only that)."""
    return _tip(r, f"refs/remotes/{remote}/{branch}") if remote else None


def source_of(message: str) -> str | None:
    """The value of the ``Gitfleet-Source:`` trailer of a status commit message."""
    return _trailer(message, SOURCE_TRAILER)


def is_dirty(message: str) -> bool:
    """Whether a status commit rendered uncommitted changes (``Gitfleet-Dirty: true``)."""
    return (_trailer(message, DIRTY_TRAILER) or "").lower() == "true"


def _trailer(message: str, name: str) -> str | None:
    for line in reversed(message.strip().splitlines()):
        key, sep, value = line.partition(":")
        if sep and key.strip() == name:
            return value.strip() or None
    return None


def status_message(source_sha: str, summary: str | None = None, dirty: bool = False) -> str:
    """The commit message of a status commit: a subject naming the source commit, then
    the trailer(s)."""
    subject = f"render {source_sha[:12]}"
    if summary:
        subject += f": {summary.strip().splitlines()[0]}" if summary.strip() else ""
    lines = [subject, ""]
    if dirty:
        lines.append("The render includes uncommitted changes of the working tree.")
        lines.append("")
    lines.append(f"{SOURCE_TRAILER}: {source_sha}")
    if dirty:
        lines.append(f"{DIRTY_TRAILER}: true")
    return "\n".join(lines) + "\n"


def read_status_commit(repo: RepoLike, branch: str) -> StatusCommit | None:
    """The tip of the status branch (the local branch, else its remote-tracking ref) with
    its whole tree, or ``None`` when the branch does not exist."""
    r, remote, _ = _unwrap(repo)
    oid = _tip(r, _ref_name(branch)) or _tracking_tip(r, remote, branch)
    if oid is None:
        return None
    commit = r[oid]
    assert isinstance(commit, pygit2.Commit)
    return StatusCommit(
        sha=str(commit.id),
        source_sha=source_of(commit.message),
        message=commit.message,
        time=commit.commit_time,
        files=read_tree(r, commit.tree),
        tree=str(commit.tree.id),
    )


@dataclass(frozen=True)
class StatusTip:
    """The tip of the status branch, without reading its files."""

    sha: str
    tree: pygit2.Tree

    @property
    def render_key(self) -> str:
        """What identifies the rendered part of the tree (``placements.yaml``,
        ``clusters/`` and ``state/``, not the apply results under ``status/``): equal
        keys, equal rendered files."""
        return render_key(self.tree)


def render_key(tree: pygit2.Tree) -> str:
    """``<placements.yaml blob id>-<clusters/ tree id>`` of a status tree (empty for a
    missing entry), then ``-<state/ tree id>`` when the tree records a memory (a tree
    without one keeps the key it had before ``state/`` existed)."""
    ids = []
    for name in (PLACEMENTS_FILE, CLUSTERS_DIR):
        try:
            ids.append(str(tree[name].id))
        except KeyError:
            ids.append("")
    if STATE_DIR in tree:
        ids.append(str(tree[STATE_DIR].id))
    return "-".join(ids)


def read_status_tip(repo: RepoLike, branch: str) -> StatusTip | None:
    """The tip of the status branch (local branch, else its remote-tracking ref), or
    ``None`` when the branch does not exist. Reads no blob."""
    r, remote, _ = _unwrap(repo)
    oid = _tip(r, _ref_name(branch)) or _tracking_tip(r, remote, branch)
    if oid is None:
        return None
    commit = r[oid]
    assert isinstance(commit, pygit2.Commit)
    return StatusTip(sha=str(commit.id), tree=commit.tree)


def rendered_blob_ids(repo: RepoLike, tip: StatusTip) -> dict[str, pygit2.Oid]:
    """The rendered files of ``tip`` (``placements.yaml``, ``clusters/`` and ``state/``)
    as blob ids, for a render that reuses most of them."""
    r, _, _ = _unwrap(repo)
    out: dict[str, pygit2.Oid] = {}
    for entry in tip.tree:
        if entry.name == PLACEMENTS_FILE and entry.type_str == "blob":
            out[PLACEMENTS_FILE] = entry.id
        elif entry.name in (CLUSTERS_DIR, STATE_DIR) and entry.type_str == "tree":
            sub = r[entry.id]
            assert isinstance(sub, pygit2.Tree)
            out.update(blob_ids(r, sub, f"{entry.name}/"))
    return out


def read_paths(repo: RepoLike, tip: StatusTip, paths: Iterable[str]) -> dict[str, bytes]:
    """The files at ``paths`` of ``tip``'s tree (a missing path is left out): a few
    files of a large render, without reading the rest."""
    r, _, _ = _unwrap(repo)
    return _blobs_at(r, tip.tree, paths)


def _blobs_at(r: pygit2.Repository, tree: pygit2.Tree, paths: Iterable[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in paths:
        try:
            entry = tree[path]
        except KeyError:
            continue
        if entry.type_str == "blob":
            out[path] = blob_data(r, entry.id)
    return out


def read_folder(repo: RepoLike, tip: StatusTip, folder: str) -> dict[str, bytes]:
    """Every file below ``folder`` of ``tip``'s tree (empty when there is none)."""
    r, _, _ = _unwrap(repo)
    try:
        entry = tip.tree[folder]
    except KeyError:
        return {}
    sub = r[entry.id]
    if not isinstance(sub, pygit2.Tree):
        return {}
    return read_tree(r, sub, folder.rstrip("/") + "/")


@dataclass(frozen=True)
class RenderDelta:
    """A rendered tree given as changes to the rendered files of an earlier status tree
    (``base``, a tree id): ``{path: bytes, blob id, or None to remove}``. Committing it
    on a parent whose rendered files are ``base``'s rewrites only the changed folders."""

    base: str
    changes: Mapping[str, FileData | None]

    def files(self, repo: pygit2.Repository) -> dict[str, FileData]:
        """The whole rendered tree, reused files as blob ids."""
        base = repo[self.base]
        assert isinstance(base, pygit2.Tree)
        files: dict[str, FileData] = dict(rendered_blob_ids(repo, StatusTip("", base)))
        for path, data in self.changes.items():
            if data is None:
                files.pop(path, None)
            else:
                files[path] = data
        return files


def read_status_tree(repo: RepoLike, branch: str) -> dict[str, bytes]:
    """Every file at the tip of the status branch; empty when the branch does not exist."""
    status = read_status_commit(repo, branch)
    return dict(status.files) if status else {}


def _kept_status_files(r: pygit2.Repository, parent: pygit2.Commit | None) -> dict[str, bytes]:
    if parent is None:
        return {}
    try:
        entry = parent.tree[STATUS_DIR]
    except KeyError:
        return {}
    sub = r[entry.id]
    if not isinstance(sub, pygit2.Tree):
        return {}
    return read_tree(r, sub, STATUS_DIR + "/")


def _build(
    r: pygit2.Repository,
    parent_id: pygit2.Oid | None,
    files: Mapping[str, FileData] | RenderDelta | None,
    extra_files: Mapping[str, bytes] | None,
    message: str,
) -> pygit2.Oid | None:
    """A new commit on ``parent_id`` holding the render, or ``None`` when its tree would
    equal the parent's."""
    parent = r[parent_id] if parent_id is not None else None
    assert parent is None or isinstance(parent, pygit2.Commit)
    if files is None:
        # An observation: the parent's render stays as it is, only status/ files change,
        # and the commit names the parent's source (the render it holds).
        if parent is None:
            return None
        held = source_of(parent.message)
        if held is not None:
            message = status_message(held, "observed member health and reports")
        return _new_commit(r, parent_id, parent, update_tree(r, parent.tree, dict(extra_files or {})), message)
    if isinstance(files, RenderDelta):
        base = r[files.base]
        assert isinstance(base, pygit2.Tree)
        if parent is not None and render_key(parent.tree) == render_key(base):
            # The parent holds the base render: change only what changed. Like the full
            # write below, keep status/ and nothing else beside the render.
            stray = {str(e.name): None for e in parent.tree
                     if e.name not in (PLACEMENTS_FILE, CLUSTERS_DIR, STATE_DIR, STATUS_DIR)}
            tree_id = update_tree(r, parent.tree, {**stray, **files.changes, **(extra_files or {})})
            return _new_commit(r, parent_id, parent, tree_id, message)
        files = files.files(r)
    tree_files: dict[str, FileData] = {**_kept_status_files(r, parent), **files, **(extra_files or {})}
    tree_id = write_tree(r, tree_files, parent.tree if parent is not None else None)
    return _new_commit(r, parent_id, parent, tree_id, message)


def _new_commit(r: pygit2.Repository, parent_id: pygit2.Oid | None, parent: pygit2.Commit | None,
                tree_id: pygit2.Oid, message: str) -> pygit2.Oid | None:
    if parent is not None and parent.tree_id == tree_id:
        return None
    signature = pygit2.Signature(*AUTHOR)
    return r.create_commit(None, signature, signature, message, tree_id, [parent_id] if parent_id else [])


def _move(r: pygit2.Repository, ref_name: str, old: pygit2.Oid | None, new: pygit2.Oid) -> bool:
    """Compare-and-swap ``ref_name`` from ``old`` to ``new``; False when it moved meanwhile."""
    try:
        if old is None:
            r.create_reference_direct(ref_name, new, False, message="gitfleet: status commit")
            return True
        ref = r.references.get(ref_name)
        if ref is None or ref.target != old:
            return False
        ref.set_target(new, "gitfleet: status commit")  # libgit2 checks the old value under the lock
        return True
    except (pygit2.AlreadyExistsError, pygit2.GitError):
        return False


def _push(r: pygit2.Repository, remote: str, ref_name: str, creds: Credentials) -> bool:
    """True when the remote took the branch, False on a non-fast-forward rejection."""
    callbacks = GitfleetCallbacks(creds)
    try:
        r.remotes[remote].push([f"{ref_name}:{ref_name}"], callbacks=callbacks)
    except pygit2.GitError as exc:
        text = str(exc).lower()
        if "fast" in text or "not present locally" in text or "rejected" in text:
            return False
        raise StatusBranchError(f"pushing {ref_name} to {remote} failed: {redact_url(str(exc))}") from None
    return not callbacks.rejected


def _fetch_remote_tip(r: pygit2.Repository, remote: str, ref_name: str, creds: Credentials) -> pygit2.Oid | None:
    local = _FETCHED_PREFIX + remote + "/" + ref_name.removeprefix("refs/heads/")
    try:
        r.remotes[remote].fetch([f"+{ref_name}:{local}"], callbacks=GitfleetCallbacks(creds))
    except pygit2.GitError as exc:
        raise StatusBranchError(f"fetching {ref_name} from {remote} failed: {redact_url(str(exc))}") from None
    return _tip(r, local)


@dataclass(frozen=True)
class StatusOutcome:
    """What recording a render did."""

    sha: str | None  # the new commit, or None when the branch already held the render
    render_key: str  # :func:`render_key` of the commit that holds the render now
    parent: str | None = None  # the tip it was built on (the commit holding it, when unchanged)
    tree: str = ""  # the tree id of the commit that holds the render now


def commit_status(
    repo: RepoLike,
    branch: str,
    files: Mapping[str, FileData] | RenderDelta,
    source_sha: str,
    extra_files: Mapping[str, bytes] | None = None,
    push: bool = False,
    *,
    summary: str | None = None,
    dirty: bool = False,
    remote: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> str | None:
    """Record a render on ``branch``; return the new commit's SHA, or ``None`` when the
    tree equals the branch tip's (nothing committed).

    ``files`` is the rendered tree (:func:`gitfleet.status.layout.plan_to_tree`), where
    a file may be the id of a blob of the repository instead of bytes, and the whole
    may be a :class:`RenderDelta` on an earlier status tree (an incremental render);
    ``extra_files`` adds or replaces files under ``status/``, whose other files are
    carried over from the previous commit. With ``push``, the branch goes to ``remote``
    (default: the source's, ``origin``); a rejected push fetches the remote branch,
    rebuilds on it and retries, ``max_attempts`` times in all, then raises
    :class:`PushRejected`, leaving the remote branch as the other writer left it.
    """
    return record_status(repo, branch, files, source_sha, extra_files, push, summary=summary, dirty=dirty,
                         remote=remote, max_attempts=max_attempts).sha


def record_status(
    repo: RepoLike,
    branch: str,
    files: Mapping[str, FileData] | RenderDelta | None,
    source_sha: str,
    extra_files: Mapping[str, bytes] | None = None,
    push: bool = False,
    *,
    summary: str | None = None,
    dirty: bool = False,
    remote: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> StatusOutcome:
    """:func:`commit_status`, also saying which render key the branch now holds (of
    this render's commit, not of whatever a racing writer adds after it). ``files``
    None keeps the tip's render and changes only ``extra_files`` (an observation of the
    members; nothing is recorded before the first render). A mirror in
    gitfleet's cache has its loose objects packed once there are many
    (:meth:`GitSource.tidy`)."""
    r, default_remote, creds = _unwrap(repo)
    ref_name = _ref_name(branch)
    remote_name = remote or default_remote
    if push and (remote_name is None or remote_name not in r.remotes.names()):
        raise StatusBranchError("cannot push the status branch: the repository has no remote 'origin'")
    message = status_message(source_sha, summary, dirty)
    remote_tip: pygit2.Oid | None = None
    for _ in range(max(1, max_attempts)):
        local_old = _tip(r, ref_name)
        parent = remote_tip or local_old or _tracking_tip(r, remote_name, branch)
        new = _build(r, parent, files, extra_files, message)
        target = new if new is not None else parent
        if target is None:  # no parent and an empty render: nothing to record
            return StatusOutcome(None, "")
        if target != local_old and not _move(r, ref_name, local_old, target):
            continue  # another local writer moved the branch: rebuild on its commit
        commit = r[target]
        assert isinstance(commit, pygit2.Commit)
        outcome = StatusOutcome(str(new) if new is not None else None, render_key(commit.tree),
                                str(parent) if parent is not None else None, str(commit.tree.id))
        if push:
            assert remote_name is not None
            if not _push(r, remote_name, ref_name, creds):
                remote_tip = _fetch_remote_tip(r, remote_name, ref_name, creds)
                continue
        if isinstance(repo, GitSource):
            repo.tidy()
        return outcome
    if push:
        raise PushRejected(
            f"the status branch {branch} on {remote_name} kept moving: gave up after {max_attempts} attempts;"
            " the next render will record this state"
        )
    raise StatusBranchError(f"the status branch {branch} kept moving under concurrent writers; try again")


def publish_report(repo: RepoLike, branch: str, files: Mapping[str, bytes], *, push: bool = True,
                   remote: str | None = None) -> str:
    """Point ``branch`` at a new commit holding ``files`` alone, without a parent (a
    report replaces the last one; a history of heartbeats would only grow), and with
    ``push`` force-push it to ``remote`` (default: the source's). Only its agent writes
    the branch, so forcing loses nothing. Returns the commit's SHA."""
    r, default_remote, creds = _unwrap(repo)
    ref_name = _ref_name(branch)
    tree_id = write_tree(r, dict(files), None)
    signature = pygit2.Signature(*AUTHOR)
    new = r.create_commit(None, signature, signature, f"gitfleet: report on {branch}\n", tree_id, [])
    r.references.create(ref_name, new, force=True)
    remote_name = remote or default_remote
    if push and remote_name is not None and remote_name in r.remotes.names():
        try:
            r.remotes[remote_name].push([f"+{ref_name}:{ref_name}"], callbacks=GitfleetCallbacks(creds))
        except pygit2.GitError as exc:
            raise StatusBranchError(f"pushing {ref_name} to {remote_name} failed: {redact_url(str(exc))}") from None
    return str(new)


def report_tips(repo: RepoLike, prefix: str) -> dict[str, str]:
    """``{branch: commit SHA}`` of every local branch under ``prefix/`` (the agents'
    report branches, as the last fetch left them)."""
    r, _, _ = _unwrap(repo)
    head = _ref_name(prefix.rstrip("/")) + "/"
    out: dict[str, str] = {}
    for name in r.references:
        if name.startswith(head):
            ref = r.references.get(name)
            if ref is not None:
                out[name.removeprefix("refs/heads/")] = str(ref.resolve().target)
    return out


def report_files(repo: RepoLike, sha: str, cluster: str) -> dict[str, bytes]:
    """``status/<cluster>.yaml`` and ``status/clusters/<cluster>.yaml`` of an agent's
    report commit (what is missing is left out; nothing else is read)."""
    r, _, _ = _unwrap(repo)
    commit = r[sha]
    assert isinstance(commit, pygit2.Commit)
    return _blobs_at(r, commit.tree, (f"{STATUS_DIR}/{cluster}.yaml", f"{STATUS_DIR}/clusters/{cluster}.yaml"))
