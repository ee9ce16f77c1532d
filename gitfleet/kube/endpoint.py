"""A member's API server reached with urllib3 alone, for the kubeconfig entries gitfleet
reads itself: a server with its CA (file or data, or no verification) and its TLS server
name, a user with a bearer token and/or a client certificate (files or data).

Importing the ``kubernetes`` package costs ~0.2 s (its ``config`` module pulls requests,
oauthlib and google-auth), a fifth of a ``gitfleet apply`` with nothing to do. Anything
else a kubeconfig can say — exec plugins, auth providers, token files, basic auth,
impersonation, proxies, a KUBECONFIG list of files — is left to the library: for those
:func:`read_endpoint` answers None and :mod:`gitfleet.kube.config` asks the library, as
for in-cluster and ``secretRef`` credentials.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
import yaml

# What a cluster or user entry may hold for gitfleet to read it itself.
CLUSTER_KEYS = frozenset({"server", "certificate-authority", "certificate-authority-data",
                          "insecure-skip-tls-verify", "tls-server-name"})
USER_KEYS = frozenset({"token", "client-certificate", "client-certificate-data", "client-key", "client-key-data"})


@dataclass
class Endpoint:
    """The little of the library's ``Configuration`` a :class:`~gitfleet.kube.client.KubeClient`
    reads, under the same names."""

    host: str = "http://localhost"  # the library's default
    token: str | None = None
    ssl_ca_cert: str | None = None  # a CA file
    ca_cert_data: str | None = None  # PEM
    cert_file: str | None = None
    key_file: str | None = None
    verify_ssl: bool = True
    tls_server_name: str | None = None
    connection_pool_maxsize: int = 4
    retries: Any = None
    temporary: list[str] = field(default_factory=list)  # files made for *-data entries

    def auth_settings(self) -> dict[str, dict[str, str]]:
        """As ``Configuration.auth_settings``: the Authorization header's value."""
        if not self.token:
            return {}
        return {"BearerToken": {"type": "api_key", "in": "header", "key": "authorization",
                                "value": f"Bearer {self.token}"}}

    def pool_manager(self) -> urllib3.PoolManager:
        """A connection pool set up as the library's REST client sets up its own."""
        args: dict[str, Any] = {
            "cert_reqs": "CERT_REQUIRED" if self.verify_ssl else "CERT_NONE",
            "ca_certs": self.ssl_ca_cert,
            "ca_cert_data": self.ca_cert_data,
            "cert_file": self.cert_file,
            "key_file": self.key_file,
            "maxsize": self.connection_pool_maxsize,
        }
        if self.retries is not None:
            args["retries"] = self.retries
        if self.tls_server_name:
            args["server_hostname"] = self.tls_server_name
        return urllib3.PoolManager(**args)


class Transport:
    """Requests over an :class:`Endpoint`'s pool, answering as the library's REST client
    does for the requests gitfleet sends: JSON types are sent as JSON, bytes and text as
    they are."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.pool_manager = endpoint.pool_manager()

    def request(self, method: str, url: str, headers: dict[str, str], body: Any,
                timeout: tuple[float, float]) -> tuple[int, bytes, Any]:
        data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
        resp = self.pool_manager.request(method, url, body=data, headers=headers, preload_content=True,
                                         timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]))
        return int(resp.status), bytes(resp.data or b""), resp.headers

    def close(self) -> None:
        self.pool_manager.clear()


def kubeconfig_path(explicit: str | None) -> Path | None:
    """The one kubeconfig file in use (``--kubeconfig``, else ``KUBECONFIG``, else
    ``~/.kube/config``); None for a KUBECONFIG list, whose merge is the library's."""
    if explicit:
        return Path(explicit)
    listed = os.environ.get("KUBECONFIG")
    if listed:
        return None if os.pathsep in listed else Path(listed)
    return Path("~/.kube/config").expanduser()


_PARSED: dict[tuple[str, int, int], Mapping[str, Any] | None] = {}


def _document(path: Path) -> Mapping[str, Any] | None:
    """The kubeconfig at ``path``, parsed once per version of the file; None when it
    cannot be read here (the library then reports what is wrong with it)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        try:
            doc = yaml.safe_load(path.read_bytes())
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            doc = None
        _PARSED[key] = doc if isinstance(doc, Mapping) else None
    return _PARSED[key]


def _named(doc: Mapping[str, Any], section: str, name: str, body: str) -> Mapping[str, Any] | None:
    items = doc.get(section)
    if not isinstance(items, list):
        return None
    found = [i.get(body) for i in items if isinstance(i, Mapping) and i.get("name") == name]
    if len(found) != 1:
        return None
    entry = found[0]
    return entry if isinstance(entry, Mapping) else None  # a null entry is an error the library reports


def context_names(explicit: str | None) -> set[str] | None:
    """The context names of the kubeconfig, or None when the library must read it."""
    path = kubeconfig_path(explicit)
    doc = _document(path) if path is not None else None
    if doc is None or not isinstance(doc.get("contexts"), list):
        return None
    return {str(c["name"]) for c in doc["contexts"] if isinstance(c, Mapping) and "name" in c}


def read_endpoint(explicit: str | None, context: str) -> Endpoint | None:
    """The endpoint of ``context``, or None when anything about it is the library's to
    read (see the module docstring); relative file names are relative to the
    kubeconfig's folder, as kubectl reads them."""
    path = kubeconfig_path(explicit)
    doc = _document(path) if path is not None else None
    if doc is None or path is None:
        return None
    ctx = _named(doc, "contexts", context, "context")
    if ctx is None or not isinstance(ctx.get("cluster"), str) or not isinstance(ctx.get("user"), str):
        return None
    cluster = _named(doc, "clusters", ctx["cluster"], "cluster")
    user = _named(doc, "users", ctx["user"], "user")
    if cluster is None or user is None or set(cluster) - CLUSTER_KEYS or set(user) - USER_KEYS:
        return None
    server, token = cluster.get("server"), user.get("token")
    if not isinstance(server, str) or not server or (token is not None and not isinstance(token, str)):
        return None
    skip = cluster.get("insecure-skip-tls-verify", False)
    name = cluster.get("tls-server-name")
    if not isinstance(skip, bool) or (name is not None and not isinstance(name, str)):
        return None
    endpoint = Endpoint(host=server.rstrip("/"), token=token or None, verify_ssl=not skip, tls_server_name=name)
    try:
        ca = _pem(cluster, "certificate-authority-data")
        endpoint.ca_cert_data = ca.decode() if ca is not None else None
        endpoint.ssl_ca_cert = _file(cluster, "certificate-authority", path.parent)
        endpoint.cert_file = _file(user, "client-certificate", path.parent) or _temporary(
            _pem(user, "client-certificate-data"), endpoint)
        endpoint.key_file = _file(user, "client-key", path.parent) or _temporary(_pem(user, "client-key-data"), endpoint)
    except ValueError:
        return None
    if (endpoint.cert_file is None) != (endpoint.key_file is None):
        return None
    return endpoint


def _pem(entry: Mapping[str, Any], key: str) -> bytes | None:
    value = entry.get(key)
    if value is None:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(key) from None


def _file(entry: Mapping[str, Any], key: str, base: Path) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or entry.get(f"{key}-data") is not None:
        raise ValueError(key)
    path = str(base / Path(value).expanduser())
    if not os.path.isfile(path):
        raise ValueError(key)  # the library's error names it
    return path


def _temporary(data: bytes | None, endpoint: Endpoint) -> str | None:
    """``data`` in a private file removed at exit (TLS libraries load keys from files),
    as the library does with its *-data entries."""
    if data is None:
        return None
    handle, name = tempfile.mkstemp(prefix="gitfleet-kubeconfig-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    endpoint.temporary.append(name)
    atexit.register(_remove, name)
    return name


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
