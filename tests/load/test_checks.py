"""Karmada's admission rules and selector / pointer syntax, one broken document per case.

Each case is a document with exactly one problem; the line holding ``# <`` is where
the error must point, and the column is given.
"""

from __future__ import annotations

import textwrap

import pytest

from gitfleet.load import validate_files
from gitfleet.load.syntax import dns1123_label, json_pointer, label_value, qualified_name

PP = "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p, namespace: shop}\n"
OP = "apiVersion: policy.karmada.io/v1alpha1\nkind: OverridePolicy\nmetadata: {name: o, namespace: shop}\n"
CL = "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\n"
SEL = "spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n"

CASES: list[tuple[str, str, int, str]] = [
    ("pp-selector-other-namespace", PP + """
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      namespace: other  # <
""", 7, "namespace of resource selector must be the same as the namespace of the policy ('shop')"),
    ("affinity-xor-affinities", PP + SEL + """
  placement:
    clusterAffinity: {clusterNames: [a]}
    clusterAffinities: [{affinityName: x}]  # <
""", 5, "clusterAffinities cannot co-exist with clusterAffinity"),
    ("duplicate-affinity-name", PP + SEL + """
  placement:
    clusterAffinities:
      - affinityName: x
      - affinityName: x  # <
""", 9, "affinityName 'x' is used twice"),
    ("affinity-name-syntax", PP + SEL + """
  placement:
    clusterAffinities:
      - affinityName: "bad name!"  # <
""", 9, "invalid affinityName 'bad name!'"),
    ("overflow-needs-dynamic-or-aggregated", PP + SEL + """
  placement:
    clusterAffinities:
      - affinityName: a
        clusterNames: [m1]
        overflowAffinities: [{affinityName: b, clusterNames: [m2]}]  # <
    replicaScheduling: {replicaDivisionPreference: Weighted}
""", 9, "overflowAffinities can only be used together with dynamic weight or aggregated scheduling"),
    ("overflow-needs-inline-affinity", PP + SEL + """
  placement:
    clusterAffinities:
      - affinityName: a
        overflowAffinities: [{affinityName: b, clusterNames: [m2]}]  # <
    replicaScheduling: {replicaDivisionPreference: Aggregated}
""", 9, "overflowAffinities can only be used together with the inline cluster affinity"),
    ("overflow-name-duplicates-primary", PP + SEL + """
  placement:
    clusterAffinities:
      - affinityName: a
        clusterNames: [m1]
        overflowAffinities:
          - affinityName: a  # <
    replicaScheduling: {replicaDivisionPreference: Aggregated}
""", 13, "overflow affinity name must be unique"),
    ("spread-field-and-label", PP + SEL + """
  placement:
    spreadConstraints:
      - {spreadByField: cluster, maxGroups: 1}
      - {spreadByField: region, spreadByLabel: x, maxGroups: 1}  # <
""", 9, "spreadByLabel should not co-exist with spreadByField"),
    ("spread-max-below-min", PP + SEL + """
  placement:
    spreadConstraints:
      - spreadByField: cluster
        minGroups: 3
        maxGroups: 2  # <
""", 9, "maxGroups 2 lower than minGroups 3 is not allowed"),
    ("spread-negative-min", PP + SEL + """
  placement:
    spreadConstraints:
      - spreadByField: cluster
        minGroups: -1  # <
""", 9, "minGroups lower than 0 is not allowed"),
    ("spread-duplicate-field", PP + SEL + """
  placement:
    spreadConstraints:
      - {spreadByField: cluster, maxGroups: 1}
      - {maxGroups: 2}  # <
""", 9, "multiple cluster spread constraints are not allowed"),
    ("spread-region-needs-cluster", PP + SEL + """
  placement:
    spreadConstraints:  # <
      - {spreadByField: region, maxGroups: 1}
""", 5, "a spreadByField constraint needs a cluster spread constraint too"),
    ("toleration-lt", PP + SEL + """
  placement:
    clusterTolerations:
      - key: k
        operator: Lt  # <
""", 9, "'Lt' is not supported for cluster tolerations"),
    ("preemption-needs-names", PP + """
spec:
  preemption: Always
  resourceSelectors:
    - apiVersion: apps/v1  # <
      kind: Deployment
""", 7, "name cannot be empty if preemption is Always"),
    ("suspension-xor", PP + SEL + """
  suspension:  # <
    dispatching: true
    dispatchingOnClusters: {clusterNames: [m1]}
""", 3, "suspension dispatching cannot co-exist with dispatchingOnClusters.clusterNames"),
    ("static-weight-minimum", PP + SEL + """
  placement:
    replicaScheduling:
      weightPreference:
        staticWeightList:
          - targetCluster: {clusterNames: [m1]}
            weight: 0  # <
""", 13, ("spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight: 0 is less than "
         "the minimum of 1")),
    ("field-selector-key", PP + SEL + """
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions:
          - key: cloud  # <
            operator: In
            values: [x]
""", 13, "unsupported key 'cloud', must be provider, region, or zone"),
    ("field-selector-operator", PP + SEL + """
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions:
          - key: region
            operator: Exists  # <
""", 13, "unsupported operator 'Exists', must be In or NotIn"),
    ("label-selector-in-needs-values", PP + SEL + """
  placement:
    clusterAffinity:
      labelSelector:
        matchExpressions:
          - key: env  # <
            operator: In
""", 13, ("spec.placement.clusterAffinity.labelSelector.matchExpressions[0].values: must be non-empty "
         "when operator is In")),
    ("label-selector-exists-no-values", PP + """
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      labelSelector:
        matchExpressions:
          - key: env
            operator: Exists
            values: [a]  # <
""", 13, "must be empty when operator is Exists"),
    ("label-selector-operator", PP + SEL + """
  placement:
    clusterAffinity:
      labelSelector:
        matchExpressions:
          - key: env
            operator: Equals  # <
""", 13, "'Equals' is not a valid label selector operator"),
    ("label-key-syntax", PP + SEL + """
  placement:
    clusterAffinity:
      labelSelector:
        matchLabels:
          "-bad-": x  # <
""", 11, "invalid label key '-bad-'"),
    ("label-value-syntax", PP + SEL + """
  placement:
    clusterAffinity:
      labelSelector:
        matchLabels:
          env: "has space"  # <
""", 11, "invalid label value 'has space'"),
    ("enum-replica-type", PP + SEL + """
  placement:
    replicaScheduling:
      replicaSchedulingType: Spread  # <
""", 7, "'Spread' is not one of 'Duplicated', 'Divided'"),
    ("failover-grace-period", PP + SEL + """
  propagateDeps: true
  failover:
    application:
      decisionConditions: {tolerationSeconds: 60}
      purgeMode: Directly
      gracePeriodSeconds: 30  # <
""", 7, "only takes effect when purgeMode is Gracefully"),
    ("op-plaintext-pointer", OP + """
spec:
  overrideRules:
    - overriders:
        plaintext:
          - operator: replace
            path: spec/replicas  # <
            value: 1
""", 13, "'spec/replicas' is not a JSON pointer: it must be empty or start with '/'"),
    ("op-pointer-escape", OP + """
spec:
  overrideRules:
    - overriders:
        imageOverrider:
          - component: Tag
            operator: replace
            value: v1
            predicate: {path: /spec/a~b}  # <
""", 25, "'~' must be escaped as ~0"),
    ("op-field-overrider-both", OP + """
spec:
  overrideRules:
    - overriders:
        fieldOverrider:
          - fieldPath: /data/x  # <
            json: [{subPath: /a, operator: remove}]
            yaml: [{subPath: /a, operator: remove}]
""", 13, "fieldOverrider has both yaml and json set"),
    ("op-field-remove-with-value", OP + """
spec:
  overrideRules:
    - overriders:
        fieldOverrider:
          - fieldPath: /data/x
            json:
              - subPath: /a
                operator: remove
                value: 1  # <
""", 17, "value is not allowed for remove operation"),
    ("op-field-add-needs-value", OP + """
spec:
  overrideRules:
    - overriders:
        fieldOverrider:
          - fieldPath: /data/x
            yaml:
              - subPath: /a  # <
                operator: add
""", 17, "value is required for add operation"),
    ("op-labels-value", OP + """
spec:
  overrideRules:
    - overriders:
        labelsOverrider:
          - operator: add
            value: {env: "no spaces allowed"}  # <
""", 21, "invalid label value 'no spaces allowed'"),
    ("op-deprecated-and-rules", OP + """
spec:
  targetCluster: {clusterNames: [m1]}  # <
  overrideRules: []
""", 3, "overrideRules and targetCluster can't co-exist"),
    ("op-selector-namespace", OP + """
spec:
  resourceSelectors:
    - apiVersion: v1
      kind: ConfigMap
      namespace: elsewhere  # <
""", 7, "namespace of resource selector must be the same as the namespace of the policy"),
    ("cluster-name-too-long", CL + """
metadata:
  name: a-cluster-name-that-is-much-longer-than-48-characters  # <
""", 3, "must be no more than 48 characters"),
    ("cluster-name-dns", CL + """
metadata:
  name: Member1  # <
""", 3, "invalid cluster name 'Member1'"),
    ("cluster-zone-and-zones", CL + """
metadata: {name: m}
spec:
  zone: a
  zones: [b]  # <
""", 3, "zone and zones cannot co-exist"),
    ("cluster-region-label-value", CL + """
metadata: {name: m}
spec:
  region: "eu west"  # <
""", 3, "invalid region 'eu west'"),
    ("cluster-taint-effect", CL + """
metadata: {name: m}
spec:
  taints:
    - key: k
      effect: NoWay  # <
""", 7, "'NoWay' is not one of 'NoSchedule', 'PreferNoSchedule', 'NoExecute'"),
    ("cluster-duplicate-taint", CL + """
metadata: {name: m}
spec:
  taints:
    - {key: k, effect: NoSchedule}
    - {key: k, value: v, effect: NoSchedule}  # <
""", 7, "taint k:NoSchedule is listed twice"),
    ("cluster-endpoint", CL + """
metadata: {name: m}
spec:
  apiEndpoint: "https://user@host:6443"  # <
""", 3, "user information is not permitted in the URL"),
    ("cluster-sync-mode", CL + """
metadata: {name: m}
spec:
  syncMode: push  # <
""", 3, "'push' is not one of 'Push', 'Pull'"),
]


@pytest.mark.parametrize(("doc", "col", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_admission_error_at_its_place(doc: str, col: int, words: str) -> None:
    text = textwrap.dedent(doc)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "# <" in ln)
    found = [p for p in validate_files({"doc.yaml": text.encode()}) if p.severity == "error"]
    assert [(p.line, p.col) for p in found] == [(line, col)], [str(p) for p in found]
    assert words in found[0].message


@pytest.mark.parametrize(
    ("value", "valid"),
    [("a", True), ("a-b", True), ("a" * 63, True), ("a" * 64, False), ("A", False), ("-a", False),
     ("a.b", False), ("", False)],
)
def test_dns1123_label(value: str, valid: bool) -> None:
    assert (dns1123_label(value) == []) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [("app", True), ("example.com/app", True), ("a_b.c-d", True), ("/x", False), ("a/b/c", False),
     ("Example.com/x", False), ("x/", False), ("-x", False), ("a" * 64, False)],
)
def test_qualified_name(value: str, valid: bool) -> None:
    assert (qualified_name(value) == []) is valid


@pytest.mark.parametrize(("value", "valid"), [("", True), ("v1.2_x-y", True), ("a b", False), ("x-", False)])
def test_label_value(value: str, valid: bool) -> None:
    assert (label_value(value) == []) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [("", True), ("/", True), ("/spec/replicas", True), ("/a~0b/c~1d", True), ("/a/-", True),
     ("spec", False), ("/a~2", False), ("/a~", False)],
)
def test_json_pointer(value: str, valid: bool) -> None:
    assert (json_pointer(value) == []) is valid
