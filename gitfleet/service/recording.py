"""Recording on the status branch: a render (``render --commit``), or a render with the
results of an apply (``apply``, ``run``). The status branch is the state store: what is
recorded never runs ahead of the clusters (see :func:`gitfleet.apply.session.status_tree`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gitfleet.errors import UsageError
from gitfleet.git.source import GitSource
from gitfleet.git.statusbranch import RenderDelta, read_status_commit, read_status_tip, record_status
from gitfleet.model.health import ClusterHealth
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.service.memory import DiskMemory, RememberedPlan, RenderMemory
from gitfleet.service.planning import Planned, StatusRender
from gitfleet.service.source import SourceRevision
from gitfleet.status.layout import STATUS_DIR, plan_to_tree, tree_changes
from gitfleet.status.secrets import mask_plan

if TYPE_CHECKING:
    from gitfleet.apply.result import FleetResult


@dataclass(frozen=True)
class StatusTree:
    """A status branch commit and its files, as this process read or wrote it."""

    sha: str
    tree: str  # its tree id
    files: Mapping[str, bytes]
    # path -> resource key of manifest files whose key is known without parsing them
    # (gitfleet.status.layout.tree_keys)
    keys: Mapping[str, str] | None = None


class LazyFiles(Mapping[str, bytes]):
    """The files of a tree, each read on first use: a no-op apply needs the paths of a
    status tree of thousands of files, but the content of a few."""

    def __init__(self, ids: Mapping[str, Any], read: Callable[[Any], bytes]) -> None:
        self._ids = ids
        self._read = read
        self._data: dict[str, bytes] = {}

    def __getitem__(self, path: str) -> bytes:
        data = self._data.get(path)
        if data is None:
            data = self._data[path] = self._read(self._ids[path])
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, path: object) -> bool:
        return path in self._ids


def read_status_lazily(source: GitSource, branch: str) -> StatusTree | None:
    """:func:`read_status` reading no file until it is asked for."""
    from gitfleet.git.statusbranch import read_status_tip
    from gitfleet.git.treebuild import blob_data, blob_ids

    if source.repo is None:
        return None
    tip = read_status_tip(source, branch)
    if tip is None:
        return None
    repo = source.repo
    return StatusTree(tip.sha, str(tip.tree.id), LazyFiles(blob_ids(repo, tip.tree), lambda oid: blob_data(repo, oid)))


def read_status(source: GitSource, branch: str, known: StatusTree | None = None) -> StatusTree | None:
    """The status branch tip with its files; ``known`` is reused when it is still the tip
    (reading thousands of blobs costs more than a small re-render)."""
    if source.repo is None:
        return None
    tip = read_status_tip(source, branch)
    if tip is None:
        return None
    if known is not None and known.sha == tip.sha:
        return known
    read = read_status_commit(source, branch)
    return StatusTree(read.sha, read.tree, read.files) if read is not None else None


def require_commit(revision: SourceRevision) -> str:
    if revision.git.repo is None:
        raise UsageError(f"{revision.git.display} is not inside a Git repository: the status branch"
                         " lives in the fleet repo's Git repository", 1)
    if revision.sha is None:
        raise UsageError(f"{revision.git.display} has no commit yet: commit the fleet repo first", 1)
    return revision.sha


def record_render(render: StatusRender, push: bool, memory: RenderMemory) -> str | None:
    """Commit a render to its status branch and remember it for the next one; the new
    commit's SHA, or None when the branch already holds it. A working tree with
    uncommitted edits is recorded against HEAD and marked ``Gitfleet-Dirty: true``."""
    revision = render.revision
    sha = require_commit(revision)
    outcome = record_status(revision.git, render.branch, render.tree, sha, push=push,
                            summary=revision.summary, dirty=revision.dirty)
    if render.record is not None and outcome.render_key:
        memory.remember(revision.git, outcome.render_key, render.record)
    return outcome.sha


def pull_members(fleet: Fleet) -> frozenset[str]:
    return frozenset(c.name for c in fleet.clusters if c.sync_mode == "Pull")


def record_results(
    revision: SourceRevision,
    branch: str,
    planned: Planned,
    result: FleetResult,
    previous: StatusTree | None,
    push: bool = False,
    also_render: frozenset[str] = frozenset(),
    memory: DiskMemory | None = None,
) -> tuple[str | None, StatusTree | None]:
    """Commit the render and the apply results; the new commit's SHA (None when nothing
    changed) and the status tree now at the tip, when known without reading it back.
    Only the files that changed since ``previous`` are written. ``also_render`` are
    members another replica applies to: their folders get the new render, as a Pull
    member's do (their owner reads it there). With ``memory``, a render recorded whole
    is remembered with its plan, for the next apply (:func:`gitfleet.service.planning.plan_remembered`)."""
    from gitfleet.apply.session import held_clusters, status_reports, status_tree

    sha = require_commit(revision)
    old = previous.files if previous is not None else {}
    keys = previous.keys if previous is not None else None
    pulled = pull_members(planned.fleet) | also_render
    if previous is not None and planned.recorded_as and planned.recorded_as == previous.tree:
        # The tip already holds this very render (a remembered plan): whatever is held
        # back, the rendered files stay as they are; only the reports can change.
        extra = status_reports(planned.plan, planned.fleet.settings, result, old, sha, keys, planned.redactor)
        if not push and all(old.get(p) == data for p, data in extra.items()):
            return None, previous
        outcome = record_status(revision.git, branch, RenderDelta(previous.tree, {}), sha, extra_files=extra,
                                push=push, summary=revision.summary, dirty=revision.dirty)
        return outcome.sha, None
    rendered = planned.status_tree()
    files, extra = status_tree(planned.plan, planned.fleet.settings, result, old, sha, pulled, rendered, keys,
                               planned.redactor)
    delta: Mapping[str, bytes] | RenderDelta = files
    if previous is not None:
        delta = RenderDelta(previous.tree, tree_changes(old, files))
    outcome = record_status(revision.git, branch, delta, sha, extra_files=extra, push=push,
                            summary=revision.summary, dirty=revision.dirty)
    if memory is not None and planned.record is not None and outcome.render_key \
            and not held_clusters(planned.plan, result, old, pulled):
        # The branch holds exactly this plan's render: a next apply of the same sources
        # can take the plan from here instead of planning again.
        memory.remember(revision.git, outcome.render_key, planned.record)
        memory.remember_plan(revision.git, outcome.render_key, RememberedPlan(
            memory.tool, planned.record.sources, replace(planned.plan, explanations={}, state=None)))
    held = previous.sha if previous is not None else None
    now: StatusTree | None = None
    if outcome.parent == held and (outcome.sha or held):
        # Built on the tip we hold (or on nothing): the new tree is known without reading it.
        kept = {p: old[p] for p in old if p.startswith(STATUS_DIR + "/")}
        now = StatusTree(outcome.sha or held or "", outcome.tree, {**kept, **files, **extra})
    return outcome.sha, now


def record_plan(revision: SourceRevision, plan: Plan, branch: str, push: bool = False) -> str | None:
    """Commit a plan made elsewhere (tests, tools) as the render of ``revision``."""
    sha = require_commit(revision)
    return record_status(revision.git, branch, plan_to_tree(mask_plan(plan)), sha, push=push,
                         summary=revision.summary, dirty=revision.dirty).sha


def record_observation(
    revision: SourceRevision,
    branch: str,
    observed: Mapping[str, ClusterHealth],
    previous: StatusTree | None,
    push: bool = False,
    summary: str | None = None,
    reports: Mapping[str, bytes] | None = None,
) -> tuple[str | None, StatusTree | None]:
    """Commit the observed health of the members (``status/clusters/<name>.yaml``) on
    the status branch, with the Pull members' agent ``reports`` (``status/<name>.yaml``),
    keeping its render: every later render, a PR diff included, schedules with it.
    Nothing is recorded before the branch holds a render. Returns the new commit (None
    when nothing changed) and the tree now at the tip when known."""
    from gitfleet.status.health import health_files

    sha = require_commit(revision)
    files = {**(reports or {}), **health_files(observed)}
    outcome = record_status(revision.git, branch, None, sha, extra_files=files, push=push,
                            summary=summary or "observed member health")
    held = previous.sha if previous is not None else None
    if previous is not None and outcome.parent == held and (outcome.sha or held):
        return outcome.sha, StatusTree(outcome.sha or previous.sha, outcome.tree, {**previous.files, **files})
    return outcome.sha, None
