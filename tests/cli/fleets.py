"""Small fleet repos shared by the CLI tests."""

from __future__ import annotations

CLUSTERS = {
    "clusters/a.yaml": """
        apiVersion: cluster.karmada.io/v1alpha1
        kind: Cluster
        metadata: {name: a, labels: {env: prod}}
        spec: {syncMode: Push, provider: aws, region: eu-west-1}
    """,
    "clusters/b.yaml": """
        apiVersion: cluster.karmada.io/v1alpha1
        kind: Cluster
        metadata: {name: b, labels: {env: prod}}
        spec: {syncMode: Push, provider: gcp, region: us-central1}
    """,
}

WEB = {
    "templates/web.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: nginx:1.25
    """,
    "policies/web.yaml": """
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: web, namespace: shop}
        spec:
          resourceSelectors:
          - {apiVersion: apps/v1, kind: Deployment, name: web}
          placement:
            clusterAffinity: {clusterNames: [a, b]}
            replicaScheduling:
              replicaSchedulingType: Divided
              replicaDivisionPreference: Weighted
              weightPreference:
                staticWeightList:
                - {targetCluster: {clusterNames: [a]}, weight: 2}
                - {targetCluster: {clusterNames: [b]}, weight: 1}
    """,
}

GOOD = {**CLUSTERS, **WEB}
