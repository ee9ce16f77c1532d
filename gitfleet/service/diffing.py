"""The pull-request diff: what merging ``head`` would change on every cluster.

The base is planned in full; the head is planned *from the base*
(:func:`gitfleet.service.planning.plan_files`), so a pull request that changes a few
templates plans only those again, and only the resources planned again are compared.
A change to a global input (fleet.yaml, a cluster, a policy, a CRD) plans the head in
full and compares everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitfleet.diff import diff_plans
from gitfleet.diff.model import PlanDiff
from gitfleet.errors import GitfleetError, InputError, Problem
from gitfleet.git.source import GitSource
from gitfleet.load.discover import NoFleetRepoError
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.service.planning import Planned, plan_files
from gitfleet.service.source import SourceRevision, read_revision


class SideInvalid(GitfleetError):
    """One side does not load or plan; carries its problems."""

    def __init__(self, label: str, problems: list[Problem], where: str = "") -> None:
        self.label, self.problems, self.where = label, problems, where
        super().__init__(f"{label} is invalid: {len(problems)} problem(s)")


@dataclass(frozen=True)
class RevisionDiff:
    diff: PlanDiff
    base: Planned
    head: Planned


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


def diff_revisions(source: GitSource, base_rev: str, head_rev: str | None, context: int = 3) -> RevisionDiff:
    """Both sides planned and diffed; raises :class:`SideInvalid` for an invalid side
    (the head's problems first: they are what a pull request's author needs)."""
    base_side, head_side = read_revision(source, base_rev), read_revision(source, head_rev)
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
    plan_diff = diff_plans(
        base.plan, head.plan, head.fleet.settings.apply.max_prune_fraction,
        base_clusters=[c.name for c in base.fleet.clusters],
        head_clusters=[c.name for c in head.fleet.clusters],
        base_label=base_side.label, head_label=head_side.label, context=context, only=only,
    )
    return RevisionDiff(plan_diff, base, head)
