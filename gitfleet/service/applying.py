"""Apply a planned revision to its members (or check drift, or dry-run it live), and
record the results: the one path of ``apply``, ``drift``, ``diff --live`` and ``run``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from gitfleet.apply.engine import ApplyOptions
from gitfleet.apply.result import ClusterResult, FleetResult
from gitfleet.apply.session import run_apply
from gitfleet.model.plan import Plan
from gitfleet.service.members import Connection, Members, connected, select_members
from gitfleet.service.memory import IN_PROCESS, DiskMemory
from gitfleet.service.planning import Planned, plan_files, plan_remembered, relocate_warnings
from gitfleet.service.recall import memory_of
from gitfleet.service.recording import StatusTree, read_status, read_status_lazily
from gitfleet.service.sops import decrypt_for_apply
from gitfleet.service.source import SourceRevision, read_repo
from gitfleet.status.layout import manifest_keys


@dataclass(frozen=True)
class Target:
    """A revision planned, with the members to act on and what the status branch
    recorded for them (the inventory that pruning starts from)."""

    revision: SourceRevision
    planned: Planned
    branch: str
    previous: StatusTree | None
    members: Members

    @property
    def previous_files(self) -> Mapping[str, bytes]:
        return self.previous.files if self.previous is not None else {}

    @property
    def previous_keys(self) -> Mapping[str, str] | None:
        """The resource keys of the manifest files of :attr:`previous_files` known
        without parsing them (:func:`gitfleet.status.layout.tree_keys`)."""
        return self.previous.keys if self.previous is not None else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The plan's warnings, naming files from REPO as the user named it."""
        shown = relocate_warnings(self.planned.plan.warnings, self.revision.files, self.revision.where)
        return tuple(self.planned.redactor.text(w) for w in shown)


def target(repo: str, rev: str | None, clusters: list[str] | None, branch: str | None = None, *,
           departed: bool = False, keep_tree: bool = False, fresh: bool = False, now: str | None = None,
           memory: DiskMemory | None = None) -> Target:
    """REPO at ``rev`` planned, and the members ``clusters`` names (default: every Push
    member; with ``departed``, also those that left the inventory but are recorded).

    With ``memory`` (not ``fresh``), a revision whose render the status branch tip
    already holds, as an earlier apply remembered it, is neither loaded nor planned, and
    the tip's files are read only as far as they are used: a ``gitfleet apply`` with
    nothing to do costs a fraction of one that plans (:func:`plan_remembered`)."""
    revision = read_repo(repo, rev)
    reused = plan_remembered(revision, branch, memory, now) if memory is not None and not fresh else None
    if reused is not None:
        planned, name = reused
        previous = read_status_lazily(revision.git, name)
        if previous is not None and previous.tree == planned.recorded_as:
            # The tip's manifest files are this plan's render, path for path.
            previous = replace(previous, keys=manifest_keys(planned.plan))
            members = select_members(planned.fleet, clusters, previous.files, departed=departed)
            return Target(revision, planned, name, previous, members)
        # The branch moved since it was looked at: plan as if nothing were remembered.
    plan_memory = memory_of(revision, branch, fresh=fresh, now=now)
    planned = plan_files(revision.files, where=revision.where, keep_tree=keep_tree, memory=plan_memory,
                         remember=memory is not None, tool=memory.tool if memory is not None else IN_PROCESS)
    name = branch or planned.fleet.settings.status_branch
    previous = read_status(revision.git, name)
    if previous is not None and planned.tree is not None:
        # A manifest file the new render writes unchanged needs no parsing for its key.
        tree, old = planned.tree, previous.files
        previous = replace(previous, keys={p: k for p, k in manifest_keys(planned.plan).items()
                                           if (data := old.get(p)) is not None and data == tree.get(p)})
    members = select_members(planned.fleet, clusters, previous.files if previous else None, departed=departed)
    return Target(revision, planned, name, previous, members)


def apply_planned(planned: Planned, members: Members, connection: Connection, previous: Mapping[str, bytes],
                  options: ApplyOptions, known_keys: Mapping[str, str] | None = None) -> FleetResult:
    """Reconcile ``members`` with ``planned`` (``options.mode``: apply or drift); the
    status tree ``previous`` is the inventory of what gitfleet applied before
    (``known_keys``: the keys of its manifest files known without parsing them).

    A member a resource was evicted from with purge mode ``Directly`` is reconciled
    first, on its own, so its old copy is deleted before the replacements are created
    (Karmada's binding controller waits for the old Work to go); an unreachable one
    cannot be waited for and is retried later, as Karmada deletes the Work regardless."""
    first = sorted(purged_directly(planned.plan) & set(members.names))
    order = [tuple(first), tuple(n for n in members.names if n not in first)]
    result = FleetResult()
    ready = decrypt_for_apply(planned, members.names)  # SOPS values in clear only from here on
    order = [tuple(n for n in names if n not in ready.failed) for names in order]
    result.clusters.update({n: ClusterResult(n, error=e) for n, e in ready.failed.items()})
    with connected(planned.fleet, members.names, connection) as clients:
        for names in order:
            if names:
                step = run_apply(ready.plan, planned.fleet.settings, clients, previous, options, only=names,
                                 known=known_keys)
                result.clusters.update(step.clusters)
    return result.redacted(ready.redactor.text)


def purged_directly(plan: Plan) -> frozenset[str]:
    """Members holding an old copy that an eviction with purge mode Directly deletes."""
    if plan.state is None:
        return frozenset()
    return frozenset(t.cluster for r in plan.state.resources.values() for t in r.eviction_tasks
                     if t.purge_mode == "Directly")


def live_diff_planned(planned: Planned, members: Members, connection: Connection,
                      previous: Mapping[str, bytes]) -> FleetResult:
    """What an apply would change on the live members (server-side dry run)."""
    from gitfleet.apply.livediff import live_diff

    ready = decrypt_for_apply(planned, members.names)
    with connected(planned.fleet, members.names, connection) as clients:
        result = live_diff(ready.plan, planned.fleet.settings, clients, previous,
                           only=[n for n in members.names if n not in ready.failed])
    result.clusters.update({n: ClusterResult(n, error=e) for n, e in ready.failed.items()})
    return result.redacted(ready.redactor.text)
