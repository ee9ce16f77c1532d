"""Replica counts of the workloads Karmada interprets, checked where the template is read.

The scheduler reads ``spec.replicas`` (a Job's ``spec.parallelism`` and
``spec.completions``) long after the document's positions are gone; a count the API
server would refuse (negative, not an integer, beyond int32) is therefore reported
here, at its own line and column, before anything is planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitfleet.load.report import Reporter

MAX_INT32 = 2**31 - 1
# (apiVersion, kind) -> the count fields under spec, as Karmada's interpreter reads them.
COUNT_FIELDS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("apps/v1", "Deployment"): ("replicas",),
    ("apps/v1", "ReplicaSet"): ("replicas",),
    ("apps/v1", "StatefulSet"): ("replicas",),
    ("batch/v1", "Job"): ("parallelism", "completions"),
}


def check_counts(doc: Mapping[str, Any], report: Reporter) -> None:
    """Report each count field of ``doc`` that is not an integer from 0 to int32's maximum."""
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return
    for key in COUNT_FIELDS.get((doc.get("apiVersion"), doc.get("kind")), ()):  # type: ignore[arg-type]
        raw = spec.get(key)
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_INT32:
            report.error(("spec", key), f"must be an integer from 0 to {MAX_INT32}, not {raw!r}")
