"""The reconciler's Prometheus metrics, in a registry of their own so that two
reconcilers in one process (tests) never share counters."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from gitfleet.apply.result import ACTIONS, FleetResult

OUTCOMES = ("applied", "partial", "unchanged", "invalid", "error")
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
