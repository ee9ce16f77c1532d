"""One reconcile cycle, as a plain method the scheduler calls and tests call directly:
fetch the fleet repo, resolve the revision followed, and when the source commit or
the cluster set changed, a cluster failed last time, or the drift interval elapsed,
load and plan it, apply it to the Push-mode clusters and record render and results
on the status branch.

The rules that keep a fleet safe live here: a fleet repo that does not load at a new
commit is reported (its error kept for ``/readyz``) and nothing is applied, so the
clusters keep the last good state; one cluster that cannot be reached never stops
the others (the apply engine runs them apart) and is retried on the next cycle.
The apply itself, the status tree and the status commit are the same functions
``gitfleet apply`` uses (:mod:`gitfleet.apply.session`, :mod:`gitfleet.git.statusbranch`).

Being long-lived, the reconciler keeps what the next cycle can reuse: the last good
plan with the record of what it was rendered from, so a commit that changes only
templates is planned incrementally (:mod:`gitfleet.plan.incremental`, the same plan a
full render gives); the status tree it wrote, so the branch is read back only when
someone else moved it; and it commits only the files that changed. On the 200-cluster
bench fleet a one-template commit costs ~0.1-0.3 s against ~3 s for a full render
(``bench/git.py``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from gitfleet.apply.engine import ApplyOptions
from gitfleet.apply.result import FleetResult
from gitfleet.errors import GitfleetError
from gitfleet.git.source import GitSource, open_source
from gitfleet.git.statusbranch import read_status_tip, report_files, report_tips
from gitfleet.git.urls import is_remote_url
from gitfleet.load.discover import FLEET_FILE
from gitfleet.model.cluster import ResourceSummary
from gitfleet.model.health import ClusterHealth, Observed
from gitfleet.model.plan import Plan, ResourcePlacement
from gitfleet.model.resource import Fleet
from gitfleet.model.state import FleetState, PlanMemory
from gitfleet.reconcile.config import RunConfig
from gitfleet.reconcile.logfmt import REDACTION
from gitfleet.reconcile.logfmt import log as log_event
from gitfleet.reconcile.metrics import ReconcileMetrics
from gitfleet.reconcile.shards import ShardKeeper
from gitfleet.reconcile.watch import MemberWatch, WatchSettings
from gitfleet.redaction import Redactor
from gitfleet.service.agent import AGENTS_SUFFIX, apply_recorded, report_branch
from gitfleet.service.applying import apply_planned
from gitfleet.service.members import Connection, Members, select_members
from gitfleet.service.observing import AgentReports
from gitfleet.service.planning import Planned, plan_files
from gitfleet.service.recall import clock, memory_of
from gitfleet.service.recording import StatusTree, read_status, record_observation, record_results
from gitfleet.service.source import SourceRevision
from gitfleet.status.health import read_health
from gitfleet.status.layout import status_branch_name, status_path
from gitfleet.status.observed import awaiting_readiness, read_observed, report_problem

log = logging.getLogger(__name__)


class UnknownClusters(GitfleetError):
    """The run config names clusters the inventory at this commit does not have."""


@dataclass(frozen=True)
class Desired:
    """The fleet repo at one good commit, planned."""

    revision: SourceRevision
    planned: Planned
    members: Members  # the clusters to apply to

    @property
    def sha(self) -> str:
        assert self.revision.sha is not None
        return self.revision.sha

    @property
    def fleet(self) -> Fleet:
        return self.planned.fleet

    @property
    def redactor(self) -> Redactor:
        return self.planned.redactor

    @property
    def render(self) -> str:
        return self.planned.mode

    @cached_property
    def clock_matters(self) -> bool:
        """Whether the clock alone can change this plan (computed once per plan, so an idle
        health round does not walk every resource)."""
        return time_dependent(self.planned.plan)

    @cached_property
    def recheck_at(self) -> float | None:
        """When the earliest NoExecute toleration of a kept target runs out (Unix time):
        before then, the clock alone changes nothing but open graceful eviction tasks."""
        return earliest_recheck(self.planned.plan)

    def due_by_clock(self, now: float) -> bool:
        """Whether planning again at ``now`` can change something the clock decides: a
        toleration that has run out, or a graceful eviction task (it ends on readiness
        reports or its timeout, so it is checked every round)."""
        if not self.clock_matters:
            return False
        if open_tasks(self.planned.plan):
            return True
        return self.recheck_at is None or now >= self.recheck_at


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did. ``outcome``: ``applied`` (every cluster converged),
    ``partial`` (some clusters failed, the others were reconciled), ``unchanged``
    (nothing was due), ``invalid`` (the fleet repo at ``revision`` does not load;
    nothing applied), ``error`` (the repo could not be read or the status branch not
    written)."""

    outcome: str
    revision: str | None = None
    reasons: tuple[str, ...] = ()  # why an apply ran
    result: FleetResult | None = None
    status_commit: str | None = None
    error: str | None = None
    seconds: float = 0.0
    render: str | None = None  # how this cycle planned a new commit: full | incremental
    phases: Mapping[str, float] = field(default_factory=dict)  # seconds per step: render, apply, record


@dataclass
class Health:
    """What the HTTP endpoints show; replaced whole under the reconciler's lock."""

    cycles: int = 0
    outcome: str | None = None
    error: str | None = None
    revision: str | None = None  # the source commit last seen
    applied_revision: str | None = None
    finished_at: float | None = None  # Unix time
    members: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # observed health, per member
    disruption_guard: bool = False
    eviction_tasks: int = 0

    @property
    def ready(self) -> bool:
        """Ready once a cycle finished and the last one could read a valid fleet repo."""
        return self.cycles > 0 and self.outcome not in ("invalid", "error")

    def to_json(self) -> dict[str, Any]:
        out = {"ready": self.ready, "cycles": self.cycles, "outcome": self.outcome, "error": self.error,
               "revision": self.revision, "appliedRevision": self.applied_revision,
               "finishedAt": self.finished_at, "members": dict(self.members),
               "disruptionGuard": self.disruption_guard, "gracefulEvictionTasks": self.eviction_tasks}
        if self.disruption_guard:
            out["warning"] = ("disruption guard active: too many members look down at once, most likely this"
                              " reconciler's own network; nothing is evicted until fewer are")
        return out


def member_detail(health: ClusterHealth) -> dict[str, Any]:
    """What ``/readyz`` shows of one member."""
    probe = health.last_probe
    return {"probe": probe.outcome if probe else None, "message": probe.message if probe and probe.message else None,
            "taints": [f"{t.key}:{t.effect}" for t in health.taints],
            "consecutiveFailures": health.consecutive_failures}


@dataclass
class _Memory:
    """What the next cycle needs from the earlier ones."""

    applied_plan: object = None  # the placements of the last apply (re-plans compare with it)

    seen: str | None = None  # the last source commit resolved
    invalid: tuple[str, str] | None = None  # (commit, error) while the followed commit does not load
    desired: Desired | None = None  # the newest commit that loaded
    applied: str | None = None  # the commit of the last apply
    applied_key: str | None = None  # the cluster set of the last apply
    applied_at: float | None = None  # monotonic clock
    failed: tuple[str, ...] = ()  # clusters whose last apply did not converge
    status: StatusTree | None = None  # saves reading thousands of blobs every cycle
    recorded_state: tuple[str, FleetState] | None = None  # (status commit, the state this process wrote there)
    fetch_failures: int = 0  # failed fetches in a row
    next_fetch: float | None = None  # monotonic time before which the failing remote is not tried again
    source_error: str | None = None
    owner_key: tuple[str | None, frozenset[str]] | None = None  # (render applied, members held) of a non-leader
    owner_applied: dict[str, str | None] = field(default_factory=dict)  # member -> the render last applied there


class Reconciler:
    """Holds the state between cycles. :meth:`run_cycle` never raises: every failure
    becomes a report, a log line and a metric, and the next cycle tries again."""

    def __init__(self, config: RunConfig, metrics: ReconcileMetrics | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # ``clock`` decides when the drift interval elapsed (tests move it).
        self.config = config
        self.metrics = metrics or ReconcileMetrics()
        self._clock = clock
        self._source: GitSource | None = None
        self._memory = _Memory()
        self._health = Health()
        self._health_lock = threading.Lock()
        self._cycle_lock = threading.Lock()  # one cycle at a time, scheduler or not
        self._phases: dict[str, float] = {}  # of the running cycle
        self._render_mode: str | None = None  # of the running cycle
        self.watch = MemberWatch(Connection(config.kubeconfig, config.management_context, config.client), clock)
        self.shards: ShardKeeper | None = None  # with several replicas: this one's Leases
        self._wake: Callable[[], None] | None = None  # a cycle soon, when the leader is poked

    def health(self) -> Health:
        with self._health_lock:
            return replace(self._health)

    def run_cycle(self) -> CycleReport:
        """A whole cycle: fetch the fleet repo, watch the members when due, plan, apply."""
        with self._cycle_lock:
            return self._run(fetch=True)

    def tick(self) -> CycleReport | None:
        """Between cycles (every second): when the members' health is due, probe them and,
        if what they show or the clock changes a placement, plan and apply again without
        fetching. None when nothing was due or a cycle is running."""
        if not self._cycle_lock.acquire(blocking=False):
            return None
        try:
            desired = self._memory.desired
            if desired is None or self._memory.invalid is not None:
                return None
            if not self.watch.due(watch_settings(desired.fleet)):
                return None
            return self._run(fetch=False)
        finally:
            self._cycle_lock.release()

    def close(self) -> None:
        self.watch.close()
        if self.shards is not None:
            self.shards.close()

    # -- several replicas -----------------------------------------------------------

    def renew_shards(self) -> None:
        """One renewal round of this replica's Leases (the loop calls it every
        ``renewInterval``; before the first good commit there is nothing to divide)."""
        desired = self._memory.desired
        keeper = self._keeper()
        if keeper is not None and desired is not None:
            keeper.round(desired.fleet.settings.name, desired.members.push)
            if not keeper.leading():
                self._follow_leader(desired)

    def _follow_leader(self, desired: Desired) -> None:
        """A replica that does not lead applies what the leader records: when the status
        branch holds a new render, run a cycle now rather than at the next interval (a
        webhook may have made the leader render long before it)."""
        if self._wake is None or self._source is None or not self._cycle_lock.acquire(blocking=False):
            return  # a running cycle reads the branch itself
        try:
            branch = self.config.status_branch or desired.fleet.settings.status_branch
            self._source.fetch_branches(branch, exact=True)
            tip = read_status_tip(self._source, branch)
        except GitfleetError as err:
            log.debug("status branch not followed: %s", err)
            return
        finally:
            self._cycle_lock.release()
        known = self._memory.owner_key[0] if self._memory.owner_key else None
        if tip is not None and tip.render_key != known:
            self._wake()

    def on_wake(self, callback: Callable[[], None]) -> None:
        """``callback`` runs when another replica received a webhook while this one leads."""
        self._wake = callback
        if self.shards is not None:
            self.shards.on_wake = callback

    def poke_leader(self) -> None:
        """Tell the leader (through its Lease) that a webhook came in here; nothing when
        this replica leads, or runs alone."""
        if self.shards is not None and not self.shards.leading():
            self.shards.poke_leader()

    def _keeper(self) -> ShardKeeper | None:
        if self.config.sharding is None:
            return None
        if self.shards is None:
            from gitfleet.kube.config import management_client

            client = management_client(self.config.management_context, self.config.kubeconfig, self.config.client)
            if client is None:
                raise GitfleetError("sharding needs the management cluster for its Leases: set managementContext,"
                                    " or run gitfleet in a cluster")
            self.shards = ShardKeeper(client, self.config.sharding)
            self.shards.on_wake = self._wake
        return self.shards

    def _run(self, fetch: bool) -> CycleReport:
        start = time.perf_counter()
        self._phases, self._render_mode = {}, None
        try:
            report = self._cycle(fetch)
        except Exception as exc:  # a bug must not end the reconciler
            log.exception("reconcile cycle failed")
            report = CycleReport("error", self._memory.seen, error=f"internal error: {type(exc).__name__}")
        elapsed = time.perf_counter() - start
        report = CycleReport(**{**vars(report), "seconds": elapsed, "render": self._render_mode,
                                "phases": dict(self._phases)})
        if fetch or report.outcome != "unchanged":
            self._finish(report)
        return report

    @contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        """Time one step of the cycle (reported in the cycle's log line and metrics)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self._phases[name] = self._phases.get(name, 0.0) + time.perf_counter() - start

    # -- the steps --------------------------------------------------------------

    def _cycle(self, fetch: bool = True) -> CycleReport:
        memory = self._memory
        if fetch and memory.next_fetch is not None and self._clock() < memory.next_fetch \
                and memory.desired is not None:
            # Backing off a failing remote: the last good state is reconciled meanwhile.
            return self._without_source(memory.source_error or "the fleet repo is failing")
        try:
            source = self._open(fetch)
            revision = source.resolve(self.config.revision) if fetch or memory.seen is None else memory.seen
        except GitfleetError as err:
            message = self._source_failed(err)
            if memory.desired is None or self._source is None or memory.seen is None:
                return CycleReport("error", memory.seen, error=message)
            return self._without_source(message)
        if fetch:
            self._source_ok(source, revision)
        if revision != memory.seen:
            try:
                with self._phase("render"):
                    memory.desired = self._load(source, revision)
                self._render_mode = memory.desired.render
                memory.invalid = None
                # Every log record of the process (the loop's, the libraries') passes it.
                REDACTION.update(memory.desired.redactor)
            except GitfleetError as err:
                files = _safe_files(source, revision)
                known = memory.desired.redactor if memory.desired else Redactor()
                redactor = known | Redactor.from_files(files)
                REDACTION.update(redactor)
                memory.invalid = (revision, redactor.text(str(err)))
            # Set only now: a crash while loading (a bug) makes the next cycle try again.
            memory.seen = revision
        if memory.invalid is not None:
            return CycleReport("invalid", revision, error=memory.invalid[1])
        desired = memory.desired
        assert desired is not None
        if self.config.sharding is not None:
            try:
                keeper = self._keeper()
            except GitfleetError as err:
                return CycleReport("error", desired.sha, error=str(err))
            assert keeper is not None
            if keeper.fleet is None:
                keeper.round(desired.fleet.settings.name, desired.members.push)
            if not keeper.leading():
                return self._owner_cycle(source, desired, keeper)
        extra: list[str] = []
        try:
            desired, extra = self._watch_and_replan(source, desired)
        except GitfleetError as err:
            return CycleReport("error", desired.sha, error=desired.redactor.text(str(err)))
        memory.desired = desired
        reasons = self._due(desired) + tuple(extra)
        if not reasons:
            return CycleReport("unchanged", revision)
        return self._apply(source, desired, reasons)

    def _without_source(self, message: str) -> CycleReport:
        """A cycle on the last good state while the remote fails: members are watched,
        drift is corrected, nothing new is fetched (so nothing is pruned for a commit
        nobody saw); the report is an error saying why."""
        inner = self._cycle(fetch=False)
        outcome = "error" if inner.outcome in ("applied", "unchanged") else inner.outcome
        return replace(inner, outcome=outcome, error=message if inner.error is None else f"{message}; {inner.error}")

    def _source_failed(self, err: GitfleetError) -> str:
        """Count a failed fetch, back off (doubling from one interval to
        ``MAX_FETCH_BACKOFF``), and say so: log, metric, ``/readyz``."""
        memory = self._memory
        memory.fetch_failures += 1
        delay = min(self.config.interval * 2 ** (memory.fetch_failures - 1), MAX_FETCH_BACKOFF)
        memory.next_fetch = self._clock() + delay
        reason = fetch_failure_reason(str(err))
        kept = f"; the last good state ({memory.seen[:12]}) stays applied" if memory.seen else ""
        memory.source_error = (f"the fleet repo cannot be fetched ({reason}, {memory.fetch_failures} failure(s) in a"
                               f" row, next try in {delay:.0f} s){kept}: {err}")
        self.metrics.source_failed(reason)
        log_event(log, logging.WARNING, "source_failed", reason=reason, failures=memory.fetch_failures,
                  retry_in=round(delay, 1), error=str(err))
        return memory.source_error

    def _source_ok(self, source: GitSource, revision: str) -> None:
        memory = self._memory
        if memory.fetch_failures:
            log_event(log, logging.INFO, "source_recovered", failures=memory.fetch_failures, revision=revision[:12])
        memory.fetch_failures, memory.next_fetch, memory.source_error = 0, None, None
        self.metrics.source_ok()
        applied = memory.applied
        if applied and revision != applied and not source.descends_from(revision, applied):
            # A force-push: the new tip is planned like any new commit; the status branch
            # keeps recording the commit it applied last until then.
            self.metrics.history_rewritten()
            log_event(log, logging.WARNING, "history_rewritten", revision=revision[:12], applied=applied[:12],
                      message=f"the followed branch no longer contains {applied[:12]}, the commit applied last:"
                              " its history was rewritten; the new tip is applied as a new revision")

    def _watch_and_replan(self, source: GitSource, desired: Desired) -> tuple[Desired, list[str]]:
        """Probe the members when due and record what changed; plan again when the
        observation changed or the clock can change a placement (a toleration or a
        graceful eviction task running out). Returns the plan to apply and why, beyond
        :meth:`_due`'s reasons."""
        settings = watch_settings(desired.fleet)
        reasons: list[str] = []
        if not self.watch.due(settings):
            return desired, reasons
        branch = self.config.status_branch or desired.fleet.settings.status_branch
        if not self.watch.started:
            self.watch.resume(self._recorded_health(source, branch))
        with self._phase("watch"):
            agents = self._agent_reports(source, desired, branch) if desired.members.skipped_pull else None
            report = self.watch.round(desired.fleet, desired.members.push, settings, agents=agents)
        self.metrics.watched(report.observed, report.guard_active, self.watch.estimator_age())
        with self._health_lock:
            self._health = replace(self._health, members={n: member_detail(h) for n, h in report.observed.items()},
                                   disruption_guard=report.guard_active)
        known = self._memory.status.files if self._memory.status is not None else {}
        reports = {p: b for p, b in (agents.reports if agents else {}).items() if known.get(p) != b}
        if report.changed or reports:
            self._record_observation(desired, branch, report.observed, reports)
        clock_matters = desired.due_by_clock(time.time())
        if not (report.affects_plan or clock_matters):
            return desired, reasons
        with self._phase("render"):
            replanned = self._load(source, desired.sha)
        self._render_mode = replanned.render
        self._log_evictions(desired, replanned)
        if replanned.planned.plan.placements != desired.planned.plan.placements:
            reasons.append("placements changed" + (" (member health)" if report.affects_plan else " (the clock)"))
        if open_tasks(replanned.planned.plan):
            reasons.append("graceful eviction: waiting for the replacements to be ready")
        return replanned, reasons

    def _recorded_health(self, source: GitSource, branch: str) -> Mapping[str, ClusterHealth]:
        status = self._memory.status or read_status(source, branch, None)
        if status is None:
            return {}
        try:
            return read_health(status.files)
        except GitfleetError as err:
            log.warning("the recorded member health is not readable, starting afresh: %s", err)
            return {}

    def _agent_reports(self, source: GitSource, desired: Desired, branch: str) -> AgentReports:
        """What the Pull members' agents published on their report branches (fetched now:
        a health round does not wait for the next cycle's fetch)."""
        prefix = branch + AGENTS_SUFFIX
        try:
            source.fetch_branches(prefix)
        except GitfleetError as err:
            log.warning("agent reports not fetched: %s", err)
        tips = report_tips(source, prefix)
        names = desired.members.skipped_pull
        out_tips: dict[str, str | None] = {}
        reports: dict[str, bytes] = {}
        capacity: dict[str, ResourceSummary] = {}
        for name in names:
            tip = tips.get(report_branch(branch, name))
            out_tips[name] = tip
            if tip is None:
                continue
            files = report_files(source, tip, name)
            raw = files.get(status_path(name))
            problem = report_problem(name, raw) if raw is not None else None
            if problem is not None:
                log_event(log, logging.WARNING, "agent_report_refused", cluster=name, reason=problem)
            elif raw is not None:
                reports[status_path(name)] = raw
            summary = _reported_capacity(files, name)
            if summary is not None:
                capacity[name] = summary
        return AgentReports(out_tips, reports, capacity)

    def _record_observation(self, desired: Desired, branch: str, observed: Mapping[str, ClusterHealth],
                            reports: Mapping[str, bytes] | None = None) -> None:
        if self.config.dry_run:
            return
        memory = self._memory
        try:
            with self._phase("record"):
                sha, status = record_observation(desired.revision, branch, observed, memory.status,
                                                 self.config.push_status, reports=reports)
        except GitfleetError as err:
            log_event(log, logging.WARNING, "health_not_recorded", error=desired.redactor.text(str(err)))
            memory.status = None
            return
        memory.status = status
        if status is not None and memory.recorded_state is not None:
            memory.recorded_state = (status.sha, memory.recorded_state[1])
        if sha:
            log_event(log, logging.INFO, "health_recorded", status_commit=sha[:12])

    def _log_evictions(self, before: Desired, after: Desired) -> None:
        old_state, new_state = before.planned.plan.state, after.planned.plan.state
        if new_state is None:
            return
        old_places = {p.resource: p for p in before.planned.plan.placements}
        for place in after.planned.plan.placements:
            resource = new_state.of(place.resource)
            previous = old_state.of(place.resource) if old_state is not None else None
            old_tasks = set(previous.eviction_tasks) if previous is not None else set()
            for task in resource.eviction_tasks if resource is not None else ():
                if task in old_tasks:
                    continue
                was = old_places.get(place.resource)
                self.metrics.evicted(task.reason)
                log_event(log, logging.WARNING, "eviction", resource=place.resource, cluster=task.cluster,
                          replicas=task.replicas, purge_mode=task.purge_mode, reason=task.reason,
                          before=_targets(was) if was else None, after=_targets(place))

    def _open(self, fetch: bool = True) -> GitSource:
        """The fleet repo, opened once. A URL is mirrored and fetched every cycle; a
        local folder is read as it is (something else updates it, e.g. a git-sync
        sidecar, or a person)."""
        if self._source is None:
            source = open_source(self.config.repo)  # clones or fetches a URL's mirror
            if source.repo is None:
                raise GitfleetError(f"{self.config.repo} is not inside a Git repository: gitfleet run follows"
                                    " commits, so the fleet repo must be in Git")
            self._source = source
        elif fetch and is_remote_url(self.config.repo):
            self._source.fetch()
        return self._source

    def _load(self, source: GitSource, revision: str) -> Desired:
        """Plan ``revision`` with the memory the status branch records: from the last good
        plan when only templates changed (the same plan a full render gives), else in
        full. Raises ``GitfleetError``."""
        files = source.files_at(revision)
        previous = self._memory.desired
        revision_read = SourceRevision(source, files, revision, revision, False)
        memory = self._recall(source, revision_read)
        planned = plan_files(files, previous.planned if previous else None, keep_tree=True, remember=True,
                             memory=memory)
        if planned.mode == "full":
            log.debug("full render: %s", planned.reason)
        fleet = planned.fleet
        known = {c.name for c in fleet.clusters}
        unknown = sorted(set(self.config.clusters or ()) - known)
        if unknown:
            raise UnknownClusters(f"the run config names unknown cluster(s) {', '.join(unknown)};"
                                  f" the inventory has {', '.join(sorted(known)) or 'none'}")
        members = select_members(fleet, list(self.config.clusters or ()))
        for warning in planned.plan.warnings:
            log_event(log, logging.WARNING, "fleet_warning", revision=revision[:12],
                      message=planned.redactor.text(str(warning)))
        return Desired(revision_read, planned, members)

    def _recall(self, source: GitSource, revision: SourceRevision) -> PlanMemory:
        """The memory the status branch records; when its tip is still the commit this
        process wrote, the state it wrote is that memory, and nothing is read back."""
        written = self._memory.recorded_state
        if written is not None:
            branch = self.config.status_branch or status_branch_name(revision.files.get(FLEET_FILE))
            tip = read_status_tip(source, branch)
            if tip is not None and tip.sha == written[0]:
                status = self._memory.status
                ready = read_observed(status.files, awaiting_readiness(written[1])).ready if status else frozenset()
                return PlanMemory(written[1], clock(None), tip.sha, Observed(dict(self.watch.observed), ready))
        memory = memory_of(revision, self.config.status_branch)
        if self.watch.started:
            # This process's observation is the newest, even when recording it failed.
            memory = replace(memory, observed=replace(memory.observed, health=dict(self.watch.observed)))
        return memory

    def _clusters_key(self, desired: Desired) -> str:
        """Identifies the cluster set: the clusters chosen and how they are reached."""
        h = hashlib.sha256()
        h.update("\0".join(desired.members.names).encode() + b"\n")
        if self.shards is not None:  # a member handed over to this replica is due at once
            h.update(",".join(sorted(self.shards.owned(desired.members.push))).encode() + b"\n")
        self.watch.clients.connection.digest_into(h)
        return h.hexdigest()

    def _due(self, desired: Desired) -> tuple[str, ...]:
        memory = self._memory
        reasons = []
        if desired.sha != memory.applied:
            reasons.append("new source commit")
        if self._clusters_key(desired) != memory.applied_key:
            reasons.append("cluster set changed")
        failed = [n for n in memory.failed if n not in self.watch.down()]
        if failed:
            reasons.append("retrying " + ",".join(failed))
        if memory.applied_plan is not None and desired.planned.plan.placements is not memory.applied_plan \
                and desired.sha == memory.applied and desired.planned.plan.placements != memory.applied_plan:
            reasons.append("placements changed")
        if memory.applied_at is not None and self._clock() - memory.applied_at >= self.config.drift_interval:
            reasons.append("drift check")
        return tuple(reasons)

    def _owner_cycle(self, source: GitSource, desired: Desired, keeper: ShardKeeper) -> CycleReport:
        """A replica that does not lead: apply, to the members it holds, the decisions the
        leader recorded on the status branch (checked as an agent checks them), and record
        only their reports."""
        memory = self._memory
        branch = self.config.status_branch or desired.fleet.settings.status_branch
        owned = keeper.begin(desired.members.push)
        try:
            tip = read_status_tip(source, branch)
            render = tip.render_key if tip is not None else None
            drift = memory.applied_at is not None and self._clock() - memory.applied_at >= self.config.drift_interval
            # Only what changed: a member handed over, a new render, a failure; all at the drift check.
            due = owned if drift else frozenset(
                m for m in owned if memory.owner_applied.get(m) != render or m in memory.failed)
            if not due or tip is None:
                return CycleReport("unchanged", desired.sha)
            clients = self.watch.clients.get(desired.fleet, sorted(due))
            options = ApplyOptions(dry_run=self.config.dry_run, allow_mass_prune=self.config.allow_mass_prune)
            with self._phase("apply"):
                result, reports, problems = apply_recorded(source, branch, due, clients, options)
        finally:
            keeper.end()
        key = (render, owned)
        memory.owner_key = key
        if drift or memory.applied_at is None:
            memory.applied_at = self._clock()
        memory.owner_applied = {m: r for m, r in memory.owner_applied.items() if m in owned}
        memory.owner_applied.update((m, render) for m in due)
        memory.failed = tuple(sorted(n for n, c in result.clusters.items() if not c.ok))
        self.metrics.applied(desired.sha, result)
        self._log_clusters(result, desired.redactor)
        for problem in problems:
            log_event(log, logging.WARNING, "member_refused", message=desired.redactor.text(problem))
        if reports and not self.config.dry_run:
            try:
                with self._phase("record"):
                    _, memory.status = record_observation(desired.revision, branch, {}, memory.status,
                                                          self.config.push_status, reports=reports)
            except GitfleetError as err:
                memory.owner_key, memory.owner_applied = None, {}
                return CycleReport("error", desired.sha, ("owned members",), result,
                                   error=desired.redactor.text(f"recording the reports failed: {err}"))
        outcome = "applied" if result.ok and not problems else "partial"
        return CycleReport(outcome, desired.sha, ("owned members: " + ",".join(sorted(due)),), result,
                           error="; ".join(problems) or None)

    def _apply(self, source: GitSource, desired: Desired, reasons: tuple[str, ...]) -> CycleReport:
        owned: frozenset[str] | None = None
        if self.shards is not None:
            owned = self.shards.begin(desired.members.names)
        try:
            return self._apply_owned(source, desired, reasons, owned)
        finally:
            if self.shards is not None:
                self.shards.end()

    def _apply_owned(self, source: GitSource, desired: Desired, reasons: tuple[str, ...],
                     owned: frozenset[str] | None) -> CycleReport:
        """Apply and record; with several replicas (``owned`` not None) the leader applies
        only the members it holds and records every member's new folder."""
        memory = self._memory
        settings = desired.fleet.settings
        branch = self.config.status_branch or settings.status_branch
        key = self._clusters_key(desired)
        try:
            with self._phase("read_status"):
                status = read_status(source, branch, memory.status)
                memory.status = status
            previous = status.files if status is not None else {}
            members = select_members(desired.fleet, list(self.config.clusters or ()), previous, departed=True)
            others: frozenset[str] = frozenset()
            if owned is not None:
                others = frozenset(members.push) - owned
                members = Members(tuple(n for n in members.push if n in owned), members.departed,
                                  members.skipped_pull)
            down = self.watch.down()
            if down & set(members.names):
                # Tainted by the health machine: not applied to (it would only time out);
                # its folder and inventory stay as recorded until it recovers.
                members = Members(tuple(n for n in members.push if n not in down),
                                  tuple(n for n in members.departed if n not in down), members.skipped_pull)
        except GitfleetError as err:
            return CycleReport("error", desired.sha, reasons, error=desired.redactor.text(str(err)))
        log_event(log, logging.INFO, "apply_start", revision=desired.sha[:12],
                  clusters=",".join(members.names), reasons=",".join(reasons))
        connection = Connection(self.config.kubeconfig, self.config.management_context, self.config.client)
        options = ApplyOptions(dry_run=self.config.dry_run, allow_mass_prune=self.config.allow_mass_prune)
        try:
            with self._phase("apply"):
                result = apply_planned(desired.planned, members, connection, previous, options)
        except GitfleetError as err:
            return CycleReport("error", desired.sha, reasons, error=desired.redactor.text(str(err)))
        memory.applied, memory.applied_key, memory.applied_at = desired.sha, key, self._clock()
        memory.applied_plan = desired.planned.plan.placements
        memory.failed = tuple(sorted(n for n, c in result.clusters.items() if not c.ok))
        self.metrics.applied(desired.sha, result)
        self._log_clusters(result, desired.redactor)
        outcome = "applied" if result.ok else "partial"
        if self.config.dry_run:
            # A dry run changed nothing, so the status branch (the pruning inventory)
            # must not move either.
            return CycleReport(outcome, desired.sha, reasons, result)
        try:
            with self._phase("record"):
                sha, memory.status = record_results(desired.revision, branch, desired.planned, result, status,
                                                    self.config.push_status, also_render=others)
            state = desired.planned.plan.state
            memory.recorded_state = (memory.status.sha, state) if memory.status and state is not None else None
        except GitfleetError as err:
            # Applied but not recorded: the next cycle records it (the apply is due again).
            memory.applied = None
            memory.status = None
            memory.recorded_state = None
            return CycleReport("error", desired.sha, reasons, result,
                               error=desired.redactor.text(f"recording on the status branch failed: {err}"))
        return CycleReport(outcome, desired.sha, reasons, result, sha)

    def _log_clusters(self, result: FleetResult, redactor: Redactor) -> None:
        for name, cluster in sorted(result.clusters.items()):
            counts = cluster.counts()
            fields: dict[str, Any] = {"cluster": name, "ok": cluster.ok, "writes": cluster.writes,
                                      "drift": len(cluster.drift()), "seconds": round(cluster.seconds, 3)}
            fields.update(counts)
            if cluster.error:
                fields["error"] = redactor.text(cluster.error)
            log_event(log, logging.INFO if cluster.ok else logging.WARNING, "cluster", **fields)
            for obj in cluster.objects:
                if obj.action in ("failed", "conflict"):
                    log_event(log, logging.WARNING, "object", cluster=name, resource=obj.key, action=obj.action,
                              message=redactor.text(obj.message))

    def _finish(self, report: CycleReport) -> None:
        now = time.time()
        self.metrics.cycle(report.outcome, report.seconds, now, report.phases)
        with self._health_lock:
            desired = self._memory.desired
            tasks = 0
            if desired is not None and desired.planned.plan.state is not None:
                tasks = sum(len(r.eviction_tasks) for r in desired.planned.plan.state.resources.values())
            self.metrics.tasks(tasks)
            self._health = replace(
                self._health,
                cycles=self._health.cycles + 1,
                outcome=report.outcome,
                error=report.error,
                revision=report.revision or self._health.revision,
                applied_revision=self._memory.applied or self._health.applied_revision,
                finished_at=now,
                eviction_tasks=tasks,
            )
        level = logging.INFO if report.outcome in ("applied", "unchanged") else logging.WARNING
        log_event(log, level, "cycle", outcome=report.outcome,
                  revision=report.revision[:12] if report.revision else None,
                  reasons=",".join(report.reasons) or None, status_commit=report.status_commit,
                  seconds=round(report.seconds, 3), render=report.render,
                  **{f"{name}_s": round(t, 3) for name, t in sorted(report.phases.items())},
                  error=report.error)


MAX_FETCH_BACKOFF = 300.0  # seconds


def fetch_failure_reason(message: str) -> str:
    """A bounded label for why a fetch failed: ``auth`` (credentials refused),
    ``unreachable`` (no answer, no such host, refused), else ``error``."""
    text = message.lower()
    if any(w in text for w in ("auth", "401", "403", "credential", "permission denied", "access denied")):
        return "auth"
    if any(w in text for w in ("resolve", "connect", "refused", "timed out", "timeout", "unreachable",
                               "no route", "network")):
        return "unreachable"
    return "error"


def _reported_capacity(files: Mapping[str, bytes], name: str) -> ResourceSummary | None:
    """The live capacity an agent measured (its ``status/clusters/<name>.yaml``); a report
    that does not read counts as none."""
    from gitfleet.status.health import HealthError, health_path, read_health_file

    path = health_path(name)
    if path not in files:
        return None
    try:
        return read_health_file(path, files[path]).resource_summary
    except HealthError as err:
        log.warning("the capacity in %s's report is not readable: %s", name, err)
        return None


def watch_settings(fleet: Fleet) -> WatchSettings:
    """How the members of ``fleet`` are watched (its ``spec.failover``)."""
    failover = fleet.settings.failover
    return WatchSettings(failover.health_settings(), failover.health_interval, failover.estimator_interval,
                         failover.probe_timeout)


def earliest_recheck(plan: Plan) -> float | None:
    """The earliest ``recheck_at`` of the plan's schedules as Unix time (None: none, or
    one that cannot be read, which then counts as due now)."""
    from datetime import datetime

    times = [e.schedule.recheck_at for e in plan.explanations.values()
             if e.schedule is not None and e.schedule.recheck_at is not None]
    if not times:
        return None
    try:
        return min(datetime.fromisoformat(t).timestamp() for t in times)
    except ValueError:
        return None


def time_dependent(plan: Plan) -> bool:
    """Whether the clock alone can change ``plan``: a graceful eviction task that ends,
    or a target kept only until its NoExecute toleration runs out."""
    if open_tasks(plan):
        return True
    return any(e.schedule is not None and e.schedule.recheck_at is not None for e in plan.explanations.values())


def open_tasks(plan: Plan) -> bool:
    return plan.state is not None and any(r.eviction_tasks for r in plan.state.resources.values())


def _targets(placement: ResourcePlacement) -> str:
    return ",".join(f"{c.name}:{c.replicas}" if c.replicas is not None else c.name for c in placement.clusters)


def _safe_files(source: GitSource, revision: str) -> Mapping[str, bytes]:
    try:
        return source.files_at(revision)
    except GitfleetError:
        return {}
