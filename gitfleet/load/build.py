"""Valid documents -> the model's dataclasses, with Karmada's defaults applied.

Karmada fills defaults in two places, the CRD schema and the mutating webhook
(KARMADA-SEMANTICS §1.3, §1.4, §4.1); the model always holds the result, so no later
stage has to know about a missing field. Only called on documents that passed the
schema and the admission checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from gitfleet.load.tolerations import with_defaults
from gitfleet.model.cluster import Cluster, ResourceSummary, Taint
from gitfleet.model.duration import seconds
from gitfleet.model.failover import FailoverSettings
from gitfleet.model.overriders import OVERRIDERS
from gitfleet.model.policy import (
    ClusterAffinity,
    ClusterAffinityTerm,
    CommandArgsOverrider,
    FieldOverrider,
    FieldSelectorRequirement,
    ImageOverrider,
    LabelSelector,
    LabelSelectorRequirement,
    MetadataOverrider,
    OverridePolicy,
    Overriders,
    OverrideRule,
    PatchOp,
    Placement,
    PropagationPolicy,
    ReplicaScheduling,
    ResourceSelector,
    SpreadConstraint,
    StaticWeight,
    Toleration,
)
from gitfleet.model.resource import ApplySettings, FleetSettings
from gitfleet.model.source import SourcePos

DEFAULT_NAMESPACE = "default"
DEFAULT_SCHEDULER = "default-scheduler"
# A selector of an MCS ServiceImport makes the webhook force propagateDeps.
_SERVICE_IMPORT = ("multicluster.x-k8s.io/v1alpha1", "ServiceImport")


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else ()


def label_selector(raw: Any) -> LabelSelector | None:
    if raw is None:
        return None
    raw = _d(raw)
    return LabelSelector(
        match_labels=tuple(sorted(_d(raw.get("matchLabels")).items())),
        match_expressions=tuple(
            LabelSelectorRequirement(r["key"], r["operator"], _strs(r.get("values")))
            for r in raw.get("matchExpressions") or ()
        ),
    )


def cluster_affinity(raw: Any) -> ClusterAffinity:
    raw = _d(raw)
    field_selector = None
    if raw.get("fieldSelector") is not None:
        field_selector = tuple(
            FieldSelectorRequirement(r["key"], r["operator"], _strs(r.get("values")))
            for r in _d(raw["fieldSelector"]).get("matchExpressions") or ()
        )
    return ClusterAffinity(
        cluster_names=_strs(raw.get("clusterNames")),
        exclude=_strs(raw.get("exclude")),
        label_selector=label_selector(raw.get("labelSelector")),
        field_selector=field_selector,
    )


def resource_selectors(raw: Any, policy_ns: str | None) -> tuple[ResourceSelector, ...]:
    return tuple(
        ResourceSelector(
            api_version=s["apiVersion"],
            kind=s["kind"],
            # PP/OP webhook: an empty selector namespace is the policy's own.
            namespace=s.get("namespace") or policy_ns,
            name=s.get("name") or None,
            label_selector=label_selector(s.get("labelSelector")),
        )
        for s in raw or ()
    )


def _toleration(raw: Mapping[str, Any]) -> Toleration:
    return Toleration(
        key=raw.get("key") or "",
        operator=raw.get("operator") or "Equal",
        value=raw.get("value") or "",
        effect=raw.get("effect") or "",
        toleration_seconds=raw.get("tolerationSeconds"),
    )


def _spread(raw: Mapping[str, Any]) -> SpreadConstraint:
    by_field = raw.get("spreadByField") or None
    by_label = raw.get("spreadByLabel") or None
    if by_field is None and by_label is None:
        by_field = "cluster"
    return SpreadConstraint(
        spread_by_field=by_field,
        spread_by_label=by_label,
        max_groups=raw.get("maxGroups") or 0,
        min_groups=raw.get("minGroups") or 1,
    )


def replica_scheduling(raw: Any) -> ReplicaScheduling:
    if raw is None:
        return ReplicaScheduling()  # absent => Duplicated
    raw = _d(raw)
    kind = raw.get("replicaSchedulingType") or "Divided"
    preference = raw.get("replicaDivisionPreference") or None
    if kind == "Divided" and preference is None:
        preference = "Weighted"
    weights = raw.get("weightPreference")
    static = tuple(
        StaticWeight(cluster_affinity(w.get("targetCluster")), int(w["weight"]))
        for w in _d(weights).get("staticWeightList") or ()
    )
    return ReplicaScheduling(
        type=kind,
        division_preference=preference,
        has_weight_preference=weights is not None,
        static_weights=static,
        dynamic_weight=_d(weights).get("dynamicWeight") or None,
    )


def placement(raw: Any) -> Placement:
    raw = _d(raw)
    terms = tuple(
        ClusterAffinityTerm(
            affinity_name=t["affinityName"],
            affinity=cluster_affinity(t),
            overflow=tuple(cluster_affinity(o) for o in t.get("overflowAffinities") or ()),
        )
        for t in raw.get("clusterAffinities") or ()
    )
    return Placement(
        cluster_affinity=cluster_affinity(raw["clusterAffinity"]) if raw.get("clusterAffinity") is not None
        else None,
        cluster_affinities=terms,
        tolerations=tuple(_toleration(t) for t in raw.get("clusterTolerations") or ()),
        spread_constraints=tuple(_spread(s) for s in raw.get("spreadConstraints") or ()),
        replica_scheduling=replica_scheduling(raw.get("replicaScheduling")),
    )


def policy_namespace(doc: Mapping[str, Any]) -> str | None:
    """A namespaced policy without ``metadata.namespace`` lives in ``default``;
    cluster-wide policies have none."""
    if doc["kind"] in ("PropagationPolicy", "OverridePolicy"):
        return _d(doc.get("metadata")).get("namespace") or DEFAULT_NAMESPACE
    return None


def propagation_policy(
    doc: Mapping[str, Any], pos: SourcePos, ignored: tuple[str, ...], failover: FailoverSettings
) -> PropagationPolicy:
    """``failover``: the fleet's settings, for the webhook's default tolerations."""
    ns = policy_namespace(doc)
    spec = _d(doc.get("spec"))
    selectors = resource_selectors(spec.get("resourceSelectors"), ns)
    propagate_deps = bool(spec.get("propagateDeps")) or any(
        (s.api_version, s.kind) == _SERVICE_IMPORT for s in selectors
    )
    suspension = _d(spec.get("suspension"))
    where = placement(spec.get("placement"))
    tolerations, added = with_defaults(where.tolerations, failover.default_tolerations())
    purge = _d(_d(spec.get("failover")).get("cluster")).get("purgeMode")
    return PropagationPolicy(
        kind=doc["kind"],
        name=doc["metadata"]["name"],
        namespace=ns,
        selectors=selectors,
        placement=replace(where, tolerations=tolerations),
        priority=int(spec.get("priority") or 0),
        propagate_deps=propagate_deps,
        conflict_resolution=spec.get("conflictResolution") or "Abort",
        scheduler_name=spec.get("schedulerName") or DEFAULT_SCHEDULER,
        suspend_dispatching=suspension.get("dispatching") is True,
        suspend_on_clusters=_strs(_d(suspension.get("dispatchingOnClusters")).get("clusterNames")),
        ignored_fields=ignored,
        purge_mode=purge if purge in ("Gracefully", "Directly") else None,
        default_tolerations=added,
        pos=pos,
    )


def _patch_op(raw: Mapping[str, Any], path_key: str) -> PatchOp:
    return PatchOp(op=raw["operator"], path=raw[path_key], value=raw.get("value"), has_value="value" in raw)


def _metadata_overriders(entries: Any) -> tuple[MetadataOverrider, ...]:
    return tuple(MetadataOverrider(e["operator"], dict(_d(e.get("value")))) for e in entries or ())


def _command_overriders(entries: Any) -> tuple[CommandArgsOverrider, ...]:
    return tuple(CommandArgsOverrider(e["containerName"], e["operator"], _strs(e.get("value"))) for e in entries or ())


def _image_overriders(entries: Any) -> tuple[ImageOverrider, ...]:
    return tuple(
        ImageOverrider(
            component=i["component"],
            operator=i["operator"],
            value=i.get("value") or "",
            predicate_path=_d(i.get("predicate")).get("path"),
        )
        for i in entries or ()
    )


def _field_overriders(entries: Any) -> tuple[FieldOverrider, ...]:
    return tuple(
        FieldOverrider(
            field_path=f["fieldPath"],
            json_ops=tuple(_patch_op(o, "subPath") for o in f["json"]) if f.get("json") else None,
            yaml_ops=tuple(_patch_op(o, "subPath") for o in f["yaml"]) if f.get("yaml") else None,
        )
        for f in entries or ()
    )


def _plaintext(entries: Any) -> tuple[PatchOp, ...]:
    return tuple(_patch_op(p, "path") for p in entries or ())


# How each overrider of gitfleet.model.overriders.OVERRIDERS is read, by API name.
_OVERRIDER_PARSERS: Mapping[str, Callable[[Any], tuple[Any, ...]]] = {
    "imageOverrider": _image_overriders,
    "commandOverrider": _command_overriders,
    "argsOverrider": _command_overriders,
    "labelsOverrider": _metadata_overriders,
    "annotationsOverrider": _metadata_overriders,
    "fieldOverrider": _field_overriders,
    "plaintext": _plaintext,
}


def overriders(raw: Any) -> Overriders:
    raw = _d(raw)
    return Overriders(**{kind.attribute: _OVERRIDER_PARSERS[kind.api_name](raw.get(kind.api_name))
                         for kind in OVERRIDERS})


def override_policy(doc: Mapping[str, Any], pos: SourcePos) -> OverridePolicy:
    ns = policy_namespace(doc)
    spec = _d(doc.get("spec"))
    if "overrideRules" in spec:
        rules = tuple(
            OverrideRule(
                overriders=overriders(r.get("overriders")),
                target_cluster=cluster_affinity(r["targetCluster"]) if r.get("targetCluster") is not None
                else None,
                index=i,
            )
            for i, r in enumerate(spec.get("overrideRules") or ())
        )
    elif "overriders" in spec or "targetCluster" in spec:
        # Deprecated single-rule form.
        rules = (OverrideRule(
            overriders=overriders(spec.get("overriders")),
            target_cluster=cluster_affinity(spec["targetCluster"]) if spec.get("targetCluster") is not None
            else None,
            index=0,
        ),)
    else:
        rules = ()
    return OverridePolicy(
        kind=doc["kind"],
        name=doc["metadata"]["name"],
        namespace=ns,
        selectors=resource_selectors(spec.get("resourceSelectors"), ns),
        rules=rules,
        pos=pos,
    )


def cluster(doc: Mapping[str, Any], pos: SourcePos, obj: Mapping[str, Any]) -> Cluster:
    meta = _d(doc.get("metadata"))
    spec = _d(doc.get("spec"))
    status = _d(doc.get("status"))
    zones = _strs(spec.get("zones"))
    if not zones and spec.get("zone"):
        zones = (spec["zone"],)  # Cluster mutation migrates the deprecated field
    enablements = None
    if "apiEnablements" in status:
        enablements = frozenset(
            (e["groupVersion"], r["kind"])
            for e in status.get("apiEnablements") or ()
            for r in e.get("resources") or ()
        )
    summary = None
    if status.get("resourceSummary") is not None:
        raw = _d(status["resourceSummary"])
        summary = ResourceSummary(
            allocatable=dict(_d(raw.get("allocatable"))),
            allocated=dict(_d(raw.get("allocated"))),
            allocating=dict(_d(raw.get("allocating"))),
        )
    return Cluster(
        name=meta["name"],
        labels=dict(_d(meta.get("labels"))),
        provider=spec.get("provider") or None,
        region=spec.get("region") or None,
        zones=zones,
        taints=tuple(
            Taint(key=t["key"], value=t.get("value") or "", effect=t["effect"], time_added=t.get("timeAdded"))
            for t in spec.get("taints") or ()
        ),
        sync_mode=spec.get("syncMode") or "Push",
        api_enablements=enablements,
        resource_summary=summary,
        api_endpoint=spec.get("apiEndpoint") or None,
        secret_ref=dict(spec["secretRef"]) if isinstance(spec.get("secretRef"), dict) else None,
        obj=obj,
        pos=pos,
    )


def fleet_settings(doc: Mapping[str, Any] | None, pos: SourcePos) -> FleetSettings:
    if doc is None:
        return FleetSettings()
    spec = _d(doc.get("spec"))
    apply = _d(spec.get("apply"))
    ignore = []
    for entry in apply.get("ignore") or ():
        kind = entry["kind"]
        if entry.get("apiVersion"):
            kind = f"{entry['apiVersion']}/{kind}"
        ignore.append((kind, entry["path"]))
    defaults = ApplySettings()
    return FleetSettings(
        name=_d(doc.get("metadata")).get("name") or FleetSettings.name,
        status_branch=spec.get("statusBranch") or FleetSettings.status_branch,
        exclude=_strs(spec.get("exclude")),
        values=dict(_d(spec.get("values"))),
        apply=ApplySettings(
            prune=apply.get("prune", defaults.prune),
            drift=apply.get("drift", defaults.drift),
            max_prune_fraction=float(apply.get("maxPruneFraction", defaults.max_prune_fraction)),
            ignore=tuple(ignore),
        ),
        failover=failover_settings(_d(spec.get("failover"))),
        pos=pos,
    )


def failover_settings(raw: Mapping[str, Any]) -> FailoverSettings:
    """``spec.failover`` of a schema-valid fleet.yaml, each absent field at its default."""
    d = FailoverSettings()
    purge = raw.get("purgeMode", d.purge_mode)
    return FailoverSettings(
        no_execute_eviction=bool(raw.get("noExecuteEviction", d.no_execute_eviction)),
        failure_threshold=int(raw.get("failureThreshold", d.failure_threshold)),
        success_threshold=int(raw.get("successThreshold", d.success_threshold)),
        max_unhealthy_fraction=float(raw.get("maxUnhealthyFraction", d.max_unhealthy_fraction)),
        health_interval=seconds(raw.get("healthInterval", d.health_interval)),
        estimator_interval=seconds(raw.get("estimatorInterval", d.estimator_interval)),
        probe_timeout=seconds(raw.get("probeTimeout", d.probe_timeout)),
        default_not_ready_toleration_seconds=int(
            raw.get("defaultNotReadyTolerationSeconds", d.default_not_ready_toleration_seconds)
        ),
        default_unreachable_toleration_seconds=int(
            raw.get("defaultUnreachableTolerationSeconds", d.default_unreachable_toleration_seconds)
        ),
        graceful_eviction_timeout=seconds(raw.get("gracefulEvictionTimeout", d.graceful_eviction_timeout)),
        purge_mode="Directly" if purge == "Directly" else "Gracefully",
    )
