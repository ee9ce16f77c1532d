"""apply_overrides: rule and overrider order, cluster targeting, records, errors and
the no-mutation invariant (KARMADA-SEMANTICS §4, pitfall §9.8)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ovhelpers import container, deployment, policy, select_deployment

from gitfleet.errors import OverrideError
from gitfleet.model import (
    AppliedOverride,
    Cluster,
    ClusterAffinity,
    CommandArgsOverrider,
    FieldOverrider,
    ImageOverrider,
    LabelSelector,
    MetadataOverrider,
    OverridePolicy,
    Overriders,
    PatchOp,
    ResourceId,
)
from gitfleet.override.apply import apply_overrides, apply_policies

WEB = ResourceId("apps/v1", "Deployment", "default", "web")
MEMBER1 = Cluster("member1", labels={"env": "prod"})
MEMBER2 = Cluster("member2", labels={"env": "dev"})


def manifest() -> dict[str, Any]:
    return deployment(container("web", "nginx:1.25"), labels={"app": "web"})


def replicas(n: int) -> Overriders:
    return Overriders(plaintext=(PatchOp("replace", "/spec/replicas", n, True),))


def run(policies: list[OverridePolicy], cluster: Cluster = MEMBER1) -> tuple[dict[str, Any], tuple[AppliedOverride, ...]]:
    doc = manifest()
    out, applied = apply_overrides(doc, WEB, {"app": "web"}, cluster, policies)
    assert doc == manifest()
    return out, applied


def test_later_writes_win_cop_before_op() -> None:
    out, applied = run([policy("z-op", replicas(2)), policy("a-cop", replicas(1), namespace=None)])
    assert out["spec"]["replicas"] == 2
    assert [(a.policy, a.old, a.new) for a in applied] == [
        ("ClusterOverridePolicy/a-cop", 3, 1), ("OverridePolicy/default/z-op", 1, 2)]


def test_more_precise_policy_wins_over_alphabetical_order() -> None:
    out, _ = run([policy("a-by-name", replicas(5), selectors=(select_deployment("web"),)),
                  policy("b-by-label", replicas(6), selectors=(select_deployment(app="web"),)),
                  policy("c-all", replicas(7))])
    assert out["spec"]["replicas"] == 5


def test_fixed_overrider_order_plaintext_last() -> None:
    # plaintext is written "first" here, but always runs after image and labels.
    overriders = Overriders(
        plaintext=(PatchOp("replace", "/spec/template/spec/containers/0/image", "plain:1", True),
                   PatchOp("remove", "/metadata/labels/tier")),
        labels=(MetadataOverrider("add", {"tier": "gold"}),),
        image=(ImageOverrider("Registry", "replace", "mirror.example"),),
    )
    out, applied = run([policy("p", overriders)])
    assert out["spec"]["template"]["spec"]["containers"][0]["image"] == "plain:1"
    assert "tier" not in out["metadata"]["labels"]
    assert [a.overrider for a in applied] == ["imageOverrider", "labelsOverrider", "plaintext", "plaintext"]


def test_every_overrider_in_order_is_recorded() -> None:
    doc = manifest()
    doc["metadata"]["annotations"] = {"cfg": '{"a":1}'}
    overriders = Overriders(
        image=(ImageOverrider("Tag", "replace", "1.26"),),
        command=(CommandArgsOverrider("web", "add", ("nginx",)),),
        args=(CommandArgsOverrider("web", "add", ("-g",)),),
        labels=(MetadataOverrider("replace", {"app": "web2"}),),
        annotations=(MetadataOverrider("add", {"x": "y"}),),
        field=(FieldOverrider("/metadata/annotations/cfg", json_ops=(PatchOp("replace", "/a", 2, True),)),),
        plaintext=(PatchOp("replace", "/spec/replicas", 1, True),),
    )
    _, applied = apply_overrides(doc, WEB, {"app": "web"}, MEMBER1, [policy("p", overriders)])
    containers = "/spec/template/spec/containers/0"
    assert applied == (
        AppliedOverride(f"{containers}/image", "OverridePolicy/default/p", 0, "imageOverrider",
                        "nginx:1.25", "nginx:1.26"),
        AppliedOverride(f"{containers}/command", "OverridePolicy/default/p", 0, "commandOverrider", None, ["nginx"]),
        AppliedOverride(f"{containers}/args", "OverridePolicy/default/p", 0, "argsOverrider", None, ["-g"]),
        AppliedOverride("/metadata/labels/app", "OverridePolicy/default/p", 0, "labelsOverrider", "web", "web2"),
        AppliedOverride("/metadata/annotations/x", "OverridePolicy/default/p", 0, "annotationsOverrider", None, "y"),
        AppliedOverride("/metadata/annotations/cfg", "OverridePolicy/default/p", 0, "fieldOverrider",
                        '{"a":1}', '{"a":2}'),
        AppliedOverride("/spec/replicas", "OverridePolicy/default/p", 0, "plaintext", 3, 1),
    )


def test_rules_in_list_order_and_targeted_by_cluster() -> None:
    prod = ClusterAffinity(label_selector=LabelSelector(match_labels=(("env", "prod"),)))
    dev = ClusterAffinity(cluster_names=("member2",))
    p = policy("p", (replicas(1), None), (replicas(2), prod), (replicas(3), dev))
    out1, applied1 = run([p], MEMBER1)
    out2, applied2 = run([p], MEMBER2)
    assert (out1["spec"]["replicas"], [a.rule for a in applied1]) == (2, [0, 1])
    assert (out2["spec"]["replicas"], [a.rule for a in applied2]) == (3, [0, 2])


def test_unchanged_value_is_not_recorded() -> None:
    out, applied = run([policy("p", replicas(3))])
    assert out == manifest()
    assert applied == ()


def test_list_length_change_recorded_whole() -> None:
    ops = Overriders(plaintext=(PatchOp("add", "/spec/template/spec/containers/-", {"name": "s"}, True),))
    _, applied = run([policy("p", ops)])
    assert [(a.pointer, len(a.old), len(a.new)) for a in applied] == [("/spec/template/spec/containers", 1, 2)]


def test_escaped_pointers_in_records() -> None:
    _, applied = run([policy("p", Overriders(labels=(MetadataOverrider("add", {"example.com/t~x": "1"}),)))])
    assert [a.pointer for a in applied] == ["/metadata/labels/example.com~1t~0x"]


ERRORS = [
    ("image", Overriders(image=(ImageOverrider("Registry", "replace", "UPPER CASE"), ImageOverrider(
        "Tag", "replace", "2"))), "imageOverrider", "cannot parse image 'UPPER CASE/nginx:1.25'"),
    ("plaintext", Overriders(plaintext=(PatchOp("add", "/metadata/annotations/a", "b", True),)), "plaintext",
     "/metadata/annotations does not exist"),
    ("field", Overriders(field=(FieldOverrider("/spec/replicas", json_ops=(PatchOp("add", "/a", 1, True),)),)),
     "fieldOverrider", "fieldPath /spec/replicas holds int, not a string"),
]


@pytest.mark.parametrize(("overriders", "name", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_name_policy_rule_and_overrider(overriders: Overriders, name: str, message: str) -> None:
    policies = [policy("ok", replicas(1)), policy("bad", (replicas(2), None), (overriders, None))]
    with pytest.raises(OverrideError) as info:
        run(policies)
    error = info.value
    assert (error.policy, error.rule, error.overrider) == ("OverridePolicy/default/bad", 1, name)
    assert message in error.message
    assert str(error) == f"OverridePolicy/default/bad rule 1 {name}: {error.message}"


def test_replacing_the_document_with_a_non_object_fails() -> None:
    with pytest.raises(OverrideError, match="not an object"):
        run([policy("p", Overriders(plaintext=(PatchOp("replace", "", [1], True),)))])


def test_no_policy_returns_an_equal_new_dict() -> None:
    doc = manifest()
    out, applied = apply_overrides(doc, WEB, {}, MEMBER1, [])
    assert out == doc and out is not doc and applied == ()
    out, applied = apply_policies(doc, MEMBER1, [policy("p", (replicas(1), ClusterAffinity(cluster_names=("x",))))])
    assert out == doc and out is not doc and applied == ()


def test_untouched_subtrees_are_shared_not_copied() -> None:
    doc = manifest()
    out, _ = apply_overrides(doc, WEB, {}, MEMBER1, [policy("p", replicas(1))])
    assert out["metadata"] is doc["metadata"]
    assert out["spec"] is not doc["spec"]
    assert out["spec"]["template"] is doc["spec"]["template"]


# --- properties ---------------------------------------------------------------

_names = st.sampled_from(["web", "api", "db"])
_label_maps = st.dictionaries(st.sampled_from(["app", "tier", "example.com/team"]), st.sampled_from(["web", "x"]),
                              max_size=3)
_images = st.sampled_from(["nginx", "nginx:1.25", "r.example:5000/ns/app:v1", "Upper/x", "library/redis"])
_containers = st.lists(st.builds(lambda n, i, a: {"name": n, "image": i, **({"args": a} if a else {})},
                                 _names, _images, st.lists(st.sampled_from(["-a", "-b"]), max_size=2)),
                       min_size=0, max_size=3)
_manifests = st.builds(
    lambda kind, name, labels, containers, replicas: {
        "apiVersion": "apps/v1", "kind": kind,
        "metadata": {"name": name, "namespace": "default", "labels": labels, "annotations": {"cfg": "a: 1\n"}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}},
    },
    st.sampled_from(["Deployment", "StatefulSet", "CronJob"]), _names, _label_maps, _containers,
    st.integers(0, 5),
)
_paths = st.sampled_from(["/spec/replicas", "/metadata/labels/app", "/metadata/x", "/spec/template/spec/containers/0",
                          "/spec/template/spec/containers/-", "/metadata/annotations/cfg", "/nope/x"])
_overriders = st.builds(
    Overriders,
    plaintext=st.lists(st.builds(lambda o, p, v: PatchOp(o, p, v, o != "remove"),
                                 st.sampled_from(["add", "remove", "replace"]), _paths,
                                 st.one_of(st.integers(), st.dictionaries(st.text(max_size=3), st.text(max_size=3),
                                                                           max_size=2))),
                       max_size=3).map(tuple),
    image=st.lists(st.builds(ImageOverrider, st.sampled_from(["Registry", "Repository", "Tag"]),
                             st.sampled_from(["add", "remove", "replace"]), st.sampled_from(["r.io", "-x", "v2"])),
                   max_size=2).map(tuple),
    args=st.lists(st.builds(CommandArgsOverrider, _names, st.sampled_from(["add", "remove"]),
                            st.lists(st.sampled_from(["-a", "-c"]), max_size=2).map(tuple)), max_size=2).map(tuple),
    labels=st.lists(st.builds(MetadataOverrider, st.sampled_from(["add", "remove", "replace"]), _label_maps),
                    max_size=2).map(tuple),
    field=st.lists(st.builds(lambda v: FieldOverrider("/metadata/annotations/cfg",
                                                      yaml_ops=(PatchOp("replace", "/a", v, True),)), st.integers()),
                   max_size=1).map(tuple),
)
_policies = st.lists(
    st.builds(lambda name, ns, sel, rules: policy(name, *rules, namespace=ns, selectors=sel),
              _names, st.sampled_from([None, "default", "other"]),
              st.sampled_from([(), (select_deployment("web"),), (select_deployment(app="web"),)]),
              st.lists(st.tuples(_overriders, st.sampled_from([None, ClusterAffinity(cluster_names=("member2",))])),
                       max_size=2)),
    max_size=3, unique_by=lambda p: (p.namespace, p.name))


@settings(max_examples=150, deadline=None)
@given(_manifests, _policies)
def test_input_is_never_mutated(doc: dict[str, Any], policies: list[OverridePolicy]) -> None:
    before = copy.deepcopy(doc)
    rid = ResourceId.of(doc)
    try:
        out, applied = apply_overrides(doc, rid, doc["metadata"]["labels"], MEMBER1, policies)
    except OverrideError:
        assert doc == before
        return
    assert doc == before
    if not applied:
        assert out == before
    for record in applied:
        assert record.old != record.new or type(record.old) is not type(record.new)


@settings(max_examples=100, deadline=None)
@given(_manifests, _policies)
def test_no_matching_policy_returns_the_input(doc: dict[str, Any], policies: list[OverridePolicy]) -> None:
    rid = ResourceId("v1", "ConfigMap", "elsewhere", "unrelated")
    only_namespaced = [p for p in policies if p.namespace is not None]
    out, applied = apply_overrides(doc, rid, {}, MEMBER1, only_namespaced)
    assert out == doc and applied == ()


@settings(max_examples=100, deadline=None)
@given(_manifests, _policies)
def test_records_describe_the_final_manifest(doc: dict[str, Any], policies: list[OverridePolicy]) -> None:
    """The last record for each pointer holds the value the result has there."""
    rid = ResourceId.of(doc)
    try:
        out, applied = apply_overrides(doc, rid, doc["metadata"]["labels"], MEMBER1, policies)
    except OverrideError:
        return
    last: dict[str, Any] = {}
    for record in applied:
        last[record.pointer] = record.new
    for pointer, new in last.items():
        # a later change to an enclosing or enclosed path supersedes this one
        if any(p != pointer and (p.startswith(pointer + "/") or pointer.startswith(p + "/")) for p in last):
            continue
        node: Any = out
        found = True
        for token in pointer.split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                found = False
                break
        assert node == new if found else new is None
