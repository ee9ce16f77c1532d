"""Fleet repo contents for the reconciler tests: one namespace, a ConfigMap and a
Deployment placed on both members."""

from __future__ import annotations

import urllib.error
import urllib.request

from tests.fleetrepo import fleet_files

__all__ = ["BROKEN_POLICY", "fleet_files", "http_get"]


def http_get(port: int, path: str) -> tuple[int, str]:
    """Status and body of a GET to the reconciler's endpoints on loopback."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()

# A policy with a field Karmada's schema does not have: the repo does not load.
BROKEN_POLICY = """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: app, namespace: NS}
spec:
  resourceSelectors:
    - {apiVersion: apps/v1, kind: Deployment, name: web}
  placement:
    clusterAffinity: {clusterNames: [member1, member2]}
  notAField: true
"""
