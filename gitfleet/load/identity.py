"""What a template may not vary per cluster (DESIGN.md §1 Templates).

Placement is decided once per resource, from the render for the first cluster of
the inventory. If apiVersion, kind, namespace, name, labels or the replica count
changed with ``cluster``, each cluster's copy would be a different object than the
one that was placed; that is an error.

Comparing the renders for two real clusters misses it when the inventory (or the
placement) has only one, so each template is also rendered for a *probe*: the first
cluster with every name and label value changed (:func:`probe_cluster`). A template
that differs there depends on ``cluster``, however many clusters there are today.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from gitfleet.errors import TemplateError
from gitfleet.model.cluster import Cluster

_MISSING = object()
PROBE_SUFFIX = "-gitfleet-probe"

# (description, path) of each part of a document that decides placement.
IDENTITY_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("apiVersion", ("apiVersion",)),
    ("kind", ("kind",)),
    ("metadata.namespace", ("metadata", "namespace")),
    ("metadata.name", ("metadata", "name")),
    ("metadata.labels", ("metadata", "labels")),
    ("spec.replicas", ("spec", "replicas")),
    ("spec.parallelism", ("spec", "parallelism")),
    ("spec.completions", ("spec", "completions")),
)


def _get(obj: Any, path: Sequence[str]) -> Any:
    for step in path:
        if not isinstance(obj, Mapping) or step not in obj:
            return _MISSING
        obj = obj[step]
    return obj


def check_identity(
    first: Mapping[str, Any],
    other: Mapping[str, Any],
    path: str,
    *,
    line: int = 1,
    col: int = 1,
    cluster: str | None = None,
) -> None:
    """Raise ``TemplateError`` when ``other`` (a render for another cluster) differs
    from ``first`` in a field that decides placement.

    A namespace present on one side only is not a difference: the loader fills in
    ``default`` (or drops it for cluster-scoped kinds) after rendering, so ``first``
    may be ``Template.obj`` and ``other`` a raw render.
    """
    for label, field_path in IDENTITY_FIELDS:
        a, b = _get(first, field_path), _get(other, field_path)
        if label == "metadata.namespace" and (a in (_MISSING, None, "") or b in (_MISSING, None, "")):
            continue
        if a == b:
            continue
        shown_a = "absent" if a is _MISSING else repr(a)
        shown_b = "absent" if b is _MISSING else repr(b)
        where = f"cluster {cluster!r}" if cluster else "another cluster"
        raise TemplateError(
            path, line, col,
            f"{label} depends on `cluster` ({shown_a} for the first cluster, {shown_b} for {where}); "
            "what decides placement (apiVersion, kind, namespace, name, labels, replicas) must not",
        )


def with_namespace(obj: Mapping[str, Any], namespace: str | None) -> dict[str, Any]:
    """A copy of ``obj`` whose ``metadata.namespace`` is ``namespace`` (removed when
    ``None``: cluster-scoped). Only the top level and ``metadata`` are copied."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    if namespace is None:
        meta.pop("namespace", None)
    else:
        meta["namespace"] = namespace
    out["metadata"] = meta
    return out


def _probed(value: Any) -> Any:
    return f"{value}{PROBE_SUFFIX}" if isinstance(value, str) else value


def probe_cluster(cluster: Cluster) -> Cluster:
    """``cluster`` with its name, label values, provider, region and zones changed.

    Only values change, never keys or types, so a template that reads
    ``cluster.labels.env`` still renders; what it renders for the probe differs from
    what it renders for ``cluster`` exactly where the output depends on these values.
    """
    labels = {k: _probed(v) for k, v in cluster.labels.items()}
    obj = dict(cluster.obj)
    meta = dict(obj.get("metadata") or {}) if isinstance(obj.get("metadata"), Mapping) else {}
    meta["name"] = _probed(cluster.name)
    if isinstance(meta.get("labels"), Mapping):
        meta["labels"] = labels
    obj["metadata"] = meta
    return replace(
        cluster,
        name=_probed(cluster.name),
        labels=labels,
        provider=_probed(cluster.provider),
        region=_probed(cluster.region),
        zones=tuple(_probed(z) for z in cluster.zones),
        obj=obj,
    )
