"""Whether a kind is namespaced: a built-in table of Kubernetes' own kinds and of the
kinds Karmada installs, extended by the CustomResourceDefinitions found in the fleet
repo and, in the shell, by live discovery of a reachable cluster."""

from __future__ import annotations

from collections.abc import Mapping

# What Karmada installs: the CRDs it ships (charts/karmada/_crds/bases, including the
# MCS API's ServiceExport and ServiceImport) and the kinds of its aggregated API servers
# (Cluster, ResourceRegistry). (group, kind) -> namespaced.
KARMADA_SCOPES: Mapping[tuple[str, str], bool] = {
    ("cluster.karmada.io", "Cluster"): False,
    ("policy.karmada.io", "PropagationPolicy"): True,
    ("policy.karmada.io", "OverridePolicy"): True,
    ("policy.karmada.io", "ClusterPropagationPolicy"): False,
    ("policy.karmada.io", "ClusterOverridePolicy"): False,
    ("policy.karmada.io", "ClusterTaintPolicy"): False,
    ("policy.karmada.io", "FederatedResourceQuota"): True,
    ("work.karmada.io", "ResourceBinding"): True,
    ("work.karmada.io", "ClusterResourceBinding"): False,
    ("work.karmada.io", "Work"): True,
    ("config.karmada.io", "ResourceInterpreterCustomization"): False,
    ("config.karmada.io", "ResourceInterpreterWebhookConfiguration"): False,
    ("networking.karmada.io", "MultiClusterIngress"): True,
    ("networking.karmada.io", "MultiClusterService"): True,
    ("autoscaling.karmada.io", "FederatedHPA"): True,
    ("autoscaling.karmada.io", "CronFederatedHPA"): True,
    ("apps.karmada.io", "WorkloadRebalancer"): False,
    ("remedy.karmada.io", "Remedy"): False,
    ("search.karmada.io", "ResourceRegistry"): False,
    ("multicluster.x-k8s.io", "ServiceExport"): True,
    ("multicluster.x-k8s.io", "ServiceImport"): True,
}

# (group, kind) -> namespaced. "" is the core group.
BUILTIN_SCOPES: Mapping[tuple[str, str], bool] = {
    **{("", k): True for k in (
        "ConfigMap", "Secret", "Service", "ServiceAccount", "Pod", "PodTemplate",
        "PersistentVolumeClaim", "Endpoints", "LimitRange", "ResourceQuota",
        "ReplicationController", "Event", "Binding",
    )},
    **{("", k): False for k in ("Namespace", "Node", "PersistentVolume", "ComponentStatus")},
    **{("apps", k): True for k in (
        "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision")},
    ("batch", "Job"): True,
    ("batch", "CronJob"): True,
    ("autoscaling", "HorizontalPodAutoscaler"): True,
    ("policy", "PodDisruptionBudget"): True,
    ("networking.k8s.io", "Ingress"): True,
    ("networking.k8s.io", "NetworkPolicy"): True,
    ("networking.k8s.io", "IngressClass"): False,
    ("discovery.k8s.io", "EndpointSlice"): True,
    ("rbac.authorization.k8s.io", "Role"): True,
    ("rbac.authorization.k8s.io", "RoleBinding"): True,
    ("rbac.authorization.k8s.io", "ClusterRole"): False,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): False,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): False,
    ("storage.k8s.io", "StorageClass"): False,
    ("storage.k8s.io", "CSIDriver"): False,
    ("storage.k8s.io", "VolumeAttachment"): False,
    ("scheduling.k8s.io", "PriorityClass"): False,
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): False,
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): False,
    ("apiregistration.k8s.io", "APIService"): False,
    ("coordination.k8s.io", "Lease"): True,
    ("node.k8s.io", "RuntimeClass"): False,
    ("certificates.k8s.io", "CertificateSigningRequest"): False,
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"): False,
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"): False,
    **KARMADA_SCOPES,
}


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def is_namespaced(
    api_version: str, kind: str, extra: Mapping[tuple[str, str], bool] | None = None
) -> bool | None:
    """True/False when the scope is known, None when neither table knows the kind."""
    key = (group_of(api_version), kind)
    if extra and key in extra:
        return extra[key]
    return BUILTIN_SCOPES.get(key)
