"""``fleet.yaml`` ``spec.failover``: how the reconciler watches its members and how a
failed member's workloads move (issue 11, KARMADA-RESCHEDULING §5-§6).

Each setting mirrors a flag of a Karmada component, with that flag's default: the
cluster controller's failure/success thresholds, the webhook's default toleration
seconds, the graceful-eviction controller's timeout and the taint manager's purge mode.
``max_unhealthy_fraction`` is gitfleet's own disruption guard."""

from __future__ import annotations

from dataclasses import dataclass

from gitfleet.model.health import HealthSettings
from gitfleet.model.policy import ClusterPurgeMode, Toleration

NOT_READY = "cluster.karmada.io/not-ready"
UNREACHABLE = "cluster.karmada.io/unreachable"
NO_EXECUTE = "NoExecute"


@dataclass(frozen=True)
class FailoverSettings:
    # NoExecute taints evict; on by default, unlike Karmada, since a fleet runs gitfleet
    # to get failover.
    no_execute_eviction: bool = True
    failure_threshold: int = 3  # --cluster-failure-threshold (consecutive failed probes)
    success_threshold: int = 1  # --cluster-success-threshold
    max_unhealthy_fraction: float = 0.55
    health_interval: float = 10.0  # seconds between /readyz probes
    estimator_interval: float = 60.0  # seconds between reads of Nodes and Pods
    probe_timeout: float = 5.0  # seconds
    default_not_ready_toleration_seconds: int = 300  # --default-not-ready-toleration-seconds
    default_unreachable_toleration_seconds: int = 300  # --default-unreachable-toleration-seconds
    graceful_eviction_timeout: float = 600.0  # --graceful-eviction-timeout, seconds
    purge_mode: ClusterPurgeMode = "Gracefully"  # --no-execute-taint-eviction-purge-mode

    def health_settings(self) -> HealthSettings:
        """The thresholds the health state machine runs with."""
        return HealthSettings(
            failure_threshold=self.failure_threshold,
            success_threshold=self.success_threshold,
            max_unhealthy_fraction=self.max_unhealthy_fraction,
            no_execute_eviction=self.no_execute_eviction,
        )

    def default_tolerations(self) -> tuple[Toleration, Toleration]:
        """What Karmada's PropagationPolicy webhook adds to a policy that states no
        toleration of its own for the two health taints (``helper.NewNotReadyToleration``,
        ``NewUnreachableToleration``; Karmada up to v1.14)."""
        return (
            Toleration(NOT_READY, "Exists", "", NO_EXECUTE, self.default_not_ready_toleration_seconds),
            Toleration(UNREACHABLE, "Exists", "", NO_EXECUTE, self.default_unreachable_toleration_seconds),
        )
