"""Runs :meth:`Reconciler.run_cycle` every interval with APScheduler (3.x), the only
module of gitfleet that imports it: at most one cycle at a time, missed runs
coalesced into one, the first cycle at once. SIGTERM and SIGINT stop the loop after
the running cycle ends, then the HTTP endpoints close."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from gitfleet.git.credentials import redact_url
from gitfleet.reconcile.config import RunConfig
from gitfleet.reconcile.cycle import Reconciler
from gitfleet.reconcile.http import serve
from gitfleet.reconcile.logfmt import log as log_event

log = logging.getLogger(__name__)
JOB_ID = "reconcile"
TICK_ID = "watch"
LEASE_ID = "leases"
TICK_SECONDS = 1.0


def scheduler_for(reconciler: Reconciler) -> BackgroundScheduler:
    """A scheduler (not started) with the reconcile job."""
    # APScheduler logs every run of every job at INFO: once a second with the watch.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True})
    scheduler.add_job(
        reconciler.run_cycle, "interval", seconds=reconciler.config.interval, id=JOB_ID,
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
    server = serve(config.listen_address, reconciler.health, reconciler.metrics)
    log_event(log, logging.INFO, "started", repo=redact_url(config.repo), revision=config.revision,
              interval=config.interval, drift_interval=config.drift_interval,
              listen=f"{config.listen_address[0]}:{server.port}", dry_run=config.dry_run)
    previous = install_signals(stop)
    scheduler = scheduler_for(reconciler)
    scheduler.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log_event(log, logging.INFO, "stopping", reason="signal or stop request")
        scheduler.shutdown(wait=True)  # lets the running cycle finish
        reconciler.close()
        server.stop()
        restore_signals(previous)
        log_event(log, logging.INFO, "stopped")


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
