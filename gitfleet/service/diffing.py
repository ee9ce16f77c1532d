"""The pull-request diff: what merging ``head`` would change on every cluster.

Planning a fleet is the expensive part, so the diff plans as little as it can and
compares only what can differ:

1. When the status branch holds the render of the base and this machine remembers it
   (:mod:`gitfleet.service.memory`), the base is not planned at all: the head is planned
   from that record (only the templates the pull request changes, and what they carry),
   and compared with the recorded files of those resources.
2. Otherwise the base is *scheduled* but not rendered
   (:func:`gitfleet.plan.incremental.record_decisions`); the head is planned from that,
   and the base's own versions of the changed resources are planned by the increment
   back from the head.
3. A change to a global input (fleet.yaml, a cluster, a policy, a CRD), or a side whose
   changed files do not plan, plans both sides in full and compares everything, so every
   error is reported as a full render reports it.

In 1 and 2 the manifests of resources the pull request does not touch are never
rendered: an error already in one of them is the base's, not the change's (``gitfleet
validate`` finds it). Every path gives the same report (``tests/git/test_diff_recorded.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitfleet.diff import diff_plans
from gitfleet.diff.model import PlanDiff
from gitfleet.errors import GitfleetError, InputError, Problem
from gitfleet.git.source import GitSource
from gitfleet.load.discover import FLEET_FILE, NoFleetRepoError
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.model.state import PlanMemory
from gitfleet.plan.incremental import Increment, RenderRecord, record_decisions, try_increment
from gitfleet.service.memory import IN_PROCESS, RenderMemory
from gitfleet.service.planning import Planned, load, plan_files
from gitfleet.service.recall import memory_of
from gitfleet.service.source import SourceRevision, read_revision
from gitfleet.status.layout import PLACEMENTS_FILE, tree_to_placements

Manifests = Mapping[str, Mapping[str, Any]]


class SideInvalid(GitfleetError):
    """One side does not load or plan; carries its problems."""

    def __init__(self, label: str, problems: list[Problem], where: str = "") -> None:
        self.label, self.problems, self.where = label, problems, where
        super().__init__(f"{label} is invalid: {len(problems)} problem(s)")


def diff_revisions(source: GitSource, base_rev: str, head_rev: str | None, context: int = 3,
                   memory: RenderMemory | None = None, *, fresh: bool = False, now: str | None = None) -> PlanDiff:
    """What merging ``head_rev`` (None: the working tree) into ``base_rev`` changes to the
    fleet as the status branch records it now: both sides are scheduled with the recorded
    memory (none with ``fresh``) at the clock ``now``. Raises :class:`SideInvalid` for an
    invalid side (the head's problems first: they are what a pull request's author needs)."""
    base, head = read_revision(source, base_rev), read_revision(source, head_rev)
    recalled = memory_of(base, fresh=fresh, now=now)
    found = diff_from_record(source, base, head, memory, context, recalled) if memory is not None else None
    if found is None:
        found = _diff_from_decisions(base, head, context, recalled)
    return found if found is not None else _diff_planned(base, head, context, recalled)


def diff_from_record(source: GitSource, base: SourceRevision, head: SourceRevision, memory: RenderMemory,
                     context: int = 3, recalled: PlanMemory | None = None) -> PlanDiff | None:
    """Path 1: the head against the render of ``base`` that the status branch holds; None
    when it does not hold it, memory has no record of it, or the head needs a full plan."""
    from gitfleet.git.statusbranch import read_paths, read_status_tip
    from gitfleet.status.layout import status_branch_name

    recalled = recalled or memory_of(base)
    tip = read_status_tip(source, status_branch_name(base.files.get(FLEET_FILE)))
    if tip is None:
        return None
    record, _ = memory.recall(source, tip.render_key)
    if record is None or not _renders(record, base.files, memory.tool, recalled):
        return None
    step = try_increment(record, head.files, memory.tool, recalled)
    if not isinstance(step, Increment):
        return None
    touched = _touched(step)
    paths = [p for k in sorted(touched) if k in record.templates for p in record.templates[k].files]
    read = read_paths(source, tip, paths)
    if len(read) != len(paths):
        return None  # the branch lost a file its record names
    return _compare(record, _parse(read), step, touched, base, head, context)


def _renders(record: RenderRecord, files: Mapping[str, bytes], tool: str, recalled: PlanMemory | None) -> bool:
    """Whether ``record`` is the render of exactly ``files`` with this memory."""
    same = try_increment(record, files, tool, recalled)
    return isinstance(same, Increment) and not same.changes and not same.replanned


def _diff_from_decisions(base: SourceRevision, head: SourceRevision, context: int,
                         recalled: PlanMemory | None = None) -> PlanDiff | None:
    """Path 2: the base scheduled, not rendered; None when a full plan is needed."""
    recalled = recalled or memory_of(base)
    try:
        fleet = load(base.files)
        record = record_decisions(fleet, base.files, IN_PROCESS, recalled)
    except (InputError, NoFleetRepoError):
        return None  # the full path reports it, the head's problems first
    if record is None:
        return None
    step = try_increment(record, head.files, IN_PROCESS, recalled)
    if not isinstance(step, Increment):
        return None
    back = try_increment(step.record, base.files, IN_PROCESS, recalled)
    if not isinstance(back, Increment):
        return None  # a changed template of the base does not plan: the full path says so
    touched = _touched(step) | _touched(back)
    return _compare(record, back.part.manifests, step, touched, base, head, context)


def _touched(step: Increment) -> frozenset[str]:
    return frozenset(step.cleared | set(step.replanned))


def _parse(files: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """``cluster -> key -> manifest`` of status-branch files (keys from the files)."""
    from gitfleet.status.layout import tree_to_manifests

    return tree_to_manifests(files)


def _compare(record: RenderRecord, base_touched: Mapping[str, Manifests], step: Increment,
             touched: frozenset[str], base: SourceRevision, head: SourceRevision, context: int) -> PlanDiff | None:
    """The diff of the base (``record``, with the manifests of the ``touched``
    resources) and the head (``step`` from it). Untouched resources are equal on both
    sides: they are only counted (for the prune guard), never compared."""
    unread: dict[str, Any] = {}
    old: dict[str, dict[str, Any]] = {}
    for key, kept in record.templates.items():
        for path in kept.files:
            cluster = path.split("/", 2)[1]
            if key not in touched:
                old.setdefault(cluster, {})[key] = unread
                continue
            manifest = base_touched.get(cluster, {}).get(key)
            if manifest is None:
                return None  # not what the record says: compare planned sides instead
            old.setdefault(cluster, {})[key] = manifest
    new = {c: {k: m for k, m in ms.items() if k not in step.cleared} for c, ms in old.items()}
    for cluster, found in step.part.manifests.items():
        new.setdefault(cluster, {}).update(found)
    placements = tuple(p for k in sorted(touched) if k in record.templates
                       for p in tree_to_placements({PLACEMENTS_FILE: record.templates[k].placement.encode()}))
    warnings = tuple(w for ws in record.warnings.values() for w in ws) + tuple(
        t.warning for t in record.templates.values() if t.warning)
    clusters = [c.name for c in step.fleet.clusters]
    return diff_plans(
        Plan(placements=placements, manifests=old, warnings=warnings),
        Plan(placements=step.part.placements, manifests=new, warnings=step.warnings, failures=step.part.failures,
             explanations=step.part.explanations),
        step.fleet.settings.apply.max_prune_fraction, base_clusters=clusters, head_clusters=clusters,
        base_label=base.label, head_label=head.label, context=context, only=touched,
    )


# -- path 3: both sides planned ---------------------------------------------------------


def _empty_fleet() -> Fleet:
    from gitfleet.load.loader import load_fleet

    return load_fleet({"fleet.yaml": b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: empty}\n"})


def _plan(revision: SourceRevision, previous: Planned | None = None, recalled: PlanMemory | None = None) -> Planned:
    try:
        return plan_files(revision.files, previous, where=revision.where, remember=previous is None, memory=recalled)
    except NoFleetRepoError:
        if previous is None:
            raise
        raise SideInvalid(revision.label, [Problem("<fleet>", 0, 0, str(NoFleetRepoError(len(revision.files))))],
                          revision.where) from None
    except InputError as err:
        raise SideInvalid(revision.label, list(err.problems), revision.where) from None
    except GitfleetError as err:
        raise SideInvalid(revision.label, [Problem("<fleet>", 0, 0, str(err))], revision.where) from None


def _diff_planned(base_side: SourceRevision, head_side: SourceRevision, context: int,
                  recalled: PlanMemory | None = None) -> PlanDiff:
    recalled = recalled or memory_of(base_side)
    try:
        base = _plan(base_side, recalled=recalled)
    except SideInvalid:
        _plan(head_side, recalled=recalled)  # an invalid head is reported before an invalid base
        raise
    except NoFleetRepoError:
        # The pull request that creates the fleet repo: everything is new.
        base = Planned(_empty_fleet(), Plan(placements=(), manifests={}), None, reason="no fleet repo at the base")
    head = _plan(head_side, base, recalled)
    only = head.replanned if head.mode == "incremental" else None
    return diff_plans(
        base.plan, head.plan, head.fleet.settings.apply.max_prune_fraction,
        base_clusters=[c.name for c in base.fleet.clusters],
        head_clusters=[c.name for c in head.fleet.clusters],
        base_label=base_side.label, head_label=head_side.label, context=context, only=only,
    )
