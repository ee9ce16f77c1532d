"""The kubeconfig contexts gitfleet reads itself (a server with its CA, a token or a
client certificate) and those it leaves to the ``kubernetes`` library: exec plugins,
auth providers, token files, basic auth, proxies, impersonation, KUBECONFIG lists, and
anything it cannot read for sure (issue 11, item 7: a no-op apply without importing
the library)."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitfleet.kube import endpoint
from gitfleet.kube.client import KubeClient
from gitfleet.kube.config import configuration_from_context, context_names
from gitfleet.kube.endpoint import Endpoint, read_endpoint

PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
B64, KEY64 = base64.b64encode(PEM).decode(), base64.b64encode(KEY).decode()


def kubeconfig(folder: Path, cluster: dict[str, Any], user: dict[str, Any] | None, name: str = "member1") -> Path:
    doc = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": "https://127.0.0.1:6443/", **cluster}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "u", "namespace": "ignored"}}],
        "current-context": name,
    }
    path = folder / "config"
    path.write_text(yaml.safe_dump(doc))
    return path


READ_HERE: dict[str, tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any]]] = {
    "token and CA data": ({"certificate-authority-data": B64}, {"token": "t0k"},
                          {"token": "t0k", "ca_cert_data": PEM.decode(), "ssl_ca_cert": None, "verify_ssl": True}),
    "CA file, relative to the kubeconfig": ({"certificate-authority": "ca.crt"}, {"token": "t"},
                                            {"ssl_ca_cert": "<folder>/ca.crt", "ca_cert_data": None}),
    "no verification": ({"insecure-skip-tls-verify": True}, {"token": "t"}, {"verify_ssl": False}),
    "TLS server name": ({"certificate-authority-data": B64, "tls-server-name": "api.internal"}, {"token": "t"},
                        {"tls_server_name": "api.internal"}),
    "client certificate files": ({"certificate-authority-data": B64},
                                 {"client-certificate": "me.crt", "client-key": "<folder>/me.key"},
                                 {"cert_file": "<folder>/me.crt", "key_file": "<folder>/me.key", "token": None}),
    "anonymous": ({"certificate-authority-data": B64}, {}, {"token": None, "cert_file": None}),
}


@pytest.mark.parametrize(("cluster", "user", "expected"), READ_HERE.values(), ids=READ_HERE.keys())
def test_simple_contexts_are_read_here(tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any] | None,
                                       expected: dict[str, Any]) -> None:
    for name, data in (("ca.crt", PEM), ("me.crt", PEM), ("me.key", KEY)):
        (tmp_path / name).write_bytes(data)
    user = {k: v.replace("<folder>", str(tmp_path)) if isinstance(v, str) else v for k, v in (user or {}).items()}
    path = kubeconfig(tmp_path, cluster, user)
    found = read_endpoint(str(path), "member1")
    assert found is not None
    assert found.host == "https://127.0.0.1:6443"
    for name, value in expected.items():
        want = value.replace("<folder>", str(tmp_path)) if isinstance(value, str) else value
        assert getattr(found, name) == want, name
    assert context_names(str(path)) == {"member1"}
    assert isinstance(configuration_from_context(str(path), "member1"), Endpoint)


def test_client_certificate_data_goes_to_private_files(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, {"certificate-authority-data": B64},
                      {"client-certificate-data": B64, "client-key-data": KEY64})
    found = read_endpoint(str(path), "member1")
    assert found is not None and found.cert_file and found.key_file
    assert Path(found.cert_file).read_bytes() == PEM and Path(found.key_file).read_bytes() == KEY
    assert stat.S_IMODE(os.stat(found.key_file).st_mode) == 0o600
    assert found.temporary == [found.cert_file, found.key_file]


LIBRARY: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "exec plugin": ({"certificate-authority-data": B64},
                    {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "aws"}}),
    "auth provider": ({"certificate-authority-data": B64}, {"auth-provider": {"name": "oidc"}}),
    "token file": ({"certificate-authority-data": B64}, {"tokenFile": "/var/run/token"}),
    "basic auth": ({"certificate-authority-data": B64}, {"username": "u", "password": "p"}),
    "impersonation": ({"certificate-authority-data": B64}, {"token": "t", "as": "admin"}),
    "proxy": ({"certificate-authority-data": B64, "proxy-url": "http://proxy:3128"}, {"token": "t"}),
    "CA as file and data": ({"certificate-authority-data": B64, "certificate-authority": "ca.crt"}, {"token": "t"}),
    "CA data not base64": ({"certificate-authority-data": "not base64!"}, {"token": "t"}),
    "certificate without key": ({"certificate-authority-data": B64}, {"client-certificate-data": B64}),
    "a missing CA file (the library's error)": ({"certificate-authority": "/nowhere/ca.crt"}, {"token": "t"}),
    "token not a string": ({"certificate-authority-data": B64}, {"token": 12}),
    "skip-verify not a boolean": ({"insecure-skip-tls-verify": "yes"}, {"token": "t"}),
    "a null user (the library's error)": ({"certificate-authority-data": B64}, None),
}


@pytest.mark.parametrize(("cluster", "user"), LIBRARY.values(), ids=LIBRARY.keys())
def test_anything_else_is_the_librarys(tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any] | None) -> None:
    assert read_endpoint(str(kubeconfig(tmp_path, cluster, user)), "member1") is None


def test_exec_plugins_keep_working_through_the_library(tmp_path: Path) -> None:
    """The library runs the plugin and gives the token it prints."""
    plugin = tmp_path / "plugin.sh"
    plugin.write_text('#!/bin/sh\necho \'{"apiVersion": "client.authentication.k8s.io/v1beta1",'
                      ' "kind": "ExecCredential", "status": {"token": "from-exec"}}\'\n')
    plugin.chmod(0o755)
    path = kubeconfig(tmp_path, {"certificate-authority-data": B64},
                      {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin)}})
    cfg = configuration_from_context(str(path), "member1")
    assert not isinstance(cfg, Endpoint)
    assert KubeClient("member1", cfg)._authorization() == "Bearer from-exec"


@pytest.mark.parametrize("where", ["missing context", "KUBECONFIG list", "not a kubeconfig"])
def test_what_cannot_be_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    path = kubeconfig(tmp_path, {"certificate-authority-data": B64}, {"token": "t"})
    explicit: str | None = str(path)
    context = "member1"
    if where == "missing context":
        context = "member9"
    elif where == "KUBECONFIG list":
        monkeypatch.setenv("KUBECONFIG", f"{path}{os.pathsep}{path}")
        explicit = None
    else:
        path.write_text("- just\n- a list\n")
    assert read_endpoint(explicit, context) is None
    assert endpoint.context_names(explicit) is None or where == "missing context"


def test_the_endpoint_client_sends_what_the_library_client_sends(tmp_path: Path) -> None:
    found = read_endpoint(str(kubeconfig(tmp_path, {"insecure-skip-tls-verify": True}, {"token": "t0k"})), "member1")
    assert found is not None
    client = KubeClient("member1", found)
    assert client._authorization() == "Bearer t0k"
    assert client.host == "https://127.0.0.1:6443"
    pool = client._pool
    assert pool.connection_pool_kw["cert_reqs"] == "CERT_NONE"
    assert pool.connection_pool_kw["maxsize"] == client.settings.concurrency + 2
    client.close()


def test_an_apply_with_a_simple_kubeconfig_does_not_import_kubernetes(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, {"certificate-authority-data": B64}, {"token": "t"})
    code = ("import sys\nfrom gitfleet.model.cluster import Cluster\nfrom gitfleet.kube.config import connect\n"
            f"clients = connect([Cluster('member1')], {str(path)!r})\n"
            "print(type(clients['member1']).__name__, 'kubernetes' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout == "KubeClient False\n", out.stderr


@pytest.mark.parametrize(("cluster", "user", "expected"), READ_HERE.values(), ids=READ_HERE.keys())
def test_read_here_as_the_library_reads_it(tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any] | None,
                                           expected: dict[str, Any]) -> None:
    from kubernetes import config as kube_config
    from kubernetes.client import Configuration

    for name, data in (("ca.crt", PEM), ("me.crt", PEM), ("me.key", KEY)):
        (tmp_path / name).write_bytes(data)
    user = {k: v.replace("<folder>", str(tmp_path)) if isinstance(v, str) else v for k, v in (user or {}).items()}
    path = kubeconfig(tmp_path, cluster, user)
    ours = read_endpoint(str(path), "member1")
    theirs = Configuration()
    kube_config.load_kube_config(config_file=str(path), context="member1", client_configuration=theirs,
                                 persist_config=False)
    assert ours is not None
    assert ours.host == theirs.host
    assert ours.auth_settings().get("BearerToken", {}).get("value") == \
        theirs.auth_settings().get("BearerToken", {}).get("value")
    assert ours.verify_ssl == theirs.verify_ssl
    assert (ours.tls_server_name or None) == (theirs.tls_server_name or None)
    ca = Path(theirs.ssl_ca_cert).read_bytes() if theirs.ssl_ca_cert else None
    assert (ours.ca_cert_data.encode() if ours.ca_cert_data else
            Path(ours.ssl_ca_cert).read_bytes() if ours.ssl_ca_cert else None) == ca
    assert ours.cert_file == theirs.cert_file and ours.key_file == theirs.key_file
