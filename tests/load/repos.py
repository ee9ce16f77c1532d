"""Small builders of fleet-repo files for the loader tests."""

from __future__ import annotations

import textwrap

PP_HEAD = "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
CPP_HEAD = "apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\n"
OP_HEAD = "apiVersion: policy.karmada.io/v1alpha1\nkind: OverridePolicy\n"
CLUSTER_HEAD = "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\n"
FLEET_YAML = b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: fleet}\n"


def repo(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` as a fleet repo: with a fleet.yaml, unless they bring their own."""
    return {"fleet.yaml": FLEET_YAML, **files}


def y(text: str) -> bytes:
    """Dedented YAML text as file bytes."""
    return textwrap.dedent(text).lstrip("\n").encode()


def cluster(name: str, extra: str = "") -> bytes:
    return (CLUSTER_HEAD + f"metadata:\n  name: {name}\nspec:\n  syncMode: Push\n" + extra).encode()


def inventory(*names: str) -> dict[str, bytes]:
    return {f"clusters/{n}.yaml": cluster(n) for n in names}


def deployment(name: str = "web", namespace: str | None = None, replicas: int = 3) -> bytes:
    ns = f"  namespace: {namespace}\n" if namespace else ""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}"
            f"spec:\n  replicas: {replicas}\n").encode()


def pp(spec: str, name: str = "pp", namespace: str | None = None, kind_head: str = PP_HEAD) -> bytes:
    """A PropagationPolicy; ``spec`` is the YAML under ``spec:``, indented by 2."""
    ns = f"  namespace: {namespace}\n" if namespace else ""
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return (kind_head + f"metadata:\n  name: {name}\n{ns}spec:\n{body}\n").encode()


SELECT_DEPLOYMENTS = """
resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
"""
