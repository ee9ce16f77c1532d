"""Errors of the Kubernetes API as gitfleet's own types, mapped from the HTTP status
and carrying the API server's message, so callers handle "not found" or "invalid"
without knowing the client library (kopf does the same)."""

from __future__ import annotations

import json
from typing import Any

from gitfleet.errors import GitfleetError


class KubeError(GitfleetError):
    """A request to a member cluster failed. ``status`` is the HTTP status (0 when
    the server was not reached); ``message`` the API server's own words."""

    def __init__(self, cluster: str, message: str, status: int = 0, reason: str = "") -> None:
        self.cluster, self.message, self.status, self.reason = cluster, message, status, reason
        super().__init__(f"{cluster}: {message}")


class Unreachable(KubeError):
    """No answer: connection refused, TLS failure, timeout."""


class NotFound(KubeError):
    """404."""


class Conflict(KubeError):
    """409: already exists, or a resourceVersion / field-manager conflict."""


class Forbidden(KubeError):
    """401 or 403: the credentials are wrong or lack an RBAC grant."""


class Invalid(KubeError):
    """400 or 422: the server rejected the object (validation, bad patch)."""


class TooManyRequests(KubeError):
    """429: throttled by the server (API Priority and Fairness or max-in-flight)."""


class ServerError(KubeError):
    """5xx, or any status not mapped above."""


class ConfigError(GitfleetError):
    """No way to reach a cluster: no kubeconfig context of that name, and no usable
    ``spec.apiEndpoint`` + ``spec.secretRef``."""


_BY_STATUS: dict[int, type[KubeError]] = {
    400: Invalid, 401: Forbidden, 403: Forbidden, 404: NotFound, 409: Conflict, 410: Conflict,
    422: Invalid, 429: TooManyRequests,
}


def status_message(body: bytes | str | None) -> tuple[str, str]:
    """``(message, reason)`` of a ``Status`` body; the raw text when it is not one."""
    if not body:
        return "", ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        doc: Any = json.loads(text)
    except ValueError:
        return text.strip()[:500], ""
    if isinstance(doc, dict):
        return str(doc.get("message") or text.strip()[:500]), str(doc.get("reason") or "")
    return text.strip()[:500], ""


def error_for(cluster: str, status: int, body: bytes | str | None, what: str = "") -> KubeError:
    """The error type for an HTTP ``status``, with the server's message."""
    message, reason = status_message(body)
    if not message:
        message = f"HTTP {status}"
    if what:
        message = f"{what}: {message}"
    cls = _BY_STATUS.get(status, ServerError)
    return cls(cluster, message, status, reason)
