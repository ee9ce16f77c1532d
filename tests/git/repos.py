"""Real Git repositories for the tests, made with pygit2, and real remotes on loopback
(``git daemon``, ``git http-backend``) to fetch from and push to."""

from __future__ import annotations

import base64
import getpass
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pygit2

SIG = pygit2.Signature("tester", "tester@example.com", 1_700_000_000, 0)


def init(path: Path) -> pygit2.Repository:
    return pygit2.init_repository(str(path), initial_head="main")


def write(root: Path, files: Mapping[str, bytes | str | None]) -> None:
    """Write (or, for None, delete) files below ``root``."""
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def commit(repo: pygit2.Repository, files: Mapping[str, bytes | str | None], message: str = "change") -> str:
    """Write ``files`` into the work tree and commit everything on the current branch."""
    write(Path(repo.workdir), files)
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("HEAD", SIG, SIG, message, tree, parents))


def make_bare_remote(repo: pygit2.Repository, bare_path: Path, refs: tuple[str, ...] = ("refs/heads/main",)) -> None:
    """A bare repository at ``bare_path`` holding ``refs`` of ``repo``, set as its origin."""
    pygit2.init_repository(str(bare_path), bare=True, initial_head="main")
    if "origin" not in repo.remotes.names():
        repo.remotes.create("origin", str(bare_path))
    repo.remotes["origin"].push([f"{r}:{r}" for r in refs])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, seconds: float = 10) -> None:
    """Until ``proc`` accepts connections on loopback ``port``; raise when it exits or
    takes longer than ``seconds`` (with its stderr, when that is piped)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                raise RuntimeError(f"{what} did not start: {err}".rstrip(": ")) from None
            time.sleep(0.05)


@contextmanager
def git_daemon(base: Path, lifetime: int = 300, port: int | None = None) -> Iterator[str]:
    """``git daemon`` serving every repository below ``base`` (fetch and push) on a free
    loopback port (or ``port``: a remote that comes back where it was); yields the
    ``git://`` URL prefix. ``timeout`` kills it after ``lifetime`` seconds even if the
    test process dies."""
    port = port or free_port()
    proc = subprocess.Popen(
        ["timeout", str(lifetime), "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
         "--listen=127.0.0.1", f"--port={port}", f"--base-path={base}", "--timeout=60", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, "git daemon")
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def fsck(path: Path) -> None:
    """`git fsck --strict` must find nothing wrong."""
    subprocess.run(["git", "-C", str(path), "fsck", "--strict", "--no-dangling"], check=True,
                   capture_output=True, timeout=60)


class _SmartHttp(BaseHTTPRequestHandler):
    """Git's smart HTTP protocol through ``git http-backend`` (CGI), behind Basic auth
    with one user and token, as a Git host serves it."""

    base: Path
    authorization: str
    requests: list[tuple[str, str, bool]]  # (method, path, authorized), for the tests

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read self.requests
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        authorized = self.headers.get("Authorization") == self.authorization
        self.requests.append((self.command, path, authorized))
        body = self._body() if self.command == "POST" else b""
        if not authorized:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fleet"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_PROJECT_ROOT": str(self.base),
            "GIT_HTTP_EXPORT_ALL": "1", "REMOTE_USER": "fleet-bot", "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@dataclass
class HttpRemote:
    url: str  # the URL prefix of the repositories below ``base``
    requests: list[tuple[str, str, bool]]
    handler: type[_SmartHttp] | None = None

    def accept(self, user: str, token: str) -> None:
        """From now on, serve ``user`` with ``token`` only (a rotated token)."""
        assert self.handler is not None
        self.handler.authorization = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


@contextmanager
def git_http(base: Path, user: str, token: str) -> Iterator[HttpRemote]:
    """Every repository below ``base`` served over smart HTTP on a free loopback port,
    fetch and push, to ``user`` with ``token`` only (HTTP Basic)."""
    credentials = base64.b64encode(f"{user}:{token}".encode()).decode()
    requests: list[tuple[str, str, bool]] = []
    handler = type("Handler", (_SmartHttp,), {"base": base, "authorization": f"Basic {credentials}",
                                              "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpRemote(f"http://127.0.0.1:{server.server_address[1]}", requests, handler)
    finally:
        server.shutdown()
        server.server_close()


SSHD = "/usr/sbin/sshd"


@dataclass
class SshRemote:
    url: str  # ssh://USER@127.0.0.1:PORT — append an absolute path
    host_key_line: str  # the known_hosts line of the server
    client_key: Path  # authorized: a key without passphrase
    locked_key: Path  # authorized: a key with passphrase LOCKED_PASSPHRASE
    stranger_key: Path  # not authorized


LOCKED_PASSPHRASE = "open sesame"


def _keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", path.name, "-f", str(path)],
                   check=True, capture_output=True)
    return path


@contextmanager
def sshd(work: Path, lifetime: int = 300) -> Iterator[SshRemote]:
    """An OpenSSH server on a free loopback port, logging in the current user with two
    authorized keys, so Git runs ``git-upload-pack``/``git-receive-pack`` there as a Git
    host's SSH endpoint does. ``timeout`` ends it after ``lifetime`` seconds even if the
    test process dies."""
    work.mkdir(parents=True, exist_ok=True)
    host = _keygen(work / "host_key")
    client, locked = _keygen(work / "client"), _keygen(work / "locked", LOCKED_PASSPHRASE)
    stranger = _keygen(work / "stranger")
    (work / "authorized_keys").write_text(
        (work / "client.pub").read_text() + (work / "locked.pub").read_text())
    port = free_port()
    user = getpass.getuser()
    (work / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {work / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {work / 'authorized_keys'}\nStrictModes no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n"
        f"PermitRootLogin prohibit-password\nAllowUsers {user}\nLogLevel ERROR\n")
    Path("/run/sshd").mkdir(exist_ok=True)  # its privilege separation folder
    proc = subprocess.Popen(["timeout", str(lifetime), SSHD, "-D", "-e", "-f", str(work / "sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc, "sshd")
        key_type, key = host.with_name("host_key.pub").read_text().split()[:2]
        yield SshRemote(f"ssh://{user}@127.0.0.1:{port}", f"[127.0.0.1]:{port} {key_type} {key}\n",
                        client, locked, stranger)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
