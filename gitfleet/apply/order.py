"""The order objects are applied in: CustomResourceDefinitions (then waited for until
established), Namespaces, then what other objects refer to before what refers to it,
webhooks last so that they cannot block the objects their own backends need. Deletion
runs the same table backwards. One table, as in lightkube and Helm."""

from __future__ import annotations

from collections.abc import Iterable

from gitfleet.model.keys import ResourceId

CRD_WAVE = 0

# (group, kind) by wave; kinds not listed (custom resources) go after the built-ins,
# before the webhooks.
_WAVES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("apiextensions.k8s.io", "CustomResourceDefinition"),),
    (("", "Namespace"),),
    (("", "ResourceQuota"), ("", "LimitRange"), ("scheduling.k8s.io", "PriorityClass"),
     ("storage.k8s.io", "StorageClass"), ("node.k8s.io", "RuntimeClass"),
     ("networking.k8s.io", "IngressClass"), ("policy", "PodSecurityPolicy")),
    (("", "ServiceAccount"), ("", "Secret"), ("", "ConfigMap"), ("", "PersistentVolume"),
     ("", "PersistentVolumeClaim")),
    (("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
     ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding")),
    (("", "Service"), ("", "Endpoints"), ("discovery.k8s.io", "EndpointSlice")),
    (("apps", "DaemonSet"), ("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "ReplicaSet"),
     ("", "ReplicationController"), ("", "Pod"), ("batch", "Job"), ("batch", "CronJob")),
    (("autoscaling", "HorizontalPodAutoscaler"), ("policy", "PodDisruptionBudget"),
     ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy")),
)
_RANK = {gk: rank for rank, wave in enumerate(_WAVES) for gk in wave}
CUSTOM_RANK = len(_WAVES)
_LAST: tuple[tuple[str, str], ...] = (
    ("apiregistration.k8s.io", "APIService"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
)
_RANK.update({gk: CUSTOM_RANK + 1 for gk in _LAST})


def rank(rid: ResourceId) -> int:
    """The wave of an object: 0 for CRDs, 1 for Namespaces, higher later."""
    return _RANK.get((rid.group, rid.kind), CUSTOM_RANK)


def apply_waves(keys: Iterable[str]) -> list[list[str]]:
    """``keys`` grouped into waves, in apply order; each wave sorted by key."""
    by_rank: dict[int, list[str]] = {}
    for key in keys:
        by_rank.setdefault(rank(ResourceId.parse(key)), []).append(key)
    return [sorted(by_rank[r]) for r in sorted(by_rank)]


def delete_waves(keys: Iterable[str]) -> list[list[str]]:
    """The same waves in reverse: dependents go before what they depend on."""
    return list(reversed(apply_waves(keys)))
