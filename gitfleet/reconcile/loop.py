"""Runs :meth:`Reconciler.run_cycle` every interval with APScheduler (3.x), the only
module of gitfleet that imports it: at most one cycle at a time, missed runs
coalesced into one, the first cycle at once. A Git webhook makes the cycle due now
(:class:`CycleTrigger`: a burst of them is one cycle). SIGTERM and SIGINT stop the
loop after the running cycle ends, then the HTTP endpoints close."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from gitfleet.git.credentials import redact_url
from gitfleet.reconcile.config import RunConfig
from gitfleet.reconcile.cycle import Reconciler
from gitfleet.reconcile.http import EndpointServer, HookEndpoint, serve
from gitfleet.reconcile.logfmt import log as log_event

log = logging.getLogger(__name__)
JOB_ID = "reconcile"
TICK_ID = "watch"
LEASE_ID = "leases"
TICK_SECONDS = 1.0
# A webhook's cycle starts this long after the first request of a burst (several pushes,
# or a host sending one event per branch), so the burst is one cycle.
COALESCE_SECONDS = 1.0


class CycleTrigger:
    """Runs the cycles of the reconcile job and takes the webhooks' requests for one now.

    Requests coalesce into one pending flag: the first makes the cycle due ``delay``
    seconds later, and until it starts further requests change nothing; a request
    arriving *during* a cycle earns one more cycle right after it (that cycle may have
    fetched before the push). The extra cycle runs inside the same job, because
    APScheduler drops a run that comes due while the job's one instance is still
    running (``max_instances=1``)."""

    def __init__(self, reconciler: Reconciler, delay: float = COALESCE_SECONDS) -> None:
        self.reconciler = reconciler
        self.delay = delay
        self.scheduler: BackgroundScheduler | None = None  # set by :func:`scheduler_for`
        self._lock = threading.Lock()
        self._pending = False
        self._running = False
        self._closed = False

    def run(self) -> None:
        """The reconcile job: one cycle, and one more for as long as requests came in
        during the last."""
        while True:
            with self._lock:
                self._pending, self._running = False, True
            try:
                self.reconciler.run_cycle()
            finally:
                with self._lock:
                    again = self._pending and not self._closed
                    self._running = again
            if not again:
                return

    def request(self) -> None:
        """A cycle soon (``delay``); returns at once."""
        with self._lock:
            if self._pending or self._closed:
                return
            self._pending = True
            wake = not self._running
        if wake and self.scheduler is not None:
            self.scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC) + timedelta(seconds=self.delay))

    def close(self) -> None:
        """Take no more requests (the loop is stopping)."""
        with self._lock:
            self._closed = True


def scheduler_for(reconciler: Reconciler, trigger: CycleTrigger | None = None) -> BackgroundScheduler:
    """A scheduler (not started) with the reconcile job (run through ``trigger``, which
    webhooks use to make it due now)."""
    # APScheduler logs every run of every job at INFO: once a second with the watch.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True})
    trigger = trigger or CycleTrigger(reconciler)
    trigger.scheduler = scheduler
    scheduler.add_job(
        trigger.run, "interval", seconds=reconciler.config.interval, id=JOB_ID,
        next_run_time=datetime.now(UTC),
        # A cycle that overran its slot runs once, late, rather than being dropped.
        misfire_grace_time=max(1, int(reconciler.config.interval)),
    )
    # The members' health is probed on the fleet's own healthInterval, which the tick
    # checks every second (it returns at once when nothing is due).
    scheduler.add_job(reconciler.tick, "interval", seconds=TICK_SECONDS, id=TICK_ID, coalesce=True,
                      max_instances=1, misfire_grace_time=1)
    sharding = reconciler.config.sharding
    if sharding is not None:
        # Leases are renewed apart from the cycles, so a long apply never lets them run out.
        scheduler.add_job(reconciler.renew_shards, "interval", seconds=sharding.renew_interval, id=LEASE_ID,
                          coalesce=True, max_instances=1, misfire_grace_time=max(1, int(sharding.renew_interval)))
    return scheduler


def run(config: RunConfig, stop: threading.Event | None = None) -> None:
    """Reconcile until ``stop`` is set or the process gets SIGTERM/SIGINT."""
    stop = stop or threading.Event()
    reconciler = Reconciler(config)
    trigger = CycleTrigger(reconciler)
    server, hook_server = serve_all(config, reconciler, trigger)
    log_event(log, logging.INFO, "started", repo=redact_url(config.repo), revision=config.revision,
              interval=config.interval, drift_interval=config.drift_interval,
              listen=f"{config.listen_address[0]}:{server.port}", dry_run=config.dry_run,
              webhook=_hook_place(config, server, hook_server))
    previous = install_signals(stop)
    scheduler = scheduler_for(reconciler, trigger)
    scheduler.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log_event(log, logging.INFO, "stopping", reason="signal or stop request")
        trigger.close()
        scheduler.shutdown(wait=True)  # lets the running cycle finish
        reconciler.close()
        server.stop()
        if hook_server is not None:
            hook_server.stop()
        restore_signals(previous)
        log_event(log, logging.INFO, "stopped")


def _on_push(reconciler: Reconciler, trigger: CycleTrigger) -> Callable[[], None]:
    """What an authenticated webhook does: a cycle here soon and, with several replicas,
    a word to the leader (only it renders a new commit) through its Lease."""
    reconciler.on_wake(trigger.request)

    def push() -> None:
        trigger.request()
        reconciler.poke_leader()
    return push


def serve_all(config: RunConfig, reconciler: Reconciler,
              trigger: CycleTrigger) -> tuple[EndpointServer, EndpointServer | None]:
    """The endpoints' listener and, when ``webhook.listen`` names another address, the
    hook's own (which serves nothing else)."""
    webhook = config.webhook
    hook = None if webhook is None else HookEndpoint(webhook.secret, _on_push(reconciler, trigger),
                                                     reconciler.metrics)
    apart = webhook is not None and webhook.listen_address not in (None, config.listen_address)
    server = serve(config.listen_address, reconciler.health, reconciler.metrics, hook=None if apart else hook)
    if not apart or webhook is None or webhook.listen_address is None:
        return server, None
    try:
        return server, serve(webhook.listen_address, reconciler.health, reconciler.metrics, hook=hook, probes=False)
    except BaseException:
        server.stop()
        raise


def _hook_place(config: RunConfig, server: EndpointServer, hook_server: EndpointServer | None) -> str:
    if config.webhook is None:
        return "off"
    host = config.listen_address[0] if hook_server is None or config.webhook.listen_address is None \
        else config.webhook.listen_address[0]
    return f"{host}:{(hook_server or server).port}"


def install_signals(stop: threading.Event) -> dict[int, object]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, object] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handler)
    return previous


def restore_signals(previous: dict[int, object]) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)  # type: ignore[arg-type]
