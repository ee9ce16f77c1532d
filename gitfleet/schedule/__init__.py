"""The scheduling core: which policy claims a resource, and which clusters get it with
how many replicas (Karmada's detector and scheduler semantics, KARMADA-SEMANTICS §1-§2).
Pure functions over the model; no I/O."""

from gitfleet.schedule.errors import CapacityError, SchedulingError, WorkloadError
from gitfleet.schedule.policy_select import select_policy, skip_reason
from gitfleet.schedule.scheduler import schedule
from gitfleet.schedule.webster import webster
from gitfleet.schedule.workload import (
    Workload,
    divide_job_completions,
    interpret,
    revise_completions,
    revise_replicas,
)

__all__ = [
    "CapacityError",
    "SchedulingError",
    "Workload",
    "WorkloadError",
    "divide_job_completions",
    "interpret",
    "revise_completions",
    "revise_replicas",
    "schedule",
    "select_policy",
    "skip_reason",
    "webster",
]
