"""Watching the members (issue 11): probe each Push member's ``/readyz``, read its Nodes
and Pods for live capacity, and turn the answers into the observed health the status
branch records (:mod:`gitfleet.health` decides; this module only asks the members).

:class:`MemberClients` keeps one client per member between rounds, so a probe every
few seconds costs one small request per member, not a new TLS session. Probes of all
members run at once, so one member that does not answer costs one timeout per round,
not one per member.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gitfleet.health import observe
from gitfleet.model.cluster import ResourceSummary
from gitfleet.model.health import HEALTHY, UNREACHABLE, ClusterHealth, HealthSettings, HealthStep, ProbeResult
from gitfleet.model.resource import Fleet
from gitfleet.service.members import Connection

if TYPE_CHECKING:
    from gitfleet.kube.client import KubeClient

log = logging.getLogger(__name__)
MAX_PARALLEL = 32


class MemberClients:
    """A client per member, made on first use and kept until the cluster set or the
    kubeconfig changes (then all are closed and made again)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._key: str | None = None
        self._clients: dict[str, KubeClient | Exception] = {}

    def get(self, fleet: Fleet, names: Iterable[str]) -> Mapping[str, KubeClient | Exception]:
        wanted = tuple(sorted(names))
        key = self._identity(fleet, wanted)
        if key != self._key:
            self.close()
            from gitfleet.kube.config import connect, management_client

            self.connection.check()
            known = {c.name: c for c in fleet.clusters}
            clusters = [known[n] for n in wanted if n in known]
            management = management_client(self.connection.management_context, self.connection.kubeconfig,
                                           self.connection.settings)
            try:
                self._clients = dict(connect(clusters, self.connection.kubeconfig, management,
                                             self.connection.settings))
            finally:
                if management is not None:
                    management.close()
            self._key = key
        return self._clients

    def _identity(self, fleet: Fleet, names: tuple[str, ...]) -> str:
        h = hashlib.sha256("\0".join(names).encode())
        known = {c.name: c for c in fleet.clusters}
        for name in names:
            cluster = known.get(name)
            h.update(repr((cluster.api_endpoint, cluster.secret_ref) if cluster else None).encode())
        self.connection.digest_into(h)
        return h.hexdigest()

    def close(self) -> None:
        from gitfleet.kube.client import KubeClient

        for client in self._clients.values():
            if isinstance(client, KubeClient):
                client.close()
        self._clients, self._key = {}, None


def probe_members(clients: Mapping[str, KubeClient | Exception], timeout: float) -> dict[str, ProbeResult]:
    """One ``/readyz`` probe of every member, all at once. A member without a client (its
    credentials could not be read) is unreachable, with the reason."""
    from gitfleet.kube.probe import probe

    out: dict[str, ProbeResult] = {}
    live: dict[str, KubeClient] = {}
    for name, client in clients.items():
        if isinstance(client, Exception):
            out[name] = ProbeResult(UNREACHABLE, f"no client: {client}"[:500])
        else:
            live[name] = client
    if live:
        with ThreadPoolExecutor(min(MAX_PARALLEL, len(live)), thread_name_prefix="probe") as pool:
            answers = pool.map(lambda item: (item[0], probe(item[1], timeout)), live.items())
            out.update(answers)
    return dict(sorted(out.items()))


def estimate_members(clients: Mapping[str, KubeClient | Exception], names: Iterable[str]) -> dict[str, ResourceSummary]:
    """The live ``resourceSummary`` of each member in ``names`` whose Nodes could be read;
    a member that fails is left out (its last estimate, or the inventory's, stays), and so
    is one without any Node: a control plane whose Nodes gitfleet cannot see (virtual
    kubelets elsewhere, a restricted view) says nothing about capacity, and the
    inventory's static summary is the better guess."""
    from gitfleet.kube.nodes import observe_member

    wanted = [(n, c) for n in sorted(names) if not isinstance(c := clients.get(n), Exception) and c is not None]

    def one(item: tuple[str, KubeClient]) -> tuple[str, ResourceSummary | None]:
        name, client = item
        try:
            return name, observe_member(client)
        except Exception as err:  # noqa: BLE001 - a member that cannot be read keeps its last estimate
            log.warning("capacity of %s not read: %s", name, err)
            return name, None

    if not wanted:
        return {}
    with ThreadPoolExecutor(min(MAX_PARALLEL, len(wanted)), thread_name_prefix="estimate") as pool:
        return {name: summary for name, summary in pool.map(one, wanted) if summary is not None and summary.nodes}


@dataclass(frozen=True)
class Round:
    """One round of watching: the health step, and whether what renders see changed."""

    step: HealthStep
    changed: bool  # taints, conditions, the guard or a capacity changed: record it
    affects_plan: bool = False  # taints or a capacity changed: plan again


def watch_round(previous: Mapping[str, ClusterHealth], probes: Mapping[str, ProbeResult], now: str,
                settings: HealthSettings, estimates: Mapping[str, ResourceSummary] | None = None) -> Round:
    """The new observed health from ``probes`` (and fresh capacity ``estimates``), and
    whether it differs from ``previous`` in anything a render reads. Pure."""
    step = observe(previous, probes, now, settings)
    observed = dict(step.observed)
    for name, summary in (estimates or {}).items():
        if name in observed:
            observed[name] = replace(observed[name], resource_summary=summary)
    step = replace(step, observed=observed)
    changed = set(previous) != set(observed) or any(
        material(previous[name]) != material(health) for name, health in observed.items())
    before = {n: (h.taints, h.resource_summary) for n, h in previous.items()}
    affects = any(before.get(n, ((), None)) != (h.taints, h.resource_summary) for n, h in observed.items())
    return Round(step, changed, affects)


def material(health: ClusterHealth) -> ClusterHealth:
    """What a render reads of a member's health: its probe streaks, times and the words
    of a failure are left out (a down member's error text may change every probe), so an
    unchanged member records nothing (an idle fleet writes no commit)."""
    last = ProbeResult(health.last_probe.outcome) if health.last_probe is not None else None
    conditions = tuple(replace(c, message="") for c in health.conditions)
    return replace(health, conditions=conditions, last_probe_time=None, last_probe=last, consecutive_failures=0,
                   consecutive_successes=0)


@dataclass(frozen=True)
class AgentReports:
    """What the Pull members' agents published: each report branch's commit (None: no
    branch yet), their reports, and the capacity they measured."""

    tips: Mapping[str, str | None]
    reports: Mapping[str, bytes]  # status/<member>.yaml path -> bytes
    capacity: Mapping[str, ResourceSummary]


SILENCE_GRACE = 1.5  # intervals without a new report before a round counts as failed


def agent_probes(tips: Mapping[str, str | None], heard: Mapping[str, tuple[str | None, float]], now: float,
                 interval: float) -> tuple[dict[str, tuple[str | None, float]], dict[str, ProbeResult]]:
    """A probe result per Pull member from its agent's heartbeat (a new report commit every
    pass): healthy while its report branch moved within ``SILENCE_GRACE`` intervals, else
    unreachable; the health machine then counts failed rounds as for a Push member, so a
    silent agent's member is tainted after about ``failureThreshold + 1.5`` intervals. A
    member first seen now gets the grace from now (a reconciler that just started has
    not heard anybody yet). Pure; returns the new ``heard`` and the probes."""
    out_heard: dict[str, tuple[str | None, float]] = {}
    probes: dict[str, ProbeResult] = {}
    for name in sorted(tips):
        tip = tips[name]
        last = heard.get(name)
        moved = now if last is None or last[0] != tip else last[1]
        out_heard[name] = (tip, moved)
        silent = now - moved
        if silent <= SILENCE_GRACE * interval:
            probes[name] = ProbeResult(HEALTHY)
        else:
            what = "no report from its agent" if tip is None else "its agent's report has not moved"
            probes[name] = ProbeResult(UNREACHABLE, f"{what} for {silent:.0f} s (Pull mode)")
    return out_heard, probes
