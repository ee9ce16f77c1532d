"""Loading and planning a fleet repo: in full, or incrementally from a remembered render.

Two callers need two shapes of result. Whoever holds the previous *plan* (the
reconciler from cycle to cycle, ``diff`` from its base) gets a whole new
:class:`Planned`: the previous plan patched with what changed, equal to a full plan
(:func:`gitfleet.plan.incremental.patch_plan`). The CLI, which remembers only the
*record* of the render on the status branch tip, gets a :class:`StatusRender`: the
changes to that tip's tree, all ``render --commit`` needs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gitfleet.errors import InputError, Problem, UsageError
from gitfleet.load.discover import FLEET_FILE, NoFleetRepoError
from gitfleet.load.loader import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.model.state import PlanMemory
from gitfleet.plan.build import build_plan
from gitfleet.plan.incremental import (
    Fallback,
    Increment,
    RenderRecord,
    apply_increment,
    blob_id,
    patch_plan,
    render_full,
    try_increment,
    unchanged_render,
)
from gitfleet.redaction import Redactor
from gitfleet.service.memory import IN_PROCESS, DiskMemory, RenderMemory
from gitfleet.service.source import SourceRevision
from gitfleet.status.layout import PLACEMENTS_FILE, placements_yaml, plan_to_tree, status_branch_name
from gitfleet.status.secrets import mask_plan

if TYPE_CHECKING:
    from gitfleet.git.statusbranch import RenderDelta, StatusTip

# Git (pygit2) is imported only by the functions that read the status branch.
log = logging.getLogger(__name__)
_SECRET_KEY = "/secret/"  # in the lower-cased resource key of every Secret


@dataclass(frozen=True)
class Planned:
    """A fleet repo loaded and planned, with what a next increment needs."""

    fleet: Fleet
    plan: Plan
    record: RenderRecord | None  # what it was planned from (None: cannot be remembered)
    mode: str = "full"  # full | incremental
    reason: str = ""  # why the plan is full
    replanned: frozenset[str] = frozenset()  # incremental: the resources planned again
    redactor: Redactor = field(default_factory=Redactor)  # hides the plan's Secret values in any text
    tree: Mapping[str, bytes] | None = None  # the masked status tree, when already built
    # The tree id of a status commit whose rendered files are exactly this plan's render
    # (a plan taken from what an apply remembered; empty when not known)
    recorded_as: str = ""

    def status_tree(self) -> Mapping[str, bytes]:
        """The plan as the status branch holds it (Secret values masked)."""
        return self.tree if self.tree is not None else plan_to_tree(mask_plan(self.plan))


def load(files: Mapping[str, bytes], where: str = "") -> Fleet:
    """The fleet of ``files``; problems name their file relative to the current folder."""
    with located(where):
        return load_fleet(files)


def plan_files(files: Mapping[str, bytes], previous: Planned | None = None, *, where: str = "",
               keep_tree: bool = False, remember: bool = False, memory: PlanMemory | None = None,
               tool: str = IN_PROCESS) -> Planned:
    """Plan ``files``: from ``previous`` when only templates changed (the same plan a
    full render gives), else in full. ``keep_tree`` builds the masked status tree now
    (and keeps it up to date incrementally next time); ``remember`` keeps the record a
    next increment starts from, made by ``tool`` (a :class:`RenderMemory`'s); ``memory``
    is the state the decisions are remembered in (None: a plan without memory). Raises
    ``InputError``."""
    with located(where):
        if previous is not None and previous.record is not None:
            outcome = try_increment(previous.record, files, previous.record.tool, memory)
            if isinstance(outcome, Increment):
                plan = patch_plan(previous.plan, outcome)
                touched = outcome.cleared | set(outcome.replanned)
                # Scanning every manifest for Secret values costs more than the rest of a
                # small re-render; only a changed Secret can change them.
                # Look-alike kinds of any group and case count as Secrets too (gitfleet.redaction).
                changed = any(_SECRET_KEY in k.lower() for k in touched)
                redactor = Redactor.from_plan(plan) if changed else previous.redactor
                tree = apply_increment(previous.tree, outcome) if previous.tree is not None else None
                if keep_tree and tree is None:
                    tree = plan_to_tree(mask_plan(plan))
                return Planned(outcome.fleet, plan, outcome.record, "incremental", "",
                               frozenset(touched), redactor, tree)
            if outcome.failed:
                log.warning("%s; rendering in full", outcome.reason)
            reason = outcome.reason
        else:
            reason = "no previous render"
        fleet = load_fleet(files)
        record: RenderRecord | None = None
        if remember:
            plan, record = render_full(fleet, files, tool, memory)
        else:
            plan = build_plan(fleet, memory)
        tree = plan_to_tree(mask_plan(plan)) if keep_tree else None
        return Planned(fleet, plan, record, "full", reason, frozenset(), Redactor.from_plan(plan), tree)


def plan_once(files: Mapping[str, bytes], where: str = "", memory: PlanMemory | None = None) -> tuple[Fleet, Plan]:
    """A full plan, nothing remembered (``explain``, ``validate``)."""
    with located(where):
        fleet = load_fleet(files)
        return fleet, build_plan(fleet, memory)


@dataclass(frozen=True)
class StatusRender:
    """A render ready to be recorded on ``branch``: the whole tree, or its changes to the
    tip (``incremental``)."""

    revision: SourceRevision
    branch: str
    tree: Mapping[str, bytes] | RenderDelta
    warnings: tuple[str, ...]
    record: RenderRecord | None
    incremental: bool
    reason: str  # why the render was full (empty when incremental)
    replanned: tuple[str, ...] = ()
    plan: Plan | None = None  # the whole plan, when rendered in full
    fleet: Fleet | None = None  # likewise


def render_for_status(revision: SourceRevision, branch: str | None, memory: RenderMemory,
                      *, full: bool = False, fresh: bool = False, now: str | None = None) -> StatusRender:
    """Render ``revision`` for its status branch (``branch``, default fleet.yaml's),
    scheduling with the memory that branch records (none with ``fresh``) at ``now``:
    incrementally from the remembered render of the branch tip when there is one and no
    global input changed, else (or with ``full``) in full. Raises ``InputError`` for an
    invalid fleet repo."""
    from gitfleet.git.statusbranch import RenderDelta
    from gitfleet.service.recall import clock, memory_of, read_observed_at

    files = revision.files
    guess = branch or status_branch_name(files.get(FLEET_FILE))
    tip, record, reason = (None, None, "asked for") if full else _remembered(revision, guess, memory)
    if record is not None and tip is not None and record.state is not None and not fresh:
        # The record was found by the tip's render key, which covers state/: the tip
        # holds exactly the state the record left, so it need not be read back.
        assert revision.source is not None
        plan_memory = PlanMemory(record.state, clock(now), tip.sha,
                                 read_observed_at(revision.source, tip, record.state))
    else:
        plan_memory = memory_of(revision, guess, fresh=fresh, now=now)
    with located(revision.where):
        if record is not None and tip is not None:
            outcome = try_increment(record, files, memory.tool, plan_memory)
            if isinstance(outcome, Fallback) and outcome.failed:
                log.warning("%s; rendering in full", outcome.reason)
            if isinstance(outcome, Fallback):
                reason = outcome.reason
            elif (branch or outcome.fleet.settings.status_branch) != guess:
                reason = "the status branch name changed"
            else:
                tree = RenderDelta(str(tip.tree.id), {**outcome.changes, PLACEMENTS_FILE: outcome.placements})
                log.info("incremental render: planned %d of %d resources again", len(outcome.replanned),
                         len(outcome.record.templates))
                return StatusRender(revision, guess, tree, outcome.warnings, outcome.record, True, "",
                                    outcome.replanned)
        log.info("full render: %s", reason)
        fleet = load_fleet(files)
        plan, new_record = render_full(fleet, files, memory.tool, plan_memory)
    if new_record is None:
        reason += "; this render cannot be remembered (a warning names no fleet file)"
    return StatusRender(revision, branch or fleet.settings.status_branch, plan_to_tree(mask_plan(plan)),
                        plan.warnings, new_record, False, reason, plan=plan, fleet=fleet)


def plan_remembered(revision: SourceRevision, branch: str | None, memory: DiskMemory,
                    now: str | None = None) -> tuple[Planned, str] | None:
    """``revision`` planned without loading or planning it, when the status branch
    (``branch``, default fleet.yaml's) already holds its render: the tip's remembered
    render is the render of ``revision`` (no fleet file changed, the same gitfleet, the
    memory that render left, nothing the clock or the observed members can change:
    :func:`gitfleet.plan.incremental.unchanged_render`) and an apply remembered the plan
    it applied from the same sources. The plan, with its ``recorded_as`` set to the tip's
    tree, and the branch name; None when any of this does not hold (then plan in full,
    with the memory read from the branch)."""
    from gitfleet.git.statusbranch import read_paths
    from gitfleet.service.recall import clock, read_observed_at

    files = revision.files
    guess = branch or status_branch_name(files.get(FLEET_FILE))
    tip, record, why = _remembered(revision, guess, memory)
    if tip is None or record is None or record.state is None or revision.source is None:
        log.info("planning in full: %s", why or "the remembered render has no memory")
        return None
    kept = memory.recall_plan(revision.git, tip.render_key)
    if kept is None or kept.tool != memory.tool or kept.sources != record.sources:
        log.info("planning in full: no plan remembered for the status branch tip")
        return None
    plan_memory = PlanMemory(record.state, clock(now), tip.sha, read_observed_at(revision.source, tip, record.state))
    why = unchanged_render(record, files, memory.tool, plan_memory)
    if why:
        log.info("planning in full: %s", why)
        return None
    placements = "".join(record.templates[k].placement for k in sorted(record.templates)) if record.templates \
        else placements_yaml(())
    recorded = read_paths(revision.git, tip, [PLACEMENTS_FILE]).get(PLACEMENTS_FILE)
    if recorded is None or blob_id(recorded) != blob_id(placements.encode()) \
            or (branch or record.fleet.settings.status_branch) != guess:
        log.info("planning in full: the status branch tip does not hold this render")
        return None
    plan = replace(kept.plan, state=record.state)  # remembered without it: the record holds it
    return Planned(record.fleet, plan, record, "remembered", "", frozenset(), Redactor.from_plan(plan),
                   recorded_as=str(tip.tree.id)), guess


def _remembered(revision: SourceRevision, branch: str,
                memory: RenderMemory) -> tuple[StatusTip | None, RenderRecord | None, str]:
    """The status branch tip and the remembered render of its tree, with why not."""
    from gitfleet.git.errors import StatusBranchError
    from gitfleet.git.statusbranch import read_status_tip

    if revision.git.repo is None:
        return None, None, "not a Git repository"
    try:
        tip = read_status_tip(revision.git, branch)
    except StatusBranchError as exc:
        return None, None, str(exc)
    if tip is None:
        return None, None, "no status branch yet"
    record, why = memory.recall(revision.git, tip.render_key)
    return tip, record, why


@contextmanager
def located(where: str) -> Iterator[None]:
    """Within it, an ``InputError`` learns where REPO is (``where``, as the user named
    it), so a terminal report can name files from the current folder while JSON and pull
    request reports keep the repository's own paths; "no fleet repo here" names the
    folder, in every verb alike."""
    try:
        yield
    except InputError as err:
        err.where = where
        raise
    except NoFleetRepoError as err:
        if err.where is not None:
            raise
        raise err.at(os.path.abspath(where or "."), where or ".") from None


def relocate_warnings(warnings: tuple[str, ...], files: Mapping[str, bytes], where: str) -> tuple[str, ...]:
    """Warnings (``path:line:col: ...``) with their path relative to the current folder."""
    if not where:
        return warnings
    prefix = where.rstrip("/") + "/"
    return tuple(prefix + w if w.partition(":")[0] in files else w for w in warnings)


def require_clusters(fleet: Fleet, wanted: list[str] | None) -> list[str]:
    """``wanted`` (sorted, deduplicated) when every name is in the inventory."""
    known = {c.name for c in fleet.clusters}
    unknown = sorted(set(wanted or ()) - known)
    if unknown:
        raise UsageError(f"unknown cluster(s): {', '.join(unknown)}; the inventory has"
                         f" {', '.join(sorted(known)) or 'none'}")
    return sorted(set(wanted or ()))


def validate(revision: SourceRevision) -> list[Problem]:
    """Every problem of ``revision``'s fleet repo, errors and warnings, sorted."""
    from gitfleet.plan.validate import validate_repo

    with located(revision.where):
        return validate_repo(revision.files)
