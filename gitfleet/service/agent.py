"""A Pull member's agent (issue 12): one pass of ``gitfleet agent``.

It follows the fleet repo, takes the decision the status branch records for its member
(the source commit of the tip and ``placements.yaml``: nothing is scheduled again),
renders that member alone from the source commit with the core every render uses, and
refuses unless the result equals, byte for byte once masked, the member's folder
``clusters/<member>/`` on the branch: a tampered status branch never reaches the
cluster. Then it applies with the engine ``apply`` uses (same order, prune guard,
drift correction, Secret decryption) and publishes its report on a branch of its own,
``<status branch>-agents/<member>`` (``status/<member>.yaml``, the Push members' format,
and ``status/clusters/<member>.yaml`` with its live capacity). One branch per agent: no
two agents ever push to the same ref, and the reconciler merges the reports.

The report is published every pass, so its commit is the agent's heartbeat: the
reconciler taints a member whose agent stays silent, as it taints a Push member whose
``/readyz`` does not answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitfleet.apply.engine import ApplyOptions
from gitfleet.apply.result import ClusterResult, FleetResult
from gitfleet.errors import GitfleetError
from gitfleet.kube.settings import ClientSettings
from gitfleet.load.discover import FLEET_FILE
from gitfleet.model.cluster import ResourceSummary
from gitfleet.model.health import ClusterHealth
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.redaction import Redactor
from gitfleet.status.layout import (
    CLUSTERS_DIR,
    PLACEMENTS_FILE,
    plan_to_tree,
    status_branch_name,
    status_path,
)

if TYPE_CHECKING:
    from gitfleet.git.source import GitSource
    from gitfleet.kube.client import KubeClient
    from gitfleet.service.sops import ForApply

log = logging.getLogger(__name__)
AGENTS_SUFFIX = "-agents"
MAX_MISMATCHES_SHOWN = 5


class StatusRefused(GitfleetError):
    """The member's folder on the status branch is not what its recorded decision renders
    to: nothing is applied."""


def report_branch(status_branch: str, cluster: str) -> str:
    """The branch an agent publishes its reports on: ``<status branch>-agents/<cluster>``."""
    from gitfleet.status.layout import path_component

    return f"{status_branch}{AGENTS_SUFFIX}/{path_component(cluster, 'cluster')}"


@dataclass(frozen=True)
class AgentSettings:
    """What one agent follows and where it applies."""

    repo: str
    cluster: str
    status_branch: str | None = None  # None: the source's fleet.yaml's (at its default branch)
    kubeconfig: str | None = None  # None: in-cluster, else the context named like the cluster
    context: str | None = None
    dry_run: bool = False
    publish: bool = True  # push the report branch (a remote), or only move it (a local repo)
    client: ClientSettings = field(default_factory=ClientSettings)


@dataclass(frozen=True)
class AgentPass:
    """What one pass did: ``applied`` | ``partial`` | ``refused`` (the branch does not
    match its decision) | ``waiting`` (nothing recorded for the member yet) | ``error``."""

    outcome: str
    source: str | None = None  # the source commit applied
    status_commit: str | None = None  # the status commit it was read from
    result: ClusterResult | None = None
    error: str | None = None
    report: str | None = None  # the report commit
    interval: float | None = None  # the fleet's healthInterval at this source (the heartbeat period)


@dataclass
class AgentMemory:
    """What the next pass reuses: the last good desired state and the last report."""

    status_commit: str | None = None
    source: str | None = None
    plan: Plan | None = None
    fleet: Fleet | None = None
    redactor: Redactor = field(default_factory=Redactor)
    report: bytes | None = None  # the last status/<cluster>.yaml published (its inventory prunes)


def read_decision(source: GitSource, branch: str, cluster: str) -> tuple[str, str, dict[str, bytes]] | None:
    """``(status commit, source commit, files)`` of the status branch tip for ``cluster``:
    ``placements.yaml`` and the member's folder only; None before the first render."""
    import pygit2

    from gitfleet.git.statusbranch import read_folder, read_paths, read_status_tip, source_of

    tip = read_status_tip(source, branch)
    if tip is None:
        return None
    assert source.repo is not None
    commit = source.repo[tip.sha]
    assert isinstance(commit, pygit2.Commit)
    source_sha = source_of(commit.message)
    if source_sha is None:
        raise StatusRefused(f"the status commit {tip.sha[:12]} of {branch} names no source commit")
    files = dict(read_paths(source, tip, [PLACEMENTS_FILE]))
    files.update(read_folder(source, tip, f"{CLUSTERS_DIR}/{cluster}"))
    return tip.sha, source_sha, files


def desired_for(files_at_source: Mapping[str, bytes], recorded: Mapping[str, bytes], cluster: str) -> tuple[Fleet, Plan]:
    """The member's plan from its recorded decision, checked against its recorded folder
    (raises :class:`StatusRefused` naming what differs; ``InputError`` when the source
    does not load)."""
    from gitfleet.load.loader import load_fleet
    from gitfleet.plan.recorded import plan_recorded
    from gitfleet.status.layout import tree_to_placements
    from gitfleet.status.secrets import mask_plan

    fleet = load_fleet(files_at_source)
    placements = tree_to_placements(recorded)
    plan = plan_recorded(fleet, placements, cluster)
    prefix = f"{CLUSTERS_DIR}/{cluster}/"
    rendered = {p: b for p, b in plan_to_tree(mask_plan(plan)).items() if p.startswith(prefix)}
    expected = {p: b for p, b in recorded.items() if p.startswith(prefix)}
    wrong = sorted(p for p in rendered.keys() | expected.keys() if rendered.get(p) != expected.get(p))
    if wrong:
        shown = ", ".join(wrong[:MAX_MISMATCHES_SHOWN]) + (f" and {len(wrong) - MAX_MISMATCHES_SHOWN} more"
                                                           if len(wrong) > MAX_MISMATCHES_SHOWN else "")
        raise StatusRefused(f"{len(wrong)} file(s) of {prefix} on the status branch differ from what the recorded"
                            f" decision renders to from its source commit ({shown}): nothing is applied")
    return fleet, plan


def member_client(settings: AgentSettings) -> KubeClient:
    """The agent's own member: in the cluster, its service account; else the kubeconfig
    context ``context`` (default: named like the member)."""
    import os

    from gitfleet.kube.client import KubeClient
    from gitfleet.kube.config import configuration_from_context, in_cluster_configuration

    if settings.kubeconfig is None and settings.context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        return KubeClient(settings.cluster, in_cluster_configuration(), settings.client)
    return KubeClient(settings.cluster, configuration_from_context(settings.kubeconfig, settings.context
                                                                   or settings.cluster), settings.client)


def agent_pass(source: GitSource, settings: AgentSettings, memory: AgentMemory, client: KubeClient,
               options: ApplyOptions | None = None) -> AgentPass:
    """One pass: fetch, read the decision, render and check, apply, report. Never raises
    for what the remote, the branch or the member do: the outcome says it, and the last
    applied state stays as it is (a remote that is down changes nothing on the member)."""
    try:
        source.fetch()
    except GitfleetError as err:
        return AgentPass("error", memory.source, memory.status_commit,
                         error=memory.redactor.text(f"the fleet repo cannot be fetched, the member keeps what was"
                                                    f" applied last: {err}"))
    branch = settings.status_branch or status_branch_name(_fleet_yaml(source))
    if memory.report is None:
        memory.report = last_report(source, branch, settings.cluster)
    try:
        decision = read_decision(source, branch, settings.cluster)
        if decision is None:
            return AgentPass("waiting", error=f"{branch} holds no render yet")
        status_commit, source_sha, recorded = decision
        if status_commit != memory.status_commit or memory.plan is None:
            files = source.files_at(source_sha)
            fleet, plan = desired_for(files, recorded, settings.cluster)
            memory.status_commit, memory.source, memory.plan, memory.fleet = status_commit, source_sha, plan, fleet
            memory.redactor = Redactor.from_plan(plan) | Redactor.from_files(files)
    except GitfleetError as err:
        outcome = "refused" if isinstance(err, StatusRefused) else "error"
        message = memory.redactor.text(str(err))
        report = _report_refused(settings.cluster, message, memory)
        sha = _publish(source, branch, settings, report, None, memory)
        return AgentPass(outcome, memory.source, memory.status_commit, error=message, report=sha)
    assert memory.plan is not None and memory.fleet is not None and memory.source is not None
    result = _apply(memory, settings, client, options)
    capacity = _capacity(client)
    report = _report(settings.cluster, memory, result)
    sha = _publish(source, branch, settings, report, capacity, memory)
    interval = memory.fleet.settings.failover.health_interval
    return AgentPass("applied" if result.ok else "partial", memory.source, memory.status_commit, result,
                     result.error, sha, interval)


def last_report(source: GitSource, status_branch: str, cluster: str) -> bytes | None:
    """The report this member's agent published last (its branch, else the copy the
    reconciler merged into the status branch): its inventory is what a restarted agent
    prunes from."""
    from gitfleet.git.statusbranch import read_paths, read_status_tip, report_files, report_tips

    path = status_path(cluster)
    tip = report_tips(source, status_branch + AGENTS_SUFFIX).get(report_branch(status_branch, cluster))
    if tip is not None:
        found = report_files(source, tip, cluster).get(path)
        if found is not None:
            return found
    status = read_status_tip(source, status_branch)
    return read_paths(source, status, [path]).get(path) if status is not None else None


def _fleet_yaml(source: GitSource) -> bytes | None:
    try:
        return source.files_at("HEAD").get(FLEET_FILE)
    except GitfleetError:
        return None


def _apply(memory: AgentMemory, settings: AgentSettings, client: KubeClient,
           options: ApplyOptions | None) -> ClusterResult:
    from gitfleet.apply.session import run_apply

    assert memory.plan is not None and memory.fleet is not None
    previous = {status_path(settings.cluster): memory.report} if memory.report else {}
    options = options or ApplyOptions(dry_run=settings.dry_run)
    ready = decrypt(memory.fleet, memory.plan, memory.redactor, settings.cluster)
    memory.redactor = ready.redactor
    if settings.cluster in ready.failed:
        return ClusterResult(settings.cluster, error=ready.failed[settings.cluster])
    result: FleetResult = run_apply(ready.plan, memory.fleet.settings, {settings.cluster: client}, previous, options,
                                    only=[settings.cluster])
    return result.redacted(ready.redactor.text).clusters[settings.cluster]


def decrypt(fleet: Fleet, plan: Plan, redactor: Redactor, cluster: str) -> ForApply:
    """The member's plan with its SOPS values in clear, as every apply gets it
    (:func:`gitfleet.service.sops.decrypt_for_apply`, the one place they are decrypted)."""
    from gitfleet.service.planning import Planned
    from gitfleet.service.sops import decrypt_for_apply

    return decrypt_for_apply(Planned(fleet, plan, None, "recorded", redactor=redactor), [cluster])


def _capacity(client: KubeClient) -> ResourceSummary | None:
    from gitfleet.kube.nodes import observe_member

    try:
        summary = observe_member(client)
    except Exception as err:  # noqa: BLE001 - capacity is a report: its absence is not a failure
        log.warning("capacity not read: %s", err)
        return None
    return summary if summary.nodes else None


def _report(cluster: str, memory: AgentMemory, result: ClusterResult) -> bytes:
    assert memory.plan is not None and memory.fleet is not None and memory.source is not None
    return member_report(cluster, memory.plan, memory.fleet, memory.source, result, memory.report, memory.redactor)


def member_report(cluster: str, plan: Plan, fleet: Fleet, source_sha: str, result: ClusterResult,
                  previous_report: bytes | None, redactor: Redactor) -> bytes:
    """``status/<cluster>.yaml`` after ``result`` (the Push members' format), with the
    inventory carried on from ``previous_report``."""
    from gitfleet.apply.request import cluster_requests
    from gitfleet.apply.session import previous_inventory
    from gitfleet.apply.statusfile import cluster_status, read_status, status_yaml

    previous_files = {status_path(cluster): previous_report} if previous_report else {}
    request = cluster_requests(plan, fleet.settings.name, fleet.settings.apply,
                               previous_inventory(previous_files, [cluster]), [cluster])[cluster]
    doc: dict[str, Any] = cluster_status(result, source_sha, request.desired,
                                         previous=read_status(previous_files, cluster),
                                         inventory=request.inventory, keep=request.suspended, redactor=redactor)
    return status_yaml(doc)


def apply_recorded(source: GitSource, branch: str, members: Iterable[str],
                   clients: Mapping[str, KubeClient | Exception],
                   options: ApplyOptions | None = None) -> tuple[FleetResult, dict[str, bytes], list[str]]:
    """What a replica that owns ``members`` but does not lead does (issue 13): for each,
    the decision the leader recorded on the status branch, checked and applied exactly
    as an agent does. Returns the results, the reports to record (``status/<m>.yaml``)
    and the problems (a member whose folder is refused is not applied)."""
    from gitfleet.apply.session import run_apply
    from gitfleet.git.statusbranch import read_paths, read_status_tip

    results = FleetResult()
    reports: dict[str, bytes] = {}
    problems: list[str] = []
    sources: dict[str, Mapping[str, bytes]] = {}
    tip = read_status_tip(source, branch)
    for member in sorted(members):
        client = clients.get(member)
        try:
            decision = read_decision(source, branch, member)
            if decision is None or tip is None:
                return results, reports, [f"{branch} holds no render yet"]
            _, source_sha, recorded = decision
            files = sources.get(source_sha) or sources.setdefault(source_sha, source.files_at(source_sha))
            fleet, plan = desired_for(files, recorded, member)
        except GitfleetError as err:
            problems.append(f"{member}: {err}")
            continue
        redactor = Redactor.from_plan(plan) | Redactor.from_files(files)
        previous = read_paths(source, tip, [status_path(member)]).get(status_path(member))
        if client is None or isinstance(client, Exception):
            problems.append(f"{member}: {redactor.text(str(client or 'no client'))}")
            continue
        ready = decrypt(fleet, plan, redactor, member)
        redactor = ready.redactor
        if member in ready.failed:
            result = ClusterResult(member, error=ready.failed[member])
        else:
            run = run_apply(ready.plan, fleet.settings, {member: client},
                            {status_path(member): previous} if previous else {}, options, only=[member])
            result = run.redacted(ready.redactor.text).clusters[member]
        results.clusters[member] = result
        reports[status_path(member)] = member_report(member, plan, fleet, source_sha, result, previous, redactor)
    return results, reports, problems


def _report_refused(cluster: str, message: str, memory: AgentMemory) -> bytes:
    """The last report with the refusal recorded (its inventory kept: nothing was pruned)."""
    from gitfleet.apply.statusfile import read_status, status_yaml

    previous = read_status({status_path(cluster): memory.report}, cluster) if memory.report else {}
    doc = {**previous, "cluster": cluster, "state": "Refused", "error": message}
    return status_yaml(doc)


def _publish(source: GitSource, branch: str, settings: AgentSettings, report: bytes,
             capacity: ResourceSummary | None, memory: AgentMemory) -> str | None:
    from gitfleet.git.statusbranch import publish_report
    from gitfleet.status.health import health_files

    files = {status_path(settings.cluster): report}
    if capacity is not None:
        files.update(health_files({settings.cluster: ClusterHealth(settings.cluster, resource_summary=capacity)}))
    memory.report = report
    if settings.dry_run:
        return None
    try:
        return publish_report(source, report_branch(branch, settings.cluster), files, push=settings.publish)
    except GitfleetError as err:
        log.warning("report not published: %s", memory.redactor.text(str(err)))
        return None


def latest_reports(source: GitSource, status_branch: str) -> dict[str, bytes]:
    """The Pull members' reports (``status/<member>.yaml``) as their agents last
    published them, read from the report branches: newer than the status branch's copy
    until the reconciler merges them."""
    from gitfleet.git.statusbranch import report_files, report_tips

    prefix = status_branch + AGENTS_SUFFIX
    out: dict[str, bytes] = {}
    for branch, sha in sorted(report_tips(source, prefix).items()):
        cluster = branch[len(prefix) + 1:]
        if "/" in cluster or not cluster:
            continue
        out.update((p, b) for p, b in report_files(source, sha, cluster).items() if p.count("/") == 1)
    return out
