"""Fleet repo contents for the reconciler tests: one namespace, a ConfigMap and a
Deployment placed on both members."""

from __future__ import annotations

from tests.fleetrepo import fleet_files

__all__ = ["BROKEN_POLICY", "fleet_files"]

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
