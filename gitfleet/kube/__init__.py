"""Kubernetes adapter: the only package that imports ``kubernetes``. Clients per
member cluster with their own concurrency bound and rate limit, discovery, and error
types mapped from HTTP status codes.

Names are resolved lazily (PEP 562): importing the Kubernetes client library costs
about half a second, which commands that never talk to a cluster should not pay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.kube.client import FIELD_MANAGER, ApiResource, KubeClient, RequestStats
    from gitfleet.kube.config import connect, context_names, management_client
    from gitfleet.kube.errors import (
        ConfigError,
        Conflict,
        Forbidden,
        Invalid,
        KubeError,
        NotFound,
        ServerError,
        TooManyRequests,
        Unreachable,
    )
    from gitfleet.kube.settings import ClientSettings

_HOMES = {
    "FIELD_MANAGER": "client", "ApiResource": "client", "KubeClient": "client",
    "RequestStats": "client", "ClientSettings": "settings",
    "connect": "config", "context_names": "config", "management_client": "config",
    **{name: "errors" for name in (
        "ConfigError", "Conflict", "Forbidden", "Invalid", "KubeError", "NotFound",
        "ServerError", "TooManyRequests", "Unreachable",
    )},
}

__all__ = [
    "FIELD_MANAGER", "ApiResource", "ClientSettings", "ConfigError", "Conflict", "Forbidden", "Invalid",
    "KubeClient", "KubeError", "NotFound", "RequestStats", "ServerError", "TooManyRequests", "Unreachable",
    "connect", "context_names", "management_client",
]


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
