"""Karmada's namespace sync: a Namespace reaches every cluster without any policy
(``pkg/controllers/namespace/namespace_sync_controller.go``), except the ones below.

Since no policy places it, no policy's ``conflictResolution`` reaches it either: the
sync controller's Work carries no conflict-resolution annotation, so Karmada
(``objectwatcher.allowUpdate``) adopts a Namespace that already exists in a member only
when the Namespace itself carries ``work.karmada.io/conflict-resolution: overwrite``.
gitfleet does the same, and its conflict message says so (:func:`adoption_hint`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SKIP_LABEL = "namespace.karmada.io/skip-auto-propagation"
# Karmada's reserved namespaces and the default --skipped-propagating-namespaces (kube-.*).
_NEVER = re.compile(r"^(default|karmada-system|karmada-cluster|karmada-es-.*|kube-.*)$")


def auto_propagated_namespace(obj: Mapping[str, Any]) -> bool:
    if obj.get("apiVersion") != "v1" or obj.get("kind") != "Namespace":
        return False
    metadata = obj.get("metadata") or {}
    if _NEVER.match(str(metadata.get("name", ""))):
        return False
    return str((metadata.get("labels") or {}).get(SKIP_LABEL, "")).lower() != "true"


CONFLICT_ANNOTATION = "work.karmada.io/conflict-resolution"


def adoption_hint(obj: Mapping[str, Any]) -> str:
    """What makes gitfleet adopt ``obj`` when the member already has it unmanaged."""
    if auto_propagated_namespace(obj):
        return (f"annotate the Namespace in the fleet repo with {CONFLICT_ANNOTATION}: overwrite to adopt it;"
                " a policy's conflictResolution does not apply to Namespaces, which are propagated"
                " without a policy (as in Karmada)")
    return (f"conflictResolution: Overwrite on its PropagationPolicy, or the annotation {CONFLICT_ANNOTATION}:"
            " overwrite on the template, adopts it")
