"""A small fleet repo and the edits the end-to-end tests make to it."""

from __future__ import annotations

CLUSTER = """apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{env: prod}}
spec:
  provider: aws
  region: {region}
  syncMode: Push
"""

POLICY = """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: web
  namespace: shop
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: web
    - apiVersion: v1
      kind: Secret
      name: db
  placement:
    clusterAffinity:
      clusterNames: [{clusters}]
    replicaScheduling:
      replicaSchedulingType: Duplicated
"""

OVERRIDE = """apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: web-registry
  namespace: shop
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: web
  overrideRules:
    - targetCluster:
        clusterNames: [m1]
      overriders:
        imageOverrider:
          - component: Registry
            operator: replace
            value: {registry}
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""

SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
stringData:
  password: {password}
"""


def fleet(clusters: str = "m1, m2", registry: str = "registry.eu.example", replicas: int = 2,
          password: str = "first-clear-password") -> dict[str, str]:
    return {
        "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: small}\n"
                      "spec: {apply: {maxPruneFraction: 0.3}}\n",
        "clusters/m1.yaml": CLUSTER.format(name="m1", region="eu-west-1"),
        "clusters/m2.yaml": CLUSTER.format(name="m2", region="us-east-1"),
        "clusters/m3.yaml": CLUSTER.format(name="m3", region="us-east-1"),
        "policies/web.yaml": POLICY.format(clusters=clusters),
        "policies/web-registry.yaml": OVERRIDE.format(registry=registry),
        "templates/web.yaml": DEPLOYMENT.format(replicas=replicas),
        "templates/secret.yaml": SECRET.format(password=password),
    }


BAD_TEMPLATE: dict[str, str | None] = {"templates/bad.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n"
                                         "  namespace: shop\ndata:\n  x: \"{{ values.missing }}\"\n"}

# name -> the files the head changes, relative to the base fleet()
EDITS: dict[str, dict[str, str | None]] = {
    "placement-move": {"policies/web.yaml": fleet(clusters="m2, m3")["policies/web.yaml"]},
    "replicas": {"templates/web.yaml": fleet(replicas=3)["templates/web.yaml"]},
    "override": {"policies/web-registry.yaml": fleet(registry="registry.us.example")["policies/web-registry.yaml"]},
    "secret": {"templates/secret.yaml": fleet(password="second-clear-password")["templates/secret.yaml"]},
    "template-error": BAD_TEMPLATE,
    "no-change": {"README.md": "docs only\n"},
}
