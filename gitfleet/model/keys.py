"""Resource keys: ``<apiVersion>/<Kind>/<namespace>/<name>``, with ``_`` standing for
the namespace of cluster-scoped objects. The same key is used on the command line,
in JSON output and in status files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLUSTER_SCOPE = "_"


@dataclass(frozen=True, order=True)
class ResourceId:
    """Identity of a Kubernetes object. ``namespace`` is ``None`` when cluster-scoped."""

    api_version: str
    kind: str
    namespace: str | None
    name: str

    @property
    def key(self) -> str:
        return f"{self.api_version}/{self.kind}/{self.namespace or CLUSTER_SCOPE}/{self.name}"

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def namespaced(self) -> bool:
        return self.namespace is not None

    def __str__(self) -> str:
        return self.key

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ResourceId:
        """Identity of a manifest as written (namespace taken as given, not defaulted)."""
        meta = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion", "")),
            str(obj.get("kind", "")),
            meta.get("namespace") or None,
            str(meta.get("name", "")),
        )

    @classmethod
    def parse(cls, key: str) -> ResourceId:
        """Parse a key; the apiVersion may itself contain one ``/`` (``apps/v1``)."""
        parts = key.split("/")
        if len(parts) == 4:
            api_version, kind, ns, name = parts
        elif len(parts) == 5:
            api_version, kind, ns, name = "/".join(parts[:2]), parts[2], parts[3], parts[4]
        else:
            raise ValueError(
                f"resource key {key!r} is not <apiVersion>/<Kind>/<namespace>/<name>"
                " (use _ as the namespace of cluster-scoped objects)"
            )
        return cls(api_version, kind, None if ns == CLUSTER_SCOPE else ns, name)
