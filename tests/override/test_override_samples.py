"""Karmada's own override policy samples (/work/shared/karmada-samples), built by hand
as the loader would build them, applied to the nginx Deployment they target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ovhelpers import container, deployment

from gitfleet.model import (
    Cluster,
    ClusterAffinity,
    ImageOverrider,
    LabelSelector,
    MetadataOverrider,
    OverridePolicy,
    Overriders,
    OverrideRule,
    PatchOp,
    ResourceId,
    ResourceSelector,
)
from gitfleet.override.apply import apply_overrides

SAMPLES = Path("/work/shared/karmada-samples")
NGINX = ResourceId("apps/v1", "Deployment", "default", "nginx")

CLUSTER_OVERRIDE = OverridePolicy(
    "ClusterOverridePolicy", "example-cluster-override", None,
    (ResourceSelector("apps/v1", "Deployment", "default", "nginx"),),
    (OverrideRule(Overriders(plaintext=(PatchOp("replace", "/spec/replicas", 1, True),)),
                  ClusterAffinity(cluster_names=("member1",)), 0),),
)
EXAMPLE_OVERRIDE = OverridePolicy(
    "OverridePolicy", "example-override", "default",
    (ResourceSelector("apps/v1", "Deployment", "default", "nginx",
                      LabelSelector(match_labels=(("image", "nginx"),))),),
    (OverrideRule(
        Overriders(plaintext=(
            PatchOp("replace", "/spec/template/spec/containers/0/image", "dc-1.registry.io/nginx:1.17.0-alpine", True),
            PatchOp("add", "/metadata/annotations", {"foo": "bar"}, True),
            PatchOp("remove", "/metadata/annotations/foo"),
        )),
        ClusterAffinity(cluster_names=("dc-1-cluster-1", "dc-1-cluster-2"),
                        label_selector=LabelSelector(match_labels=(("failuredomain.kubernetes.io/region", "dc1"),))),
        0),),
)
IMAGE_OVERRIDE = OverridePolicy(
    "OverridePolicy", "example-override", "default",
    (ResourceSelector("apps/v1", "Deployment", "default"),),
    tuple(
        OverrideRule(Overriders(image=(ImageOverrider("Registry", "replace", f"fictional.registry.{loc}"),)),
                     ClusterAffinity(label_selector=LabelSelector(match_labels=(("location", loc),))), index)
        for index, loc in enumerate(("us", "cn"))
    ),
)
NGINX_SAMPLE = OverridePolicy(  # no metadata.namespace: applied in "default"
    "OverridePolicy", "nginx-op", "default",
    (ResourceSelector("apps/v1", "Deployment", "default", "nginx"),),
    (
        OverrideRule(Overriders(labels=(
            MetadataOverrider("add", {"env": "skoala-dev"}),
            MetadataOverrider("add", {"env-stat": "skoala-stage"}),
            MetadataOverrider("remove", {"for": "for"}),
            MetadataOverrider("replace", {"bar": "test"}),
        )), ClusterAffinity(cluster_names=("member2",)), 0),
        OverrideRule(Overriders(annotations=(
            MetadataOverrider("add", {"env": "skoala-stage"}),
            MetadataOverrider("remove", {"bom": "bom"}),
            MetadataOverrider("replace", {"emma": "sophia"}),
        )), ClusterAffinity(cluster_names=("member1",)), 1),
    ),
)


def _selector(raw: dict[str, Any] | None) -> LabelSelector | None:
    if raw is None:
        return None
    return LabelSelector(match_labels=tuple(raw.get("matchLabels", {}).items()))


def _from_yaml(raw: dict[str, Any], namespace: str) -> OverridePolicy:
    """Just enough of the loader for these samples (webhook default: an OP's selectors
    take its namespace)."""
    spec = raw["spec"]
    op_namespace = None if raw["kind"] == "ClusterOverridePolicy" else raw["metadata"].get("namespace", namespace)
    selectors = tuple(
        ResourceSelector(s["apiVersion"], s["kind"], s.get("namespace", op_namespace), s.get("name"),
                         _selector(s.get("labelSelector")))
        for s in spec["resourceSelectors"]
    )
    rules = []
    for index, rule in enumerate(spec["overrideRules"]):
        target = rule["targetCluster"]
        o = rule["overriders"]
        rules.append(OverrideRule(
            Overriders(
                plaintext=tuple(PatchOp(p["operator"], p["path"], p.get("value"), "value" in p)
                                for p in o.get("plaintext", ())),
                image=tuple(ImageOverrider(i["component"], i["operator"], i.get("value", ""))
                            for i in o.get("imageOverrider", ())),
                labels=tuple(MetadataOverrider(m["operator"], m["value"]) for m in o.get("labelsOverrider", ())),
                annotations=tuple(MetadataOverrider(m["operator"], m["value"])
                                  for m in o.get("annotationsOverrider", ())),
            ),
            ClusterAffinity(cluster_names=tuple(target.get("clusterNames", ())),
                            label_selector=_selector(target.get("labelSelector"))),
            index,
        ))
    return OverridePolicy(raw["kind"], raw["metadata"]["name"], op_namespace, selectors, tuple(rules))


HAND_BUILT = [
    ("example-clusteroverridepolicy.yaml", CLUSTER_OVERRIDE),
    ("example-override.yaml", EXAMPLE_OVERRIDE),
    ("example-overridepolicy_image.yaml", IMAGE_OVERRIDE),
    ("nginx-sample-overridepolicy.yaml", NGINX_SAMPLE),
]


@pytest.mark.parametrize(("filename", "built"), HAND_BUILT, ids=[c[0] for c in HAND_BUILT])
def test_hand_built_policies_match_the_sample_files(filename: str, built: OverridePolicy) -> None:
    path = SAMPLES / filename
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    assert _from_yaml(yaml.safe_load(path.read_text()), "default") == built


def nginx(**meta: Any) -> dict[str, Any]:
    doc = deployment(container("nginx", "nginx:1.25"), name="nginx", labels={"app": "nginx"})
    doc["spec"]["replicas"] = 2
    doc["metadata"].update(meta)
    return doc


def render(policy: OverridePolicy, cluster: Cluster, doc: dict[str, Any] | None = None,
           rid: ResourceId = NGINX) -> dict[str, Any]:
    doc = doc if doc is not None else nginx()
    return apply_overrides(doc, rid, doc["metadata"].get("labels", {}), cluster, [policy])[0]


DC1 = {"failuredomain.kubernetes.io/region": "dc1"}
CASES = [
    ("cop member1", CLUSTER_OVERRIDE, Cluster("member1"), None, "/spec/replicas", 1),
    ("cop member2 untouched", CLUSTER_OVERRIDE, Cluster("member2"), None, "/spec/replicas", 2),
    ("example name beats its label selector", EXAMPLE_OVERRIDE, Cluster("dc-1-cluster-1", labels=DC1), None,
     "/spec/template/spec/containers/0/image", "dc-1.registry.io/nginx:1.17.0-alpine"),
    ("example add then remove leaves empty annotations", EXAMPLE_OVERRIDE, Cluster("dc-1-cluster-2", labels=DC1),
     None, "/metadata/annotations", {}),
    ("example add replaces existing annotations", EXAMPLE_OVERRIDE, Cluster("dc-1-cluster-1", labels=DC1),
     nginx(annotations={"keep": "me"}), "/metadata/annotations", {}),
    ("example needs name and label", EXAMPLE_OVERRIDE, Cluster("dc-1-cluster-1"), None,
     "/spec/template/spec/containers/0/image", "nginx:1.25"),
    ("example other cluster", EXAMPLE_OVERRIDE, Cluster("dc-2-cluster-1", labels=DC1), None,
     "/spec/template/spec/containers/0/image", "nginx:1.25"),
    ("image us", IMAGE_OVERRIDE, Cluster("m-us", labels={"location": "us"}), None,
     "/spec/template/spec/containers/0/image", "fictional.registry.us/nginx:1.25"),
    ("image cn", IMAGE_OVERRIDE, Cluster("m-cn", labels={"location": "cn"}), None,
     "/spec/template/spec/containers/0/image", "fictional.registry.cn/nginx:1.25"),
    ("image elsewhere", IMAGE_OVERRIDE, Cluster("m-eu", labels={"location": "eu"}), None,
     "/spec/template/spec/containers/0/image", "nginx:1.25"),
    ("nginx-op member2 labels", NGINX_SAMPLE, Cluster("member2"), nginx(labels={"app": "nginx", "bar": "old"}),
     "/metadata/labels", {"app": "nginx", "bar": "test", "env": "skoala-dev", "env-stat": "skoala-stage"}),
    ("nginx-op member2 removes for", NGINX_SAMPLE, Cluster("member2"), nginx(labels={"for": "x"}),
     "/metadata/labels", {"env": "skoala-dev", "env-stat": "skoala-stage"}),
    ("nginx-op member1 annotations", NGINX_SAMPLE, Cluster("member1"),
     nginx(annotations={"bom": "1", "emma": "x", "other": "y"}),
     "/metadata/annotations", {"emma": "sophia", "other": "y", "env": "skoala-stage"}),
    ("nginx-op member1 leaves labels", NGINX_SAMPLE, Cluster("member1"), None, "/metadata/labels", {"app": "nginx"}),
]


@pytest.mark.parametrize(("policy", "cluster", "doc", "pointer", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_samples_render(policy: OverridePolicy, cluster: Cluster, doc: dict[str, Any] | None, pointer: str,
                        expected: Any) -> None:
    node: Any = render(policy, cluster, doc)
    for token in pointer.split("/")[1:]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    assert node == expected


def test_cop_sample_ignores_other_deployments() -> None:
    doc = nginx()
    doc["metadata"]["name"] = "api"
    out = render(CLUSTER_OVERRIDE, Cluster("member1"), doc, ResourceId("apps/v1", "Deployment", "default", "api"))
    assert out["spec"]["replicas"] == 2
