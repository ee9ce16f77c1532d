"""The health probe of a member (issue 11): ``GET /readyz`` through its client, with a
timeout. 200 is healthy; any other answer is unhealthy (the API server runs but says it
is not ready, or refuses the probe), with the server's words; no answer within the
timeout is unreachable. What the probes mean over time is :mod:`gitfleet.health`'s."""

from __future__ import annotations

from gitfleet.kube.client import KubeClient
from gitfleet.kube.errors import Unreachable, status_message
from gitfleet.model.health import HEALTHY, UNHEALTHY, UNREACHABLE, ProbeResult

READYZ = "/readyz"
DEFAULT_TIMEOUT = 5.0  # seconds; Karmada's cluster-status controller waits as long
MAX_MESSAGE = 500


def probe(client: KubeClient, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """Probe ``client``'s cluster once; never raises for a cluster that is down."""
    try:
        status, body = client.get_once(READYZ, timeout)
    except Unreachable as err:
        return ProbeResult(UNREACHABLE, err.message[:MAX_MESSAGE])
    if status == 200:
        return ProbeResult(HEALTHY)
    message, _ = status_message(body)
    # /readyz lists its checks one per line ("[-]etcd failed: ..."): the failed ones say why.
    failed = [line.strip() for line in message.splitlines() if line.startswith("[-]")]
    detail = "; ".join(failed) if failed else " ".join(message.split())
    return ProbeResult(UNHEALTHY, f"{READYZ} answered HTTP {status}{': ' + detail if detail else ''}"[:MAX_MESSAGE])
