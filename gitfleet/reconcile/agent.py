"""``gitfleet agent``: the loop of a Pull member's agent (one pass is
:func:`gitfleet.service.agent.agent_pass`). A pass runs every ``interval`` (default: the
fleet's ``healthInterval``, the heartbeat the reconciler expects); SIGTERM and SIGINT
stop it after the running pass. ``/healthz``, ``/readyz`` and ``/metrics`` as ``run``
serves them."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from gitfleet.errors import GitfleetError
from gitfleet.reconcile.config import ConfigFileError, default_listen, problems, read_config_document
from gitfleet.reconcile.cycle import Health
from gitfleet.reconcile.http import serve
from gitfleet.reconcile.logfmt import REDACTION
from gitfleet.reconcile.logfmt import log as log_event
from gitfleet.reconcile.loop import install_signals, restore_signals
from gitfleet.reconcile.metrics import ReconcileMetrics
from gitfleet.service.agent import AgentMemory, AgentPass, AgentSettings, agent_pass, member_client

log = logging.getLogger(__name__)
SCHEMA = "agent-config.json"
DEFAULT_INTERVAL = 10.0


@dataclass(frozen=True)
class AgentConfig:
    settings: AgentSettings
    interval: float | None = None  # None: the fleet's healthInterval
    listen: str = ""


def load_agent_config(path: str | None, overrides: dict[str, Any]) -> AgentConfig:
    """The agent's configuration: the file (checked against ``agent-config.json``), then
    the command line's values over it. Raises :class:`ConfigFileError`."""
    from gitfleet.model.duration import seconds

    data: dict[str, Any] = {}
    where = path or "command line"
    if path is not None:
        raw, locator = read_config_document(path, "agent config")
        found = problems(raw, path, locator, schema=SCHEMA)
        if found:
            raise ConfigFileError("\n".join(found))
        data = dict(raw or {})
    data.update({k: v for k, v in overrides.items() if v is not None})
    found = problems(data, where, None, schema=SCHEMA)
    if found:
        raise ConfigFileError("\n".join(found))
    for key in ("repo", "cluster"):
        if not data.get(key):
            raise ConfigFileError(f"{where}: the agent needs '{key}' (--{key} or in --config)")
    settings = AgentSettings(repo=str(data["repo"]), cluster=str(data["cluster"]),
                             status_branch=data.get("statusBranch"), kubeconfig=data.get("kubeconfig"),
                             context=data.get("context"), dry_run=bool(data.get("dryRun", False)))
    interval = seconds(data["interval"]) if "interval" in data else None
    return AgentConfig(settings, interval, str(data.get("listen") or default_listen()))


class Agent:
    """The state between passes; :meth:`run_pass` never raises."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.metrics = ReconcileMetrics()
        self.memory = AgentMemory()
        self._health = Health()
        self._lock = threading.Lock()
        self._source: Any = None
        self._client: Any = None

    def health(self) -> Health:
        with self._lock:
            return replace(self._health)

    def run_pass(self) -> AgentPass:
        start = time.perf_counter()
        try:
            outcome = self._pass()
        except Exception as exc:  # a bug must not end the agent
            log.exception("agent pass failed")
            outcome = AgentPass("error", error=f"internal error: {type(exc).__name__}")
        seconds = time.perf_counter() - start
        REDACTION.update(self.memory.redactor)
        self.metrics.cycle(outcome.outcome, seconds, time.time())
        with self._lock:
            self._health = replace(self._health, cycles=self._health.cycles + 1, outcome=outcome.outcome,
                                   error=outcome.error, revision=outcome.source,
                                   applied_revision=outcome.source if outcome.outcome == "applied"
                                   else self._health.applied_revision, finished_at=time.time())
        result = outcome.result
        log_event(log, logging.INFO if outcome.outcome in ("applied", "waiting") else logging.WARNING, "agent_pass",
                  cluster=self.config.settings.cluster, outcome=outcome.outcome,
                  source=outcome.source[:12] if outcome.source else None,
                  status_commit=outcome.status_commit[:12] if outcome.status_commit else None,
                  writes=result.writes if result else None, seconds=round(seconds, 3), error=outcome.error)
        return outcome

    def _pass(self) -> AgentPass:
        from gitfleet.git.source import open_source

        if self._source is None:
            try:
                self._source = open_source(self.config.settings.repo)
            except GitfleetError as err:
                return AgentPass("error", error=f"the fleet repo cannot be fetched, the member keeps what was"
                                                f" applied last: {err}")
        if self._client is None:
            try:
                self._client = member_client(self.config.settings)
            except GitfleetError as err:  # no context for the member, an unreadable kubeconfig
                return AgentPass("error", error=f"the member cannot be reached: {err}")
        return agent_pass(self._source, self.config.settings, self.memory, self._client)

    def next_wait(self, last: AgentPass) -> float:
        return self.config.interval or last.interval or DEFAULT_INTERVAL

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def run(config: AgentConfig, stop: threading.Event | None = None) -> None:
    """Pass after pass until ``stop`` is set or the process gets SIGTERM/SIGINT."""
    stop = stop or threading.Event()
    agent = Agent(config)
    host, _, port = config.listen.rpartition(":")
    server = serve((host.strip("[]"), int(port)), agent.health, agent.metrics)
    log_event(log, logging.INFO, "agent_started", cluster=config.settings.cluster,
              listen=f"{host}:{server.port}", dry_run=config.settings.dry_run)
    previous = install_signals(stop)
    try:
        while not stop.is_set():
            last = agent.run_pass()
            stop.wait(agent.next_wait(last))
    finally:
        agent.close()
        server.stop()
        restore_signals(previous)
        log_event(log, logging.INFO, "agent_stopped", cluster=config.settings.cluster)
