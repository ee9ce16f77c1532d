"""The kubeconfig of local test clusters: one context per member, named like the
member, so gitfleet finds each cluster of the inventory by its name. Pure."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any


def kubeconfig_dict(
    servers: Mapping[str, str], token: str, ca_pem: bytes, user: str = "gitfleet-admin"
) -> dict[str, Any]:
    """A kubeconfig document: ``servers`` maps a cluster (and context) name to its URL."""
    ca_data = base64.b64encode(ca_pem).decode()
    names = sorted(servers)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {"name": name, "cluster": {"server": servers[name], "certificate-authority-data": ca_data}}
            for name in names
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}} for name in names],
        "current-context": names[0] if names else "",
    }
