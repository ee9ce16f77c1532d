"""Fleet repo contents for the reconciler tests: one namespace, a ConfigMap and a
Deployment placed on both members."""

from __future__ import annotations

CLUSTER = "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {{name: {0}}}\nspec: {{syncMode: Push}}\n"


def fleet_files(ns: str, greeting: str = "hello", replicas: int = 2) -> dict[str, str | None]:
    return {
        "fleet.yaml": f"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {{name: {ns}}}\n"
                      "spec:\n  apply: {maxPruneFraction: 0.5, drift: correct}\n",
        "clusters/member1.yaml": CLUSTER.format("member1"),
        "clusters/member2.yaml": CLUSTER.format("member2"),
        "policies/pp.yaml": f"""apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: app, namespace: {ns}}}
spec:
  resourceSelectors:
    - {{apiVersion: apps/v1, kind: Deployment, name: web}}
    - {{apiVersion: v1, kind: ConfigMap, name: cfg}}
  placement:
    clusterAffinity: {{clusterNames: [member1, member2]}}
""",
        "templates/ns.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n",
        "templates/web.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.25"}}]
""",
        "templates/cfg.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: {ns}}}\n"
                              f"data: {{greeting: {greeting}}}\n",
    }


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
