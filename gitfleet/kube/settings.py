"""Client limits per member cluster, kept apart from the client itself so the command
line can show their defaults without importing the Kubernetes client library."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientSettings:
    """Per-cluster limits: at most ``concurrency`` requests in flight and ``qps``
    requests per second on average (bursts of ``burst``) until the server announces
    API Priority and Fairness. ``qps <= 0`` disables the client-side limit."""

    concurrency: int = 16
    qps: float = 50.0
    burst: int = 100
    timeout: float = 30.0
    honor_apf: bool = True
    retries: int = 3  # re-sends of a request answered 429 or 5xx
