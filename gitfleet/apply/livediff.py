"""``gitfleet diff --live``: what an apply of a plan would change on the live
clusters, found by a server-side dry run of every object (so defaults, admission
and validation are the server's own) compared with the live object, plus the objects
the apply would prune. Changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gitfleet.apply.engine import ApplyOptions
from gitfleet.apply.result import FleetResult
from gitfleet.apply.session import run_apply
from gitfleet.kube.client import KubeClient
from gitfleet.model.plan import Plan
from gitfleet.model.resource import FleetSettings


def live_diff(
    plan: Plan,
    settings: FleetSettings,
    clients: Mapping[str, KubeClient | Exception],
    previous_files: Mapping[str, bytes] | None = None,
    only: Iterable[str] | None = None,
) -> FleetResult:
    """Per cluster and object: ``created``, ``configured`` (with each changed field as
    a drift entry, ``live`` before and ``desired`` after), ``unchanged``, ``pruned``,
    ``conflict`` or ``failed`` (the server's validation message)."""
    return run_apply(plan, settings, clients, previous_files or {}, ApplyOptions(mode="diff", dry_run=True),
                     only=only)
