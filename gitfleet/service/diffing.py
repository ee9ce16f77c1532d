"""The pull-request diff: what merging ``head`` would change on every cluster.

The base is planned in full; the head is planned *from the base*
(:func:`gitfleet.service.planning.plan_files`), so a pull request that changes a few
templates plans only those again, and only the resources planned again are compared.
A change to a global input (fleet.yaml, a cluster, a policy, a CRD) plans the head in
full and compares everything.
"""

from __future__ import annotations

from typing import Any

from gitfleet.diff import diff_plans
from gitfleet.diff.model import PlanDiff
from gitfleet.errors import GitfleetError, InputError, Problem
from gitfleet.git.source import GitSource
from gitfleet.load.discover import FLEET_FILE, NoFleetRepoError
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.service.memory import RenderMemory
from gitfleet.service.planning import Planned, plan_files
from gitfleet.service.source import SourceRevision, read_revision


class SideInvalid(GitfleetError):
    """One side does not load or plan; carries its problems."""

    def __init__(self, label: str, problems: list[Problem], where: str = "") -> None:
        self.label, self.problems, self.where = label, problems, where
        super().__init__(f"{label} is invalid: {len(problems)} problem(s)")


def _empty_fleet() -> Fleet:
    from gitfleet.load.loader import load_fleet

    return load_fleet({"fleet.yaml": b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: empty}\n"})


def _plan(revision: SourceRevision, previous: Planned | None = None) -> Planned:
    try:
        return plan_files(revision.files, previous, where=revision.where, remember=previous is None)
    except NoFleetRepoError:
        if previous is None:
            raise
        raise SideInvalid(revision.label, [Problem("<fleet>", 0, 0, str(NoFleetRepoError(len(revision.files))))],
                          revision.where) from None
    except InputError as err:
        raise SideInvalid(revision.label, list(err.problems), revision.where) from None
    except GitfleetError as err:
        raise SideInvalid(revision.label, [Problem("<fleet>", 0, 0, str(err))], revision.where) from None


def diff_revisions(source: GitSource, base_rev: str, head_rev: str | None, context: int = 3,
                   memory: RenderMemory | None = None) -> PlanDiff:
    """Both sides planned and diffed; raises :class:`SideInvalid` for an invalid side
    (the head's problems first: they are what a pull request's author needs).

    When the status branch holds the render of the base and ``memory`` remembers it, the
    base is not planned at all: the head is planned from that record and compared with
    the recorded files of what it changed."""
    base_side, head_side = read_revision(source, base_rev), read_revision(source, head_rev)
    if memory is not None:
        recorded = diff_from_record(source, base_side, head_side, memory, context)
        if recorded is not None:
            return recorded
    try:
        base = _plan(base_side)
    except SideInvalid:
        _plan(head_side)  # an invalid head is reported before an invalid base
        raise
    except NoFleetRepoError:
        # The pull request that creates the fleet repo: everything is new.
        base = Planned(_empty_fleet(), Plan(placements=(), manifests={}), None, reason="no fleet repo at the base")
    head = _plan(head_side, base)
    only = head.replanned if head.mode == "incremental" else None
    return diff_plans(
        base.plan, head.plan, head.fleet.settings.apply.max_prune_fraction,
        base_clusters=[c.name for c in base.fleet.clusters],
        head_clusters=[c.name for c in head.fleet.clusters],
        base_label=base_side.label, head_label=head_side.label, context=context, only=only,
    )


def diff_from_record(source: GitSource, base: SourceRevision, head: SourceRevision, memory: RenderMemory,
                     context: int = 3) -> PlanDiff | None:
    """The diff of ``head`` against the render of ``base`` that the status branch holds,
    or None when it does not hold it (or memory has no record of it, or the head
    changes a global input): then both sides are planned.

    Nothing of the base is planned: the record says which resources exist on which
    cluster; only the files of the resources the head changes are read back (masked, as
    the branch holds them; masking is idempotent, so they compare with the masked head)."""
    from gitfleet.git.statusbranch import read_paths, read_status_tip
    from gitfleet.load.yamlio import load_plain
    from gitfleet.plan.incremental import Increment, try_increment
    from gitfleet.status.layout import PLACEMENTS_FILE, status_branch_name, tree_to_placements

    branch = status_branch_name(base.files.get(FLEET_FILE))
    tip = read_status_tip(source, branch)
    if tip is None:
        return None
    record, _ = memory.recall(source, tip.render_key)
    if record is None:
        return None
    same = try_increment(record, base.files, memory.tool)
    if not isinstance(same, Increment) or same.changes or same.replanned:
        return None  # the branch holds the render of another commit
    step = try_increment(record, head.files, memory.tool)
    if not isinstance(step, Increment):
        return None
    touched = frozenset(step.cleared | set(step.replanned))
    # Every resource the base has on every cluster, by key: the untouched ones are known to
    # be equal on both sides and are never looked at (only counted).
    unread: dict[str, Any] = {}
    read = read_paths(source, tip, (p for k in touched if k in record.templates for p in record.templates[k].files))
    base_m: dict[str, dict[str, Any]] = {}
    for key, kept in record.templates.items():
        for path in kept.files:
            cluster = path.split("/", 2)[1]
            if key not in touched:
                base_m.setdefault(cluster, {})[key] = unread
            elif path in read:
                docs = load_plain(read[path].decode())
                base_m.setdefault(cluster, {})[key] = docs[0] if docs else {}
            else:
                return None  # the branch lost a file its record names: plan both sides
    head_m = {c: {k: m for k, m in ms.items() if k not in step.cleared} for c, ms in base_m.items()}
    for cluster, found in step.part.manifests.items():
        head_m.setdefault(cluster, {}).update(found)
    base_placements = tuple(p for k in sorted(touched) if k in record.templates
                            for p in tree_to_placements({PLACEMENTS_FILE: record.templates[k].placement.encode()}))
    base_warnings = tuple(w for ws in record.warnings.values() for w in ws) + tuple(
        t.warning for t in record.templates.values() if t.warning)
    old = Plan(placements=base_placements, manifests=base_m, warnings=base_warnings)
    new = Plan(placements=step.part.placements, manifests=head_m, warnings=step.warnings,
               failures=step.part.failures)
    clusters = [c.name for c in step.fleet.clusters]
    return diff_plans(old, new, step.fleet.settings.apply.max_prune_fraction, base_clusters=clusters,
                      head_clusters=clusters, base_label=base.label, head_label=head.label, context=context,
                      only=touched)
