"""The configuration file of ``gitfleet run``: YAML checked against
``policies-schema/run-config.json`` (the one source of truth, also usable by
editors), then turned into a frozen :class:`RunConfig` with every default filled in.

The file is read as the fleet's files are (:mod:`gitfleet.load.yamlio`: YAML 1.1 as
kubectl reads it, duplicate keys refused, every node's position kept), so each
problem is reported as ``FILE:LINE:COL: at /json/pointer: what is wrong``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from gitfleet.errors import GitfleetError, PositionedError
from gitfleet.git.urls import is_remote_url
from gitfleet.kube.settings import ClientSettings
from gitfleet.load.yamlio import Locator, parse_documents
from gitfleet.model.duration import seconds
from gitfleet.model.shard import ShardSettings
from gitfleet.reconcile.hooks import MAX_SECRET, WebhookSettings, secret_problem

SCHEMA_FILE = "run-config.json"
DEFAULT_INTERVAL = 60.0
DEFAULT_DRIFT_INTERVAL = 300.0
DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_LISTEN_IN_CLUSTER = "0.0.0.0:8080"  # in a Pod: the probes come from outside it


class ConfigFileError(GitfleetError):
    """The run configuration file is missing, not YAML, or breaks the schema; the
    message lists every problem as ``FILE:LINE:COL: at /json/pointer: what is wrong``
    (``FILE: ...`` when the data did not come from a file)."""


@dataclass(frozen=True)
class RunConfig:
    repo: str
    revision: str = "HEAD"
    interval: float = DEFAULT_INTERVAL  # seconds
    drift_interval: float = DEFAULT_DRIFT_INTERVAL  # seconds
    kubeconfig: str | None = None
    management_context: str | None = None
    clusters: tuple[str, ...] = ()  # empty: every Push-mode cluster
    status_branch: str | None = None  # None: fleet.yaml's
    push_status: bool = False
    dry_run: bool = False
    allow_mass_prune: bool = False
    listen: str = DEFAULT_LISTEN
    client: ClientSettings = field(default_factory=ClientSettings)
    sharding: ShardSettings | None = None  # several replicas: Leases on the management cluster
    webhook: WebhookSettings | None = None  # POST /hooks/git, with its secret

    @property
    def listen_address(self) -> tuple[str, int]:
        """``(host, port)`` of :attr:`listen`; an IPv6 host loses its brackets."""
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


@cache
def _validator(name: str = SCHEMA_FILE) -> Draft202012Validator:
    schema = json.loads(resources.files("gitfleet").joinpath("schemas", name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(data: Any, where: str = "run config", locator: Locator | None = None,
             schema: str = SCHEMA_FILE) -> list[str]:
    """Every schema violation of ``data`` against ``schema`` (a file of
    ``policies-schema/``) as ``WHERE[:LINE:COL]: at /pointer: message``, sorted by place;
    the position comes from ``locator`` when there is one."""
    errors = sorted(_validator(schema).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [_at(where, locator, tuple(err.absolute_path), err.message) for err in errors]


def _at(where: str, locator: Locator | None, path: tuple[str | int, ...], message: str) -> str:
    pointer = "/" + "/".join(str(p) for p in path)
    if locator is not None:
        line, col = locator.locate(path)
        where = f"{where}:{line}:{col}"
    return f"{where}: at {pointer}: {message}"


def default_listen(environ: Mapping[str, str] = os.environ) -> str:
    """Loopback outside a cluster; in a Pod (``KUBERNETES_SERVICE_HOST`` is set) every
    address, so the kubelet's probes and Prometheus reach the endpoints."""
    return DEFAULT_LISTEN_IN_CLUSTER if environ.get("KUBERNETES_SERVICE_HOST") else DEFAULT_LISTEN


def parse_config(data: Any, where: str = "run config", environ: Mapping[str, str] = os.environ,
                 locator: Locator | None = None, base: Path | None = None) -> RunConfig:
    """A :class:`RunConfig` from parsed YAML (``locator``: where its nodes are in
    ``where``; ``base``: the folder a relative secret file is in, default the working
    directory); raises :class:`ConfigFileError`."""
    found = problems(data, where, locator)
    if found:
        raise ConfigFileError("\n".join(found))
    assert isinstance(data, Mapping)
    listen = str(data.get("listen") or default_listen(environ))
    port = int(listen.rpartition(":")[2])
    if port > 65535:
        raise ConfigFileError(_at(where, locator, ("listen",), f"port {port} is above 65535"))
    client = data.get("client") or {}
    defaults = ClientSettings()
    return RunConfig(
        repo=str(data["repo"]),
        revision=str(data.get("revision", "HEAD")),
        interval=seconds(data.get("interval", DEFAULT_INTERVAL)),
        drift_interval=seconds(data.get("driftInterval", DEFAULT_DRIFT_INTERVAL)),
        kubeconfig=data.get("kubeconfig"),
        management_context=data.get("managementContext"),
        clusters=tuple(sorted(data.get("clusters") or ())),
        status_branch=data.get("statusBranch"),
        push_status=bool(data.get("pushStatus", False)),
        dry_run=bool(data.get("dryRun", False)),
        allow_mass_prune=bool(data.get("allowMassPrune", False)),
        listen=listen,
        client=ClientSettings(
            concurrency=int(client.get("concurrency", defaults.concurrency)),
            qps=float(client.get("qps", defaults.qps)),
            burst=int(client.get("burst", defaults.burst)),
        ),
        sharding=_sharding(data.get("sharding"), where, locator, environ),
        webhook=_webhook(data.get("webhook"), where, locator, base),
    )


def _webhook(raw: Any, where: str, locator: Locator | None, base: Path | None) -> WebhookSettings | None:
    """The webhook's settings with the secret read now, so a missing or empty secret file
    stops ``gitfleet run`` at start rather than refusing every hook later. The message
    names the file, never what is in it."""
    if raw is None:
        return None
    name = str(raw["secretFile"])
    path = Path(name) if Path(name).is_absolute() or base is None else base / name
    secret = b""
    try:
        with path.open("rb") as handle:  # bounded: the path could name a device
            secret, problem = secret_problem(handle.read(MAX_SECRET + 1))
    except OSError as err:
        problem = f"cannot be read: {err.strerror or type(err).__name__}"
    if problem is not None:
        raise ConfigFileError(_at(where, locator, ("webhook", "secretFile"), f"the secret file {path} {problem}"))
    listen = raw.get("listen")
    if listen is not None and int(listen.rpartition(":")[2]) > 65535:
        raise ConfigFileError(_at(where, locator, ("webhook", "listen"), f"port {listen.rpartition(':')[2]}"
                                  " is above 65535"))
    return WebhookSettings(secret=secret, secret_file=str(path), listen=listen)


def _sharding(raw: Any, where: str, locator: Locator | None, environ: Mapping[str, str]) -> ShardSettings | None:
    if raw is None:
        return None
    import socket

    duration = seconds(raw.get("leaseDuration", 15))
    renew = seconds(raw.get("renewInterval", 5))
    if renew >= duration:
        raise ConfigFileError(_at(where, locator, ("sharding", "renewInterval"),
                                  f"renewInterval ({renew:g} s) must be less than leaseDuration ({duration:g} s)"))
    identity = raw.get("identity") or environ.get("POD_NAME") or f"{socket.gethostname()}-{os.getpid()}"
    return ShardSettings(namespace=str(raw.get("namespace", "gitfleet")), identity=str(identity),
                         lease_duration=duration, renew_interval=renew)


def read_config_document(path: str | Path, what: str) -> tuple[Any, Locator | None]:
    """The one YAML document of the config file at ``path`` with its positions (None, None
    for an empty file); :class:`ConfigFileError` at ``path:line:col`` otherwise."""
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise ConfigFileError(f"{where}: cannot read the {what}: {err.strerror or err}") from None
    try:
        docs = parse_documents(raw, where)
    except PositionedError as err:
        raise ConfigFileError(f"{err.path}:{err.line}:{err.col}: not valid YAML: "
                              f"{err.message.removeprefix('invalid YAML: ')}") from None
    if len(docs) > 1:
        line, col = docs[1].locator.start
        raise ConfigFileError(f"{where}:{line}:{col}: the {what} is one YAML document, found {len(docs)}")
    return (docs[0].data, docs[0].locator) if docs else (None, None)


def load_config(path: str | Path) -> RunConfig:
    """Read and validate the configuration file at ``path``. A relative ``repo`` or
    ``kubeconfig`` is taken relative to the file's folder, so the file means the same
    from any working directory."""
    where = str(path)
    data, locator = read_config_document(path, "run config")
    base = Path(path).resolve().parent
    config = parse_config(data, where, locator=locator, base=base)
    updates: dict[str, Any] = {}
    if not is_remote_url(config.repo) and not Path(config.repo).is_absolute():
        updates["repo"] = os.path.normpath(base / config.repo)
    if config.kubeconfig and not Path(config.kubeconfig).is_absolute():
        updates["kubeconfig"] = os.path.normpath(base / config.kubeconfig)
    return replace(config, **updates) if updates else config
