"""Apply a planned revision to its members (or check drift, or dry-run it live), and
record the results: the one path of ``apply``, ``drift``, ``diff --live`` and ``run``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gitfleet.apply.engine import ApplyOptions
from gitfleet.apply.result import ClusterResult, FleetResult
from gitfleet.apply.session import run_apply
from gitfleet.model.plan import Plan
from gitfleet.service.members import Connection, Members, connected, select_members
from gitfleet.service.planning import Planned, plan_files, relocate_warnings
from gitfleet.service.recall import memory_of
from gitfleet.service.recording import StatusTree, read_status
from gitfleet.service.sops import decrypt_for_apply
from gitfleet.service.source import SourceRevision, read_repo


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
    def warnings(self) -> tuple[str, ...]:
        """The plan's warnings, naming files from REPO as the user named it."""
        shown = relocate_warnings(self.planned.plan.warnings, self.revision.files, self.revision.where)
        return tuple(self.planned.redactor.text(w) for w in shown)


def target(repo: str, rev: str | None, clusters: list[str] | None, branch: str | None = None, *,
           departed: bool = False, keep_tree: bool = False, fresh: bool = False, now: str | None = None) -> Target:
    """REPO at ``rev`` planned, and the members ``clusters`` names (default: every Push
    member; with ``departed``, also those that left the inventory but are recorded)."""
    revision = read_repo(repo, rev)
    memory = memory_of(revision, branch, fresh=fresh, now=now)
    planned = plan_files(revision.files, where=revision.where, keep_tree=keep_tree, memory=memory)
    name = branch or planned.fleet.settings.status_branch
    previous = read_status(revision.git, name)
    members = select_members(planned.fleet, clusters, previous.files if previous else None, departed=departed)
    return Target(revision, planned, name, previous, members)


def apply_planned(planned: Planned, members: Members, connection: Connection, previous: Mapping[str, bytes],
                  options: ApplyOptions) -> FleetResult:
    """Reconcile ``members`` with ``planned`` (``options.mode``: apply or drift); the
    status tree ``previous`` is the inventory of what gitfleet applied before.

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
                step = run_apply(ready.plan, planned.fleet.settings, clients, previous, options, only=names)
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
