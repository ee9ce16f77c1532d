"""Real member clusters on loopback for tests and for trying gitfleet out: one etcd and
one kube-apiserver per member, each API server with its own ``--etcd-prefix`` and
port, token authentication and RBAC.

These API servers have no kubelet and no controllers: Pods never run, a deleted
Namespace stays ``Terminating`` and workload status only changes when a test writes the
status subresource. Everything gitfleet does with the API (server-side apply, dry run,
discovery, managedFields, CRDs) behaves as on a real cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from gitfleet.errors import GitfleetError
from gitfleet.testing.binaries import Binaries, find_binaries
from gitfleet.testing.kubeconfig import kubeconfig_dict
from gitfleet.testing.pki import Pki, make_pki, new_token

READY_TIMEOUT = 120.0  # a cold 1.20 API server on 2 busy cores can take half a minute
ADMIN_USER = "gitfleet-admin"
NOBODY_USER = "gitfleet-nobody"


class ClusterStartError(GitfleetError):
    """An etcd or kube-apiserver process exited or never became ready."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class MemberCluster:
    """One local member: its API server's URL and process."""

    name: str
    port: int
    etcd_prefix: str
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class LocalClusters:
    """N member clusters sharing one etcd. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.

    ``kubeconfig`` is written with one context per member (context name = member name)
    and the admin token; ``nobody_token`` authenticates a user without any RBAC grant.
    """

    def __init__(
        self,
        names: list[str],
        workdir: Path | None = None,
        kubeconfig: Path | None = None,
        binaries: Binaries | None = None,
    ) -> None:
        if not names or len(set(names)) != len(names):
            raise ValueError("member cluster names must be given, and be unique")
        self.names = list(names)
        self.binaries = binaries or find_binaries()
        base = Path("/dev/shm") if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None
        self._own_workdir = workdir is None
        # etcd on tmpfs: its fsyncs cost nothing there, and the data is throwaway anyway.
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="gitfleet-clusters-", dir=base))
        self.kubeconfig = kubeconfig or self.workdir / "kubeconfig"
        self.admin_token = new_token()
        self.nobody_token = new_token()
        self.etcd_port = free_port()
        self.etcd_url = f"http://127.0.0.1:{self.etcd_port}"
        self._etcd: subprocess.Popen[bytes] | None = None
        self.pki: Pki | None = None
        self._started = False
        self.members: dict[str, MemberCluster] = {
            name: MemberCluster(name, free_port(), f"/gitfleet-{name}", self.workdir / f"{name}.log")
            for name in self.names
        }

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        if self._started:
            return self
        self._started = True
        try:
            self.pki = make_pki(self.workdir / "pki")
            (self.workdir / "tokens.csv").write_text(
                f'{self.admin_token},{ADMIN_USER},uid-admin,"system:masters"\n'
                f"{self.nobody_token},{NOBODY_USER},uid-nobody\n"
            )
            self._start_etcd()
            for name in self.names:
                self._spawn(self.members[name])
            for name in self.names:
                self._wait_ready(self.members[name])
            self.write_kubeconfig(self.kubeconfig)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process and remove the work folder (if this object made it)."""
        for member in self.members.values():
            _stop(member.process)
        _stop(self._etcd)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop_member(self, name: str) -> None:
        """Stop one member's API server (its data stays in etcd), as an outage would."""
        _stop(self.members[name].process)

    def kill_member(self, name: str) -> None:
        """Kill one member's API server at once, without a graceful shutdown."""
        proc = self.members[name].process
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def start_member(self, name: str, wait: bool = True) -> None:
        """Start a stopped member again, on the same port with the same data."""
        member = self.members[name]
        if member.running:
            return
        self._spawn(member)
        if wait:
            self._wait_ready(member)

    # -- kubeconfig ------------------------------------------------------------------

    def kubeconfig_dict(self) -> dict[str, object]:
        assert self.pki is not None, "start() first"
        servers = {name: m.server for name, m in self.members.items()}
        return kubeconfig_dict(servers, self.admin_token, self.pki.ca_cert.read_bytes(), ADMIN_USER)

    def write_kubeconfig(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        # JSON is YAML: every kubeconfig reader accepts it.
        path.write_text(json.dumps(self.kubeconfig_dict(), indent=2) + "\n")
        path.chmod(0o600)
        return path

    # -- processes -------------------------------------------------------------------

    def _start_etcd(self) -> None:
        peer = free_port()
        log = self.workdir / "etcd.log"
        with log.open("wb") as out:
            self._etcd = subprocess.Popen(
                [
                    str(self.binaries.etcd),
                    "--name", "gitfleet",
                    "--data-dir", str(self.workdir / "etcd"),
                    "--listen-client-urls", self.etcd_url,
                    "--advertise-client-urls", self.etcd_url,
                    "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                    "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                    "--initial-cluster", f"gitfleet=http://127.0.0.1:{peer}",
                    "--quota-backend-bytes", str(4 * 1024**3),
                    "--log-level", "warn",
                ],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._etcd.poll() is not None:
                raise ClusterStartError(f"etcd exited with code {self._etcd.returncode}:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"{self.etcd_url}/health", timeout=2) as resp:
                    if json.loads(resp.read()).get("health") in ("true", True):
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        raise ClusterStartError(f"etcd did not become healthy within 30s:\n{_tail(log)}")

    def _spawn(self, member: MemberCluster) -> None:
        assert self.pki is not None
        pki = self.pki
        args = [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers={self.etcd_url}",
            f"--etcd-prefix={member.etcd_prefix}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={member.port}",
            "--insecure-port=0",
            f"--cert-dir={self.workdir / member.name}",
            f"--tls-cert-file={pki.serving_cert}",
            f"--tls-private-key-file={pki.serving_key}",
            f"--client-ca-file={pki.ca_cert}",
            f"--token-auth-file={self.workdir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--endpoint-reconciler-type=none",
            "--allow-privileged=true",
            "--profiling=false",
        ]
        with member.log.open("ab") as out:
            member.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )

    def _wait_ready(self, member: MemberCluster) -> None:
        assert self.pki is not None
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        request = urllib.request.Request(
            f"{member.server}/readyz", headers={"Authorization": f"Bearer {self.admin_token}"}
        )
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if member.process is None or member.process.poll() is not None:
                code = member.process.returncode if member.process else None
                raise ClusterStartError(
                    f"kube-apiserver of {member.name} exited with code {code}:\n{_tail(member.log)}"
                )
            try:
                with urllib.request.urlopen(request, timeout=5, context=context) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.HTTPError as err:
                last = f"HTTP {err.code}"
            except OSError as err:
                last = str(err)
            time.sleep(0.3)
        raise ClusterStartError(
            f"kube-apiserver of {member.name} not ready within {READY_TIMEOUT:.0f}s ({last}):\n"
            f"{_tail(member.log)}"
        )


def start_member_clusters(
    count: int = 2, kubeconfig: Path | None = None, names: list[str] | None = None
) -> LocalClusters:
    """Start ``count`` members named ``member1``..``memberN`` (or ``names``); the caller
    stops them (``with start_member_clusters(3) as clusters: ...`` works too)."""
    return LocalClusters(names or [f"member{i}" for i in range(1, count + 1)], kubeconfig=kubeconfig).start()
