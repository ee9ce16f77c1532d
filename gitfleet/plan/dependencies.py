"""What a workload depends on, for ``propagateDeps`` (Karmada's default native
dependency interpreter, ``pkg/resourceinterpreter/default/native/dependencies.go``).

Only references inside the workload's own namespace exist in Kubernetes, so the
result is a set of resource keys in that namespace."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gitfleet.model.keys import ResourceId

# Volume sources whose secret is named under `secretRef.name`.
_SECRET_REF_VOLUMES = ("cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos")


def _pod_spec(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
        return ((spec.get("template") or {}).get("spec")) or {}
    if kind == "CronJob":
        job = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        return ((job.get("template") or {}).get("spec")) or {}
    return None


def _containers(pod: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(field) or ()


def _names(pod: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, name) pairs referenced by a pod spec."""
    for ref in pod.get("imagePullSecrets") or ():
        yield "Secret", ref.get("name", "")
    sa = pod.get("serviceAccountName") or ""
    if sa and sa != "default":
        yield "ServiceAccount", sa
    for container in _containers(pod):
        for env in container.get("env") or ():
            source = env.get("valueFrom") or {}
            if "configMapKeyRef" in source:
                yield "ConfigMap", (source["configMapKeyRef"] or {}).get("name", "")
            if "secretKeyRef" in source:
                yield "Secret", (source["secretKeyRef"] or {}).get("name", "")
        for env_from in container.get("envFrom") or ():
            if "configMapRef" in env_from:
                yield "ConfigMap", (env_from["configMapRef"] or {}).get("name", "")
            if "secretRef" in env_from:
                yield "Secret", (env_from["secretRef"] or {}).get("name", "")
    for volume in pod.get("volumes") or ():
        if "configMap" in volume:
            yield "ConfigMap", (volume["configMap"] or {}).get("name", "")
        if "secret" in volume:
            yield "Secret", (volume["secret"] or {}).get("secretName", "")
        if "persistentVolumeClaim" in volume:
            yield "PersistentVolumeClaim", (volume["persistentVolumeClaim"] or {}).get("claimName", "")
        for source in (volume.get("projected") or {}).get("sources") or ():
            if "configMap" in source:
                yield "ConfigMap", (source["configMap"] or {}).get("name", "")
            if "secret" in source:
                yield "Secret", (source["secret"] or {}).get("name", "")
        if "azureFile" in volume:
            yield "Secret", (volume["azureFile"] or {}).get("secretName", "")
        for field in _SECRET_REF_VOLUMES:
            if field in volume:
                yield "Secret", ((volume[field] or {}).get("secretRef") or {}).get("name", "")
        if "csi" in volume:
            yield "Secret", ((volume["csi"] or {}).get("nodePublishSecretRef") or {}).get("name", "")


def dependencies(obj: Mapping[str, Any], namespace: str) -> tuple[ResourceId, ...]:
    """The ConfigMaps, Secrets, ServiceAccounts and PVCs ``obj`` refers to, sorted."""
    refs: Iterable[tuple[str, str]]
    pod = _pod_spec(obj)
    if pod is not None:
        refs = list(_names(pod))
        if obj.get("kind") == "StatefulSet":
            # Claims made from volumeClaimTemplates are created per replica by the
            # StatefulSet controller in the member; they are not dependencies.
            templated = {
                (t.get("metadata") or {}).get("name")
                for t in (obj.get("spec") or {}).get("volumeClaimTemplates") or ()
            }
            refs = [(k, n) for k, n in refs if not (k == "PersistentVolumeClaim" and n in templated)]
    elif obj.get("kind") == "Ingress":
        refs = [("Secret", tls.get("secretName", "")) for tls in (obj.get("spec") or {}).get("tls") or ()]
    else:
        return ()
    return tuple(sorted({ResourceId("v1", kind, namespace, name) for kind, name in refs if name}))
