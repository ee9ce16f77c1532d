"""Errors of the scheduling core.

A scheduling failure is not an invalid input (KARMADA-SEMANTICS §0): Karmada records
``Scheduled=False`` and places nothing, so the scheduler turns ``SchedulingError`` into
``ScheduleResult.error``. ``WorkloadError`` is different: the template itself is
malformed (a replica count that is not an integer, an unparsable quantity), which the
Kubernetes API would have rejected, so it is an input error for the caller to report
with the template's position."""

from __future__ import annotations

from gitfleet.errors import GitfleetError


class SchedulingError(GitfleetError):
    """Scheduling failed; the message is Karmada-like and says what to change."""


class WorkloadError(GitfleetError):
    """A workload field the replica interpreter reads is malformed."""


class CapacityError(GitfleetError):
    """A cluster's ``status.resourceSummary`` holds a quantity that cannot be parsed."""
