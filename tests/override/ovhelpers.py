"""Builders shared by the override tests: small manifests and policies."""

from __future__ import annotations

from typing import Any

from gitfleet.model import (
    ClusterAffinity,
    OverridePolicy,
    Overriders,
    OverrideRule,
    ResourceSelector,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4


def deployment(*containers: dict[str, Any], name: str = "web", namespace: str = "default",
               labels: dict[str, str] | None = None, kind: str = "Deployment") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels is not None:
        meta["labels"] = dict(labels)
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": meta,
        "spec": {"replicas": 3, "template": {"spec": {"containers": list(containers)}}},
    }


def pod(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": list(containers)}}


def container(name: str, image: str = "nginx", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def policy(name: str, *rules: Overriders | tuple[Overriders, ClusterAffinity | None],
           namespace: str | None = "default",
           selectors: tuple[ResourceSelector, ...] = ()) -> OverridePolicy:
    built = []
    for index, rule in enumerate(rules):
        overriders, target = rule if isinstance(rule, tuple) else (rule, None)
        built.append(OverrideRule(overriders, target, index))
    kind = "ClusterOverridePolicy" if namespace is None else "OverridePolicy"
    return OverridePolicy(kind, name, namespace, selectors, tuple(built))


def select_deployment(name: str | None = None, namespace: str | None = None, **labels: str) -> ResourceSelector:
    from gitfleet.model import LabelSelector

    selector = LabelSelector(match_labels=tuple(labels.items())) if labels else None
    return ResourceSelector("apps/v1", "Deployment", namespace, name, selector)
