"""Choosing the member clusters a command acts on, and connecting to them.

Push-mode members are reached through the kubeconfig context named like them or the
inventory's ``spec.apiEndpoint`` + ``spec.secretRef``; Pull-mode members are left to
their own agent and only reported as skipped. A cluster that left the inventory but
still has a folder on the status branch is *departed*: ``apply`` connects to it to
prune what gitfleet applied there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitfleet.errors import UsageError
from gitfleet.kube.settings import ClientSettings
from gitfleet.model.cluster import Cluster
from gitfleet.model.resource import Fleet
from gitfleet.status.layout import recorded_clusters

if TYPE_CHECKING:
    from gitfleet.kube.client import KubeClient

# The Kubernetes client takes ~0.5 s to import: only commands that connect pay for it.

Clients = Mapping[str, "KubeClient | Exception"]


@dataclass(frozen=True)
class Connection:
    """How to reach the members."""

    kubeconfig: str | None = None
    management_context: str | None = None
    settings: ClientSettings = field(default_factory=ClientSettings)

    def digest_into(self, h: Any) -> None:
        """Feed what identifies how the members are reached (the management context and
        the kubeconfig files' contents) into the hash ``h``: a changed kubeconfig is a
        changed cluster set."""
        h.update(f"{self.management_context}\n".encode())
        path = self.kubeconfig or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
        for one in path.split(os.pathsep):
            try:
                h.update(Path(one).read_bytes())
            except OSError:
                h.update(b"-")

    def check(self) -> None:
        """An explicit kubeconfig that cannot be read is a usage error in every verb (the
        client library would silently fall back to its default)."""
        if self.settings.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        for one in (self.kubeconfig or "").split(os.pathsep):
            if not one:
                continue
            path = Path(one)
            if not path.is_file():
                raise UsageError(f"kubeconfig {one}: no such file")
            if not os.access(path, os.R_OK):
                raise UsageError(f"kubeconfig {one}: not readable")


@dataclass(frozen=True)
class Members:
    """The clusters to act on: ``push`` (in the inventory), ``departed`` (left the
    inventory, still recorded), and the Pull-mode members left to their agent."""

    push: tuple[str, ...]
    departed: tuple[str, ...] = ()
    skipped_pull: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted((*self.push, *self.departed)))


def select_members(fleet: Fleet, wanted: list[str] | None, recorded: Mapping[str, bytes] | None = None,
                   *, departed: bool = False) -> Members:
    """The members to act on: ``wanted`` (each in the inventory, or departed; a Pull-mode
    member named here is pushed to), else every Push-mode member; with ``departed``,
    also the clusters that left the inventory but have a folder or a status file in the
    status tree ``recorded``."""
    inventory = {c.name: c for c in fleet.clusters}
    gone = sorted(recorded_clusters(recorded or {}) - inventory.keys()) if departed else []
    if wanted:
        unknown = sorted(set(wanted) - inventory.keys() - set(gone))
        if unknown:
            raise UsageError(f"unknown cluster(s): {', '.join(unknown)}; the inventory has"
                             f" {', '.join(sorted(inventory)) or 'none'}")
        # A Pull-mode member named on purpose is pushed to (to seed or repair it).
        chosen = set(wanted)
        return Members(tuple(sorted(chosen & inventory.keys())), tuple(n for n in gone if n in chosen))
    pull = sorted(n for n, c in inventory.items() if c.sync_mode == "Pull")
    push = sorted(n for n in inventory if n not in pull)
    return Members(tuple(push), tuple(gone), tuple(pull))


@contextmanager
def connected(fleet: Fleet, names: tuple[str, ...] | list[str], connection: Connection) -> Iterator[Clients]:
    """A client per member (or the reason there is none), closed on the way out.
    A departed member is reached through the kubeconfig context named like it."""
    connection.check()
    from gitfleet.kube.client import KubeClient
    from gitfleet.kube.config import connect, management_client

    known = {c.name: c for c in fleet.clusters}
    wanted = [known.get(n) or Cluster(name=n) for n in names]
    management = management_client(connection.management_context, connection.kubeconfig, connection.settings)
    try:
        clients: dict[str, KubeClient | Exception] = dict(
            connect(wanted, connection.kubeconfig, management, connection.settings))
    finally:
        if management is not None:
            management.close()
    try:
        yield clients
    finally:
        for client in clients.values():
            if isinstance(client, KubeClient):
                client.close()
