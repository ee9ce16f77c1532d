"""Kubernetes adapter: the only package that imports ``kubernetes``. Clients per
member cluster with their own concurrency bound and rate limit, discovery, and error
types mapped from HTTP status codes."""

from gitfleet.kube.client import FIELD_MANAGER, ApiResource, ClientSettings, KubeClient, RequestStats
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

__all__ = [
    "FIELD_MANAGER", "ApiResource", "ClientSettings", "ConfigError", "Conflict", "Forbidden", "Invalid",
    "KubeClient", "KubeError", "NotFound", "RequestStats", "ServerError", "TooManyRequests", "Unreachable",
    "connect", "context_names", "management_client",
]
