"""A token bucket per cluster: the Python client has no client-side rate limit, and an
unthrottled fleet-wide apply could flood one member's API server. Like Flux, the
limit is lifted once the server says it protects itself with API Priority and
Fairness."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``qps`` requests per second on average, bursts of up to ``burst``. ``qps <= 0``
    means unlimited. Thread-safe."""

    def __init__(self, qps: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.qps = qps
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.enabled = qps > 0

    def disable(self) -> None:
        self.enabled = False

    def acquire(self) -> float:
        """Take one token, waiting for it if need be; returns the seconds waited."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.qps if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait
