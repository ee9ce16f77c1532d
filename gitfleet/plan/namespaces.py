"""Karmada's namespace sync: a Namespace reaches every cluster without any policy
(``pkg/controllers/namespace/namespace_sync_controller.go``), except the ones below."""

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
