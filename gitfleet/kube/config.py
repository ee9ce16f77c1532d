"""How gitfleet reaches each member (DESIGN.md, issue 4 "Credentials"): the kubeconfig
context named like the cluster (``--kubeconfig``, else ``KUBECONFIG``, else
``~/.kube/config``), or, for a cluster without such a context, the inventory's
``spec.apiEndpoint`` with the token and CA of the Secret named by ``spec.secretRef``
(Karmada's convention: keys ``token`` and ``caBundle``) read from a management
cluster, which is the cluster gitfleet runs in or a kubeconfig context.

A kubeconfig context of a server with a CA and a token or client certificate is read
here (:mod:`gitfleet.kube.endpoint`); for anything more (exec plugins, auth providers,
proxies, merged KUBECONFIG lists) and for in-cluster credentials the ``kubernetes``
library is imported, only then."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitfleet.kube import endpoint
from gitfleet.kube.client import KubeClient
from gitfleet.kube.errors import ConfigError, KubeError
from gitfleet.kube.settings import ClientSettings
from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId

if TYPE_CHECKING:
    from kubernetes.client import Configuration


def kubeconfig_file(explicit: str | os.PathLike[str] | None) -> str | None:
    """The kubeconfig to read (``None`` lets the client use ``KUBECONFIG`` or its default)."""
    return os.fspath(explicit) if explicit else None


def context_names(kubeconfig: str | os.PathLike[str] | None) -> set[str]:
    """Names of the contexts in the kubeconfig; empty when there is none."""
    found = endpoint.context_names(kubeconfig_file(kubeconfig))
    if found is not None:
        return found
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    try:
        contexts, _ = kube_config.list_kube_config_contexts(config_file=kubeconfig_file(kubeconfig))
    except (ConfigException, OSError, TypeError):
        return set()
    return {str(c["name"]) for c in contexts or ()}


def configuration_from_context(kubeconfig: str | os.PathLike[str] | None,
                               context: str) -> Configuration | endpoint.Endpoint:
    """How to reach the server of kubeconfig context ``context``."""
    simple = endpoint.read_endpoint(kubeconfig_file(kubeconfig), context)
    if simple is not None:
        return simple
    from kubernetes import config as kube_config
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException

    cfg = Configuration()
    try:
        kube_config.load_kube_config(config_file=kubeconfig_file(kubeconfig), context=context,
                                     client_configuration=cfg, persist_config=False)
    except (ConfigException, OSError) as err:
        raise ConfigError(f"kubeconfig context {context!r}: {err}") from err
    return cfg


def in_cluster_configuration() -> Configuration:
    """The service account's own cluster, when gitfleet runs in a Pod."""
    from kubernetes import config as kube_config
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException

    cfg = Configuration()
    try:
        kube_config.load_incluster_config(client_configuration=cfg)
    except ConfigException as err:
        raise ConfigError(f"not running in a cluster: {err}") from err
    return cfg


def _decoded(data: Mapping[str, Any], key: str) -> bytes | None:
    value = data.get(key)
    if not value:
        return None
    return base64.b64decode(str(value))


def configuration_from_secret(cluster: Cluster, secret: Mapping[str, Any]) -> Configuration:
    """A Configuration for ``cluster.api_endpoint`` with the credentials of a Karmada
    cluster Secret (``data.token``, ``data.caBundle``)."""
    data = secret.get("data") or {}
    token = _decoded(data, "token")
    if not token:
        ref = cluster.secret_ref or {}
        raise ConfigError(
            f"cluster {cluster.name}: secret {ref.get('namespace')}/{ref.get('name')} has no 'token' key"
        )
    from kubernetes.client import Configuration

    spec = cluster.obj.get("spec") or {}
    cfg = Configuration()
    cfg.host = str(cluster.api_endpoint).rstrip("/")
    cfg.api_key = {"authorization": token.decode().strip()}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    ca = _decoded(data, "caBundle")
    if spec.get("insecureSkipTLSVerification"):
        cfg.verify_ssl = False
    elif ca:
        handle, path = tempfile.mkstemp(prefix=f"gitfleet-{cluster.name}-ca-", suffix=".crt")
        with os.fdopen(handle, "wb") as out:
            out.write(ca)
        cfg.ssl_ca_cert = path
    if spec.get("proxyURL"):
        cfg.proxy = str(spec["proxyURL"])
    return cfg


def connect(
    clusters: list[Cluster] | tuple[Cluster, ...],
    kubeconfig: str | os.PathLike[str] | None = None,
    management: KubeClient | None = None,
    settings: ClientSettings | None = None,
) -> dict[str, KubeClient | ConfigError]:
    """A client for each cluster, or the reason there is none. Builds clients only;
    no member is contacted (the management cluster is, for ``secretRef``)."""
    names = context_names(kubeconfig)
    out: dict[str, KubeClient | ConfigError] = {}
    for cluster in clusters:
        try:
            if cluster.name in names:
                cfg = configuration_from_context(kubeconfig, cluster.name)
            elif cluster.api_endpoint and cluster.secret_ref:
                cfg = _from_management(cluster, management)
            else:
                where = Path(kubeconfig_file(kubeconfig) or os.environ.get("KUBECONFIG") or "~/.kube/config")
                raise ConfigError(
                    f"cluster {cluster.name}: no context named {cluster.name!r} in {where}, and the"
                    " inventory gives no spec.apiEndpoint with spec.secretRef"
                )
            out[cluster.name] = KubeClient(cluster.name, cfg, settings)
        except ConfigError as err:
            out[cluster.name] = err
    return out


def _from_management(cluster: Cluster, management: KubeClient | None) -> Configuration:
    ref = cluster.secret_ref or {}
    if management is None:
        raise ConfigError(
            f"cluster {cluster.name}: spec.secretRef needs a management cluster; run gitfleet in"
            " a cluster or name a kubeconfig context with --management-context"
        )
    rid = ResourceId("v1", "Secret", str(ref.get("namespace") or "default"), str(ref.get("name") or ""))
    try:
        secret = management.get(rid)
    except KubeError as err:
        raise ConfigError(f"cluster {cluster.name}: cannot read secret {rid.namespace}/{rid.name}: {err}") from err
    if secret is None:
        raise ConfigError(
            f"cluster {cluster.name}: secret {rid.namespace}/{rid.name} (spec.secretRef) not found"
            f" on the management cluster"
        )
    return configuration_from_secret(cluster, secret)


def management_client(
    context: str | None, kubeconfig: str | os.PathLike[str] | None = None,
    settings: ClientSettings | None = None,
) -> KubeClient | None:
    """The management cluster: a named kubeconfig context, else the cluster gitfleet
    runs in, else ``None``."""
    if context:
        return KubeClient(f"management ({context})", configuration_from_context(kubeconfig, context), settings)
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return KubeClient("management (in-cluster)", in_cluster_configuration(), settings)
    return None
