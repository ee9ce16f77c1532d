"""Apply a planned revision to its members (or check drift, or dry-run it live), and
record the results: the one path of ``apply``, ``drift``, ``diff --live`` and ``run``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gitfleet.apply.engine import ApplyOptions
from gitfleet.apply.result import FleetResult
from gitfleet.apply.session import run_apply
from gitfleet.service.members import Connection, Members, connected
from gitfleet.service.planning import Planned


@dataclass(frozen=True)
class Applied:
    result: FleetResult
    members: Members


def apply_planned(planned: Planned, members: Members, connection: Connection, previous: Mapping[str, bytes],
                  options: ApplyOptions) -> FleetResult:
    """Reconcile ``members`` with ``planned`` (``options.mode``: apply or drift); the
    status tree ``previous`` is the inventory of what gitfleet applied before."""
    with connected(planned.fleet, members.names, connection) as clients:
        return run_apply(planned.plan, planned.fleet.settings, clients, previous, options, only=members.names)


def live_diff_planned(planned: Planned, members: Members, connection: Connection,
                      previous: Mapping[str, bytes]) -> FleetResult:
    """What an apply would change on the live members (server-side dry run)."""
    from gitfleet.apply.livediff import live_diff

    with connected(planned.fleet, members.names, connection) as clients:
        return live_diff(planned.plan, planned.fleet.settings, clients, previous, only=members.names)
