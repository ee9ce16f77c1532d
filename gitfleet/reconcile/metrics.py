"""The reconciler's Prometheus metrics, in a registry of their own so that two
reconcilers in one process (tests) never share counters."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from gitfleet.apply.result import ACTIONS, FleetResult
from gitfleet.health import HEALTH_TAINTS
from gitfleet.model.health import ClusterHealth
from gitfleet.reconcile.hooks import RESULTS as WEBHOOK_RESULTS

OUTCOMES = ("applied", "partial", "unchanged", "invalid", "error")
OBSERVED_STATES = ("healthy", "unhealthy", "unreachable")


def eviction_reason(reason: str) -> str:
    """A bounded label for an eviction's reason: the health taint that caused it, else
    ``taint`` (a user's NoExecute taint)."""
    for key in HEALTH_TAINTS:
        if key in reason:
            return key.rsplit("/", 1)[-1]
    return "taint"
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ReconcileMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.cycles = Counter("gitfleet_reconcile_cycles", "Reconcile cycles, by outcome.", ["outcome"], registry=r)
        for outcome in OUTCOMES:
            self.cycles.labels(outcome)  # every outcome shows, at 0, from the start
        self.duration = Histogram(
            "gitfleet_reconcile_cycle_duration_seconds", "Wall time of one reconcile cycle.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=r)
        self.phase = Histogram(
            "gitfleet_reconcile_phase_duration_seconds",
            "Wall time of one step of a reconcile cycle: render (load and plan a new commit), read_status,"
            " apply, record (commit to the status branch).",
            ["phase"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=r)
        self.source = Gauge("gitfleet_applied_source_info",
                            "The source commit last applied (1 on the current revision).", ["revision"], registry=r)
        self.objects = Gauge("gitfleet_cluster_objects", "Objects of the last apply, by cluster and action.",
                             ["cluster", "action"], registry=r)
        self.drift = Gauge("gitfleet_cluster_drift", "Drifted fields found by the last apply, by cluster.",
                           ["cluster"], registry=r)
        self.cluster_ok = Gauge("gitfleet_cluster_ok", "1 when the last apply to the cluster succeeded, else 0.",
                                ["cluster"], registry=r)
        self.last_success = Gauge("gitfleet_reconcile_last_success_timestamp_seconds",
                                  "When a cycle last ended without an error (Unix time).", registry=r)

        self.cluster_health = Gauge(
            "gitfleet_cluster_health",
            "Observed health of each Push member: 1 on its current state (healthy, unhealthy, unreachable)"
            " and 0 on the others; 'tainted' is 1 while the health taints are set.",
            ["cluster", "state"], registry=r)
        self.evictions = Counter("gitfleet_evictions", "Resources evicted from a member by a NoExecute taint,"
                                 " by the taint that evicted them.", ["reason"], registry=r)
        self.eviction_tasks = Gauge("gitfleet_graceful_eviction_tasks",
                                    "Graceful eviction tasks open (an old copy kept until its replacements"
                                    " are ready).", registry=r)
        self.guard = Gauge("gitfleet_disruption_guard_active",
                           "1 while too many members look down at once to evict any (the disruption guard).",
                           registry=r)
        self.fetch_failures = Counter("gitfleet_source_fetch_failures", "Failed fetches of the fleet repo, by"
                                      " reason (auth, unreachable, error).", ["reason"], registry=r)
        self.source_up = Gauge("gitfleet_source_up", "1 when the last fetch of the fleet repo succeeded, else 0.",
                               registry=r)
        self.rewrites = Counter("gitfleet_source_history_rewrites", "New tips of the followed branch that do not"
                                " contain the commit applied last (a force-push).", registry=r)
        self.estimator_age = Gauge("gitfleet_estimator_age_seconds",
                                   "Seconds since the member's live capacity was last read from its Nodes.",
                                   ["cluster"], registry=r)
        self.webhooks = Counter("gitfleet_webhook_requests", "Requests to POST /hooks/git, by result: accepted"
                                " (a cycle is due), unauthorized, too_large, ignored (a ping), bad_request.",
                                ["result"], registry=r)
        for result in WEBHOOK_RESULTS:
            self.webhooks.labels(result)

    def webhook(self, result: str) -> None:
        self.webhooks.labels(result).inc()

    def source_failed(self, reason: str) -> None:
        self.fetch_failures.labels(reason).inc()
        self.source_up.set(0)

    def source_ok(self) -> None:
        self.source_up.set(1)

    def history_rewritten(self) -> None:
        self.rewrites.inc()

    def watched(self, observed: Mapping[str, ClusterHealth], guard: bool, ages: Mapping[str, float]) -> None:
        for name, health in observed.items():
            outcome = health.last_probe.outcome if health.last_probe is not None else None
            for state in OBSERVED_STATES:
                self.cluster_health.labels(name, state).set(1 if state == outcome else 0)
            self.cluster_health.labels(name, "tainted").set(1 if health.taints else 0)
        self.guard.set(1 if guard else 0)
        for name, age in ages.items():
            self.estimator_age.labels(name).set(age)

    def evicted(self, reason: str) -> None:
        self.evictions.labels(eviction_reason(reason)).inc()

    def tasks(self, count: int) -> None:
        self.eviction_tasks.set(count)

    def cycle(self, outcome: str, seconds: float, finished_at: float,
              phases: Mapping[str, float] | None = None) -> None:
        self.cycles.labels(outcome).inc()
        self.duration.observe(seconds)
        for phase, phase_seconds in (phases or {}).items():
            self.phase.labels(phase).observe(phase_seconds)
        if outcome in ("applied", "unchanged"):
            self.last_success.set(finished_at)

    def applied(self, revision: str, result: FleetResult) -> None:
        self.source.clear()
        self.source.labels(revision).set(1)
        for name, cluster in result.clusters.items():
            counts = cluster.counts()
            for action in ACTIONS:
                self.objects.labels(name, action).set(counts.get(action, 0))
            self.drift.labels(name).set(len(cluster.drift()))
            self.cluster_ok.labels(name).set(1 if cluster.ok else 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
