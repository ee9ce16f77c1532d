"""The apply engine against real API servers: create, update, no-op, prune, conflicts,
drift, ignore rules, CRD ordering, dry run, validation errors, readiness."""

from __future__ import annotations

import pytest

from cluster.kit import actions, configmap, deployment, edit, keyed, namespace, run, versions
from gitfleet.apply.digest import DIGEST_ANNOTATION
from gitfleet.kube import KubeClient
from gitfleet.model.keys import ResourceId
from gitfleet.model.resource import ApplySettings

# One xdist worker runs the whole tier, so one set of member clusters serves it.
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def test_create_update_and_noop_writes_nothing(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    desired = keyed(namespace(ns), configmap(ns, "a", x="1"), configmap(ns, "b", x="2"), deployment(ns))
    first = run(client, "demo", desired)
    assert first.ok and first.complete
    assert set(actions(first).values()) == {"created"} and len(first.objects) == 4
    live = client.get(ResourceId("v1", "ConfigMap", ns, "a"))
    assert live is not None and live["data"] == {"x": "1"}
    assert live["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "gitfleet", "gitfleet.io/fleet": "demo"}
    assert any(m["manager"] == "gitfleet" and m["operation"] == "Apply" for m in live["metadata"]["managedFields"])

    desired = keyed(namespace(ns), configmap(ns, "a", x="changed"), configmap(ns, "b", x="2"), deployment(ns))
    second = run(client, "demo", desired)
    assert actions(second) == {**{k: "unchanged" for k in desired}, f"v1/ConfigMap/{ns}/a": "configured"}
    assert client.get(ResourceId("v1", "ConfigMap", ns, "a"))["data"] == {"x": "changed"}  # type: ignore[index]

    before = versions(client, list(desired))
    third = run(client, "demo", desired)
    assert set(actions(third).values()) == {"unchanged"}
    assert third.writes == 0
    assert versions(client, list(desired)) == before


def test_missing_object_is_recreated(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    desired = keyed(namespace(ns), configmap(ns, "a", x="1"))
    run(client, "demo", desired)
    client.delete(ResourceId("v1", "ConfigMap", ns, "a"))
    again = run(client, "demo", desired)
    assert actions(again)[f"v1/ConfigMap/{ns}/a"] == "created"


def test_prune_deletes_only_owned_objects(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    keep = keyed(namespace(ns), *(configmap(ns, f"keep{i}") for i in range(5)))
    gone = keyed(configmap(ns, "gone"))
    run(client, "demo", {**keep, **gone})
    # An object gitfleet did not create, wrongly listed in the inventory.
    foreign = configmap(ns, "foreign", x="mine")
    client.apply(foreign)
    foreign_key = ResourceId.of(foreign).key
    inventory = set(keep) | set(gone) | {foreign_key}

    result = run(client, "demo", keep, inventory=inventory)
    assert result.ok and result.complete
    assert actions(result)[ResourceId.of(gone[next(iter(gone))]).key] == "pruned"
    assert actions(result)[foreign_key] == "skipped"
    assert client.get(ResourceId("v1", "ConfigMap", ns, "gone")) is None
    assert client.get(ResourceId("v1", "ConfigMap", ns, "foreign")) is not None


def test_prune_leaves_objects_of_another_fleet(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    run(client, "other", keyed(namespace(ns), configmap(ns, "theirs")))
    theirs = f"v1/ConfigMap/{ns}/theirs"
    result = run(client, "demo", keyed(namespace(ns)), inventory={theirs, f"v1/Namespace/_/{ns}"},
                 allow_mass_prune=True)
    assert actions(result)[theirs] == "skipped"
    assert client.get(ResourceId.parse(theirs)) is not None


def test_mass_prune_guard(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    objects = keyed(namespace(ns), *(configmap(ns, f"c{i}") for i in range(9)))
    run(client, "demo", objects)
    only_ns = keyed(namespace(ns))
    refused = run(client, "demo", only_ns, inventory=set(objects))
    assert not refused.ok and not refused.complete
    assert refused.error is not None and "refusing to prune 9 of 10 objects" in refused.error
    assert "--allow-mass-prune" in refused.error
    assert all(v is not None for v in versions(client, list(objects)).values())

    allowed = run(client, "demo", only_ns, inventory=set(objects), allow_mass_prune=True)
    assert allowed.ok and list(actions(allowed).values()).count("pruned") == 9
    assert client.get(ResourceId("v1", "ConfigMap", ns, "c0")) is None


def test_unowned_object_is_a_conflict_unless_overwrite(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    run(client, "demo", keyed(namespace(ns)))
    client.apply(configmap(ns, "taken", x="theirs"))  # applied without gitfleet's labels
    key = f"v1/ConfigMap/{ns}/taken"
    before = versions(client, [key])
    conflict = run(client, "demo", keyed(namespace(ns), configmap(ns, "taken", x="ours")))
    assert actions(conflict)[key] == "conflict" and not conflict.ok
    assert "not managed by gitfleet" in conflict.objects[0].message or any(
        "not managed by gitfleet" in o.message for o in conflict.objects)
    assert versions(client, [key]) == before

    adopted = run(client, "demo", keyed(namespace(ns), configmap(ns, "taken", x="ours")), overwrite={key})
    assert actions(adopted)[key] == "configured" and adopted.ok
    live = client.get(ResourceId.parse(key))
    assert live is not None and live["data"] == {"x": "ours"}
    assert live["metadata"]["labels"]["gitfleet.io/fleet"] == "demo"


def test_drift_by_another_manager_is_corrected_and_reported(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    desired = keyed(namespace(ns), deployment(ns, replicas=2, image="nginx:1.25"))
    key = f"apps/v1/Deployment/{ns}/web"
    run(client, "demo", desired)
    edit(client, key, {"spec": {"replicas": 5, "template": {"metadata": {"labels": {"extra": "x"}}}}})

    report = run(client, "demo", desired, settings=ApplySettings(drift="report"))
    (obj,) = [o for o in report.objects if o.key == key]
    assert obj.action == "unchanged"
    assert [(d.pointer, d.desired, d.live) for d in obj.drift] == [("/spec/replicas", 2, 5)]
    assert client.get(ResourceId.parse(key))["spec"]["replicas"] == 5  # type: ignore[index]

    corrected = run(client, "demo", desired)
    (obj,) = [o for o in corrected.objects if o.key == key]
    assert obj.action == "configured" and obj.message == "drift corrected"
    assert [(d.pointer, d.desired, d.live) for d in obj.drift] == [("/spec/replicas", 2, 5)]
    live = client.get(ResourceId.parse(key))
    assert live is not None and live["spec"]["replicas"] == 2
    # The label the other manager added to a field gitfleet does not declare stays.
    assert live["spec"]["template"]["metadata"]["labels"]["extra"] == "x"
    after = run(client, "demo", desired)
    assert after.writes == 0 and not after.drift()


def test_normalised_values_are_not_drift(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    dep = deployment(ns)
    dep["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "1000m"
    desired = keyed(namespace(ns), dep)
    run(client, "demo", desired)
    again = run(client, "demo", desired)
    assert again.writes == 0 and not again.drift()


def test_ignore_rules(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    settings = ApplySettings(ignore=(("Deployment", "/spec/replicas"),))
    desired = keyed(namespace(ns), deployment(ns, replicas=2))
    key = f"apps/v1/Deployment/{ns}/web"
    run(client, "demo", desired, settings=settings)
    edit(client, key, {"spec": {"replicas": 7}}, manager="hpa")
    quiet = run(client, "demo", desired, settings=settings)
    assert quiet.writes == 0 and not quiet.drift()

    edit(client, key, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:evil"}]}}}})
    fixed = run(client, "demo", desired, settings=settings)
    assert [d.pointer for d in fixed.drift()] == ["/spec/template/spec/containers/0/image"]
    live = client.get(ResourceId.parse(key))
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert live["spec"]["replicas"] == 7  # the autoscaler's value survives the correction

    bumped = keyed(namespace(ns), deployment(ns, replicas=2, image="nginx:1.26"))
    updated = run(client, "demo", bumped, settings=settings)
    assert actions(updated)[key] == "configured"
    live = client.get(ResourceId.parse(key))
    assert live is not None and live["spec"]["replicas"] == 7
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"


def _crd(group: str) -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "size": {"type": "integer"}}}}}}}]},
    }


def test_crd_and_custom_resource_in_one_apply(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    group = f"{ns}.example.com"
    widget = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": ns},
              "spec": {"size": 3}}
    desired = keyed(widget, namespace(ns), _crd(group))
    dry = run(client, "demo", desired, dry_run=True)
    assert set(actions(dry).values()) == {"created"} and dry.writes == 0
    result = run(client, "demo", desired)
    assert result.ok, result.to_json()
    assert set(actions(result).values()) == {"created"}
    live = client.get(ResourceId.of(widget))
    assert live is not None and live["spec"] == {"size": 3}
    again = run(client, "demo", desired)
    assert again.writes == 0


def test_dry_run_changes_nothing(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    desired = keyed(namespace(ns), configmap(ns, "a", x="1"))
    dry = run(client, "demo", desired, dry_run=True)
    assert set(actions(dry).values()) == {"created"} and dry.writes == 0 and dry.dry_run
    assert client.get(ResourceId("v1", "Namespace", None, ns)) is None

    run(client, "demo", desired)
    changed = keyed(namespace(ns), configmap(ns, "a", x="2"))
    inventory = set(desired) | {f"v1/ConfigMap/{ns}/a"}
    before = versions(client, list(desired))
    dry = run(client, "demo", changed, inventory=inventory, dry_run=True)
    assert actions(dry)[f"v1/ConfigMap/{ns}/a"] == "configured" and dry.writes == 0
    assert versions(client, list(desired)) == before
    run(client, "demo", keyed(namespace(ns)), inventory=inventory, dry_run=True, allow_mass_prune=True)
    assert client.get(ResourceId("v1", "ConfigMap", ns, "a")) is not None


def test_validation_errors_are_reported_per_object(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    bad = deployment(ns, name="bad", replicas=-1)
    desired = keyed(namespace(ns), configmap(ns, "good"), bad)
    result = run(client, "demo", desired)
    assert not result.ok
    by_key = {o.key: o for o in result.objects}
    assert by_key[f"v1/ConfigMap/{ns}/good"].action == "created"
    failed = by_key[f"apps/v1/Deployment/{ns}/bad"]
    assert failed.action == "failed"
    assert "spec.replicas" in failed.message and "greater than or equal to 0" in failed.message


def test_unknown_kind_fails_with_a_hint(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    thing = {"apiVersion": "nowhere.example.com/v1", "kind": "Thing", "metadata": {"name": "t", "namespace": ns}}
    result = run(client, "demo", keyed(namespace(ns), thing))
    (failed,) = [o for o in result.objects if o.action == "failed"]
    assert "CustomResourceDefinition" in failed.message


def test_readiness_is_read_back(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    desired = keyed(namespace(ns), deployment(ns, replicas=3))
    key = f"apps/v1/Deployment/{ns}/web"
    first = run(client, "demo", desired)
    obj = {o.key: o for o in first.objects}[key]
    assert obj.readiness is not None and not obj.readiness.ready and obj.readiness.replicas == 3
    # No kubelet runs here: play the controller through the status subresource.
    live = client.get(ResourceId.parse(key))
    assert live is not None
    client.request("PATCH", client.object_path(ResourceId.parse(key)) + "/status",
                   body={"status": {"observedGeneration": live["metadata"]["generation"], "replicas": 3,
                                    "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}},
                   content_type="application/merge-patch+json")
    second = run(client, "demo", desired)
    obj = {o.key: o for o in second.objects}[key]
    assert obj.action == "unchanged" and obj.readiness is not None and obj.readiness.ready
    assert (obj.readiness.ready_replicas, obj.readiness.replicas) == (3, 3)


def test_drift_mode_reads_only(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    desired = keyed(namespace(ns), configmap(ns, "a", x="1"), configmap(ns, "b", x="1"))
    run(client, "demo", desired)
    edit(client, f"v1/ConfigMap/{ns}/a", {"data": {"x": "2"}})
    client.delete(ResourceId("v1", "ConfigMap", ns, "b"))
    writes = client.stats.writes
    report = run(client, "demo", desired, mode="drift")
    assert client.stats.writes == writes
    assert sorted((d.key, d.pointer, d.desired, d.live) for d in report.drift()) == [
        (f"v1/ConfigMap/{ns}/a", "/data/x", "1", "2"),
        (f"v1/ConfigMap/{ns}/b", "", "present", None),
    ]
    assert client.get(ResourceId("v1", "ConfigMap", ns, "b")) is None


def test_live_diff_mode_shows_field_changes(kube: dict[str, KubeClient], ns: str) -> None:
    client = kube["member1"]
    run(client, "demo", keyed(namespace(ns), configmap(ns, "a", x="1")))
    desired = keyed(namespace(ns), configmap(ns, "a", x="2"), configmap(ns, "new"))
    diff = run(client, "demo", desired, mode="diff", dry_run=True)
    by_key = {o.key: o for o in diff.objects}
    assert by_key[f"v1/Namespace/_/{ns}"].action == "unchanged"
    assert by_key[f"v1/ConfigMap/{ns}/new"].action == "created"
    changed = by_key[f"v1/ConfigMap/{ns}/a"]
    assert changed.action == "configured"
    pointers = {d.pointer: (d.live, d.desired) for d in changed.drift}
    assert pointers["/data/x"] == ("1", "2")
    assert f"/metadata/annotations/{DIGEST_ANNOTATION.replace('/', '~1')}" in pointers
    assert client.get(ResourceId("v1", "ConfigMap", ns, "new")) is None
