"""What a render schedules with (:class:`gitfleet.model.state.PlanMemory`): the state the
previous render recorded on the status branch, and the render's clock.

Every render reads it: ``render``, ``render --commit``, ``diff``, ``apply``, ``explain``
and ``run`` take the decisions recorded on the status branch of the fleet repo's
repository as the previous ones. ``--fresh`` (or a repository without a status branch,
or a folder outside Git) schedules as a first scheduling. The clock is an input
(``--now``), so a render is reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitfleet.errors import InputError, UsageError
from gitfleet.model.state import EMPTY_STATE, PlanMemory

if TYPE_CHECKING:
    from gitfleet.git.source import GitSource
    from gitfleet.git.statusbranch import StatusTip
    from gitfleet.model.health import Observed
    from gitfleet.model.state import FleetState
    from gitfleet.service.source import SourceRevision

STATE_FOLDER = "state"


def clock(now: str | None) -> str:
    """``now`` checked (RFC 3339, turned to UTC), or the wall clock."""
    if now is None:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        parsed = datetime.fromisoformat(now)
    except ValueError:
        raise UsageError(f"--now {now!r} is not an RFC 3339 time such as 2026-12-04T10:02:11Z") from None
    if parsed.tzinfo is None:
        raise UsageError(f"--now {now!r} has no time zone: add Z for UTC") from None
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_memory(source: GitSource | None, branch: str, *, fresh: bool = False, now: str | None = None) -> PlanMemory:
    """The memory to render with: the state on ``branch``'s tip (none for ``fresh``,
    outside Git, or before the first status commit). A hand-edited or hostile state
    file is invalid input (``InputError`` at its position)."""
    when = clock(now)
    if fresh or source is None or source.repo is None:
        return PlanMemory(EMPTY_STATE, when)
    from gitfleet.git.statusbranch import read_folder, read_status_tip
    from gitfleet.status.state import StateError, read_state

    tip = read_status_tip(source, branch)
    if tip is None:
        return PlanMemory(EMPTY_STATE, when)
    try:
        state = read_state(read_folder(source, tip, STATE_FOLDER))
    except StateError as err:
        raise InputError([err.problem()]) from None
    return PlanMemory(state, when, tip.sha, read_observed_at(source, tip, state))


def read_observed_at(source: GitSource, tip: StatusTip, state: FleetState) -> Observed:
    """What the reconciler recorded of the members on the status commit ``tip``: their
    health files, and readiness where a graceful eviction task of ``state`` waits for it.
    A hostile health file is invalid input at its position."""
    from gitfleet.git.statusbranch import read_folder, read_paths
    from gitfleet.status.health import HEALTH_DIR, HealthError
    from gitfleet.status.layout import UnsafePathError, status_path
    from gitfleet.status.observed import awaiting_readiness, read_observed

    files = dict(read_folder(source, tip, HEALTH_DIR))
    paths = []
    for name in sorted(awaiting_readiness(state)):
        try:
            paths.append(status_path(name))
        except UnsafePathError:
            continue  # the state reader refuses such names; nothing of it can be ready
    files.update(read_paths(source, tip, paths))
    try:
        return read_observed(files, awaiting_readiness(state))
    except HealthError as err:
        raise InputError([err.problem()]) from None


def in_git(folder: str) -> bool:
    """Whether ``folder`` lies in a Git work tree, found without loading libgit2 (a render
    of a plain folder never pays for it)."""
    import os

    path = os.path.abspath(folder)
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def memory_of(revision: SourceRevision, branch: str | None = None, *, fresh: bool = False,
              now: str | None = None) -> PlanMemory:
    """:func:`read_memory` for ``revision``: its status branch (``branch``, else the one
    its fleet.yaml names)."""
    from gitfleet.load.discover import FLEET_FILE
    from gitfleet.status.layout import status_branch_name

    name = branch or status_branch_name(revision.files.get(FLEET_FILE))
    return read_memory(revision.source, name, fresh=fresh, now=now)
