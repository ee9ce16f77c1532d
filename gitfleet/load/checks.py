"""Admission rules Karmada enforces beyond its CRD schemas (KARMADA-SEMANTICS §7,
``pkg/util/validation/validation.go``, ``pkg/apis/cluster/validation``), plus label
selector and JSON-pointer syntax.

The checks run even on documents that failed the schema, so one run reports
everything; they therefore read the raw data defensively (a list where a mapping
belongs is skipped here, the schema has already reported it). Defaults are those of
Karmada's mutating webhook, since validation runs after mutation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from gitfleet.load import syntax
from gitfleet.load.identity_overrides import check_identity_overrides
from gitfleet.load.report import Reporter
from gitfleet.load.yamlio import JsonPath
from gitfleet.model import duration
from gitfleet.model.overriders import API_NAMES

SPREAD_FIELDS = ("cluster", "region", "zone", "provider")
FIELD_SELECTOR_KEYS = ("provider", "region", "zone")
TOLERATION_OPERATORS = ("", "Exists", "Equal")
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CLUSTER_NAME_MAX = 48
# fleet.yaml spec.failover durations; the schema's duration maximum.
FAILOVER_DURATIONS = ("healthInterval", "estimatorInterval", "probeTimeout", "gracefulEvictionTimeout")
MAX_DURATION_SECONDS = 30 * 86400


def _m(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _errs(report: Reporter, where: JsonPath, value: str, errors: list[str], what: str) -> None:
    for err in errors:
        report.error(where, f"invalid {what} {value!r}: {err}")


# ---------------------------------------------------------------------------
# selectors


def check_label_selector(sel: Any, where: JsonPath, report: Reporter) -> None:
    """metav1 ValidateLabelSelector: operator/values consistency and key syntax."""
    sel = _m(sel)
    for key, value in _m(sel.get("matchLabels")).items():
        _errs(report, where + ("matchLabels", key), key, syntax.qualified_name(key), "label key")
        if isinstance(value, str):
            _errs(report, where + ("matchLabels", key), value, syntax.label_value(value), "label value")
    for i, req in enumerate(_l(sel.get("matchExpressions"))):
        req = _m(req)
        at = where + ("matchExpressions", i)
        key, op, values = _s(req.get("key")), req.get("operator"), _l(req.get("values"))
        if "key" in req:
            _errs(report, at + ("key",), key, syntax.qualified_name(key), "label key")
        if op in ("In", "NotIn"):
            if not values:
                report.error(at + ("values",), f"must be non-empty when operator is {op}")
        elif op in ("Exists", "DoesNotExist"):
            if values:
                report.error(at + ("values",), f"must be empty when operator is {op}")
        elif op is not None:
            report.error(at + ("operator",), f"{op!r} is not a valid label selector operator "
                         "(use In, NotIn, Exists or DoesNotExist)")
        for j, value in enumerate(values):
            if isinstance(value, str):
                _errs(report, at + ("values", j), value, syntax.label_value(value), "label value")


def check_field_selector(sel: Any, where: JsonPath, report: Reporter) -> None:
    for i, req in enumerate(_l(_m(sel).get("matchExpressions"))):
        req = _m(req)
        at = where + ("matchExpressions", i)
        if "key" in req and req["key"] not in FIELD_SELECTOR_KEYS:
            report.error(at + ("key",), f"unsupported key {req['key']!r}, must be provider, region, or zone")
        if "operator" in req and req["operator"] not in ("In", "NotIn"):
            report.error(at + ("operator",), f"unsupported operator {req['operator']!r}, must be In or NotIn")


def check_cluster_affinity(aff: Any, where: JsonPath, report: Reporter) -> None:
    aff = _m(aff)
    if "labelSelector" in aff:
        check_label_selector(aff["labelSelector"], where + ("labelSelector",), report)
    if "fieldSelector" in aff:
        check_field_selector(aff["fieldSelector"], where + ("fieldSelector",), report)


def _empty_affinity(aff: dict[str, Any]) -> bool:
    return (aff.get("labelSelector") is None and aff.get("fieldSelector") is None
            and not _l(aff.get("clusterNames")) and not _l(aff.get("exclude")))


def check_resource_selectors(spec: dict[str, Any], policy_ns: str | None, report: Reporter) -> None:
    for i, sel in enumerate(_l(spec.get("resourceSelectors"))):
        sel = _m(sel)
        at: JsonPath = ("spec", "resourceSelectors", i)
        ns = sel.get("namespace")
        # The webhook fills an empty namespace with the policy's before validating.
        if policy_ns is not None and ns and ns != policy_ns:
            report.error(at + ("namespace",), f"namespace of resource selector must be the same as the "
                         f"namespace of the policy ({policy_ns!r}); use a cluster-wide policy to select "
                         f"objects of namespace {ns!r}")
        if "labelSelector" in sel:
            check_label_selector(sel["labelSelector"], at + ("labelSelector",), report)


# ---------------------------------------------------------------------------
# PropagationPolicy / ClusterPropagationPolicy


def overflow_allowed(placement: dict[str, Any]) -> bool:
    """``IsOverflowSchedulingAllowed`` on the webhook-defaulted replicaScheduling."""
    if "replicaScheduling" not in placement or not isinstance(placement["replicaScheduling"], dict):
        return False
    rs = placement["replicaScheduling"]
    if rs.get("replicaSchedulingType", "Divided") != "Divided":
        return False
    pref = rs.get("replicaDivisionPreference") or "Weighted"
    if pref == "Aggregated":
        return True
    return pref == "Weighted" and bool(_m(rs.get("weightPreference")).get("dynamicWeight"))


def check_placement(placement: Any, report: Reporter) -> None:
    placement = _m(placement)
    at: JsonPath = ("spec", "placement")
    if "clusterAffinity" in placement and "clusterAffinities" in placement:
        report.error(at + ("clusterAffinities",), "clusterAffinities cannot co-exist with clusterAffinity")
    if "clusterAffinity" in placement:
        check_cluster_affinity(placement["clusterAffinity"], at + ("clusterAffinity",), report)
    _check_affinity_terms(placement, report)
    _check_spread(placement.get("spreadConstraints"), report)
    for i, tol in enumerate(_l(placement.get("clusterTolerations"))):
        tol = _m(tol)
        where = at + ("clusterTolerations", i)
        op = tol.get("operator", "")
        if op in ("Lt", "Gt"):
            report.error(where + ("operator",), f"{op!r} is not supported for cluster tolerations "
                         "(use Exists or Equal)")
        elif op not in TOLERATION_OPERATORS:
            report.warning(where + ("operator",), f"unknown operator {op!r}: this toleration tolerates "
                           "nothing (Karmada knows Exists and Equal)")
        effect = tol.get("effect", "")
        if effect not in ("", *EFFECTS):
            report.warning(where + ("effect",), f"unknown effect {effect!r}: this toleration only "
                           "matches taints with exactly that effect")
    weights = _m(_m(placement.get("replicaScheduling")).get("weightPreference"))
    for i, entry in enumerate(_l(weights.get("staticWeightList"))):
        target = _m(entry).get("targetCluster")
        check_cluster_affinity(target, at + ("replicaScheduling", "weightPreference", "staticWeightList", i,
                                             "targetCluster"), report)


def _check_affinity_terms(placement: dict[str, Any], report: Reporter) -> None:
    terms = _l(placement.get("clusterAffinities"))
    allowed = overflow_allowed(placement)
    names: set[str] = set()
    for i, term in enumerate(terms):
        term = _m(term)
        at: JsonPath = ("spec", "placement", "clusterAffinities", i)
        name = _s(term.get("affinityName"))
        if "affinityName" in term:
            _errs(report, at + ("affinityName",), name, syntax.qualified_name(name), "affinityName")
            if name in names:
                report.error(at + ("affinityName",), f"affinityName {name!r} is used twice; each affinity "
                             "term in a policy must have a unique name")
            names.add(name)
        check_cluster_affinity(term, at, report)
        if "overflowAffinities" not in term:
            continue
        if not allowed:
            report.error(at + ("overflowAffinities",), "overflowAffinities can only be used together with "
                         "dynamic weight or aggregated scheduling")
        if _empty_affinity(term):
            report.error(at + ("overflowAffinities",), "overflowAffinities can only be used together with "
                         "the inline cluster affinity (clusterNames, exclude, labelSelector or fieldSelector)")
        seen = {name}
        for j, overflow in enumerate(_l(term.get("overflowAffinities"))):
            overflow = _m(overflow)
            o_at = at + ("overflowAffinities", j)
            o_name = _s(overflow.get("affinityName"))
            if "affinityName" in overflow:
                _errs(report, o_at + ("affinityName",), o_name, syntax.qualified_name(o_name), "affinityName")
                if o_name in seen:
                    report.error(o_at + ("affinityName",), "overflow affinity name must be unique and must not "
                                 "duplicate the primary group's affinityName")
                seen.add(o_name)
            check_cluster_affinity(overflow, o_at, report)


def _check_spread(constraints: Any, report: Reporter) -> None:
    at: JsonPath = ("spec", "placement", "spreadConstraints")
    fields: dict[str, int] = {}
    for i, c in enumerate(_l(constraints)):
        c = _m(c)
        by_field, by_label = _s(c.get("spreadByField")), _s(c.get("spreadByLabel"))
        if by_field and by_label:
            report.error(at + (i,), "spreadByLabel should not co-exist with spreadByField")
        if not by_field and not by_label:
            by_field = "cluster"  # webhook default
        min_groups = c.get("minGroups", 0)
        max_groups = c.get("maxGroups", 0)
        min_groups = min_groups if isinstance(min_groups, int) else 0
        max_groups = max_groups if isinstance(max_groups, int) else 0
        if min_groups < 0:
            report.error(at + (i, "minGroups"), "minGroups lower than 0 is not allowed")
        if max_groups < 0:
            report.error(at + (i, "maxGroups"), "maxGroups lower than 0 is not allowed")
        effective_min = min_groups or 1  # webhook default
        if max_groups > 0 and max_groups < effective_min:
            report.error(at + (i, "maxGroups"), f"maxGroups {max_groups} lower than minGroups "
                         f"{effective_min} is not allowed")
        if by_field and not by_label:
            fields[by_field] = fields.get(by_field, 0) + 1
            if fields[by_field] == 2:
                report.error(at + (i,), f"multiple {by_field} spread constraints are not allowed")
    if fields and "cluster" not in fields:
        report.error(at, "a spreadByField constraint needs a cluster spread constraint too "
                     "(spreadByField: cluster) to say how many clusters to select")


def check_propagation_policy(doc: dict[str, Any], policy_ns: str | None, report: Reporter) -> None:
    spec = _m(doc.get("spec"))
    check_resource_selectors(spec, policy_ns, report)
    check_placement(spec.get("placement"), report)
    if spec.get("preemption") == "Always":
        for i, sel in enumerate(_l(spec.get("resourceSelectors"))):
            if not _s(_m(sel).get("name")):
                report.error(("spec", "resourceSelectors", i), "name cannot be empty if preemption is Always, "
                             "the empty name may cause unexpected resources preemption")
    suspension = _m(spec.get("suspension"))
    if suspension.get("dispatching") is True and _l(_m(suspension.get("dispatchingOnClusters")).get("clusterNames")):
        report.error(("spec", "suspension"), "suspension dispatching cannot co-exist with "
                     "dispatchingOnClusters.clusterNames")
    _check_failover(spec, report)


def _check_failover(spec: dict[str, Any], report: Reporter) -> None:
    failover = _m(spec.get("failover"))
    at: JsonPath = ("spec", "failover")
    app = failover.get("application")
    if isinstance(app, dict):
        if spec.get("propagateDeps") is not True:
            report.error(("spec", "propagateDeps") if "propagateDeps" in spec else at + ("application",),
                         "application failover is set, propagateDeps must be true")
        seconds = _m(app.get("decisionConditions")).get("tolerationSeconds")
        if isinstance(seconds, int) and seconds < 0:
            report.error(at + ("application", "decisionConditions", "tolerationSeconds"),
                         "must be greater than or equal to 0")
        purge = app.get("purgeMode", "Gracefully")
        grace = app.get("gracePeriodSeconds")
        if grace is not None and purge != "Gracefully":
            report.error(at + ("application", "gracePeriodSeconds"), "only takes effect when purgeMode is "
                         "Gracefully")
        if isinstance(grace, int) and grace <= 0:
            report.error(at + ("application", "gracePeriodSeconds"), "must be greater than 0")
    for part in ("application", "cluster"):
        rules = _l(_m(_m(failover.get(part)).get("statePreservation")).get("rules"))
        for i, rule in enumerate(rules):
            alias = _m(rule).get("aliasLabelName")
            if isinstance(alias, str):
                _errs(report, at + (part, "statePreservation", "rules", i, "aliasLabelName"), alias,
                      syntax.qualified_name(alias), "aliasLabelName")


# ---------------------------------------------------------------------------
# OverridePolicy / ClusterOverridePolicy


def check_override_policy(doc: dict[str, Any], policy_ns: str | None, report: Reporter) -> None:
    spec = _m(doc.get("spec"))
    check_resource_selectors(spec, policy_ns, report)
    if "targetCluster" in spec:
        check_cluster_affinity(spec["targetCluster"], ("spec", "targetCluster"), report)
        if "overrideRules" in spec:
            report.error(("spec", "targetCluster"), "overrideRules and targetCluster can't co-exist")
    overriders = _m(spec.get("overriders"))
    if any(_l(overriders.get(n)) for n in API_NAMES) and "overrideRules" in spec:
        report.error(("spec", "overriders"), "overrideRules and overriders can't co-exist")
    if "overriders" in spec:
        _check_overriders(overriders, ("spec", "overriders"), report)
    for i, rule in enumerate(_l(spec.get("overrideRules"))):
        rule = _m(rule)
        at: JsonPath = ("spec", "overrideRules", i)
        if "targetCluster" in rule:
            check_cluster_affinity(rule["targetCluster"], at + ("targetCluster",), report)
        _check_overriders(_m(rule.get("overriders")), at + ("overriders",), report)


def _check_overriders(ov: dict[str, Any], at: JsonPath, report: Reporter) -> None:
    check_identity_overrides(ov, at, report)
    for i, patch in enumerate(_l(ov.get("plaintext"))):
        path = _m(patch).get("path")
        if isinstance(path, str):
            for err in syntax.json_pointer(path):
                report.error(at + ("plaintext", i, "path"), err)
    for i, image in enumerate(_l(ov.get("imageOverrider"))):
        path = _m(_m(image).get("predicate")).get("path")
        if isinstance(path, str):
            for err in syntax.json_pointer(path):
                report.error(at + ("imageOverrider", i, "predicate", "path"), err)
    for i, entry in enumerate(_l(ov.get("labelsOverrider"))):
        for key, value in _m(_m(entry).get("value")).items():
            where = at + ("labelsOverrider", i, "value", key)
            _errs(report, where, key, syntax.qualified_name(key), "label key")
            if isinstance(value, str):
                _errs(report, where, value, syntax.label_value(value), "label value")
    for i, entry in enumerate(_l(ov.get("annotationsOverrider"))):
        for key in _m(_m(entry).get("value")):
            _errs(report, at + ("annotationsOverrider", i, "value", key), key, syntax.qualified_name(key),
                  "annotation key")
    for i, entry in enumerate(_l(ov.get("fieldOverrider"))):
        entry = _m(entry)
        where = at + ("fieldOverrider", i)
        has_json, has_yaml = bool(_l(entry.get("json"))), bool(_l(entry.get("yaml")))
        if has_json and has_yaml:
            report.error(where, "fieldOverrider has both yaml and json set; only one is allowed")
        if not has_json and not has_yaml:
            report.error(where, "fieldOverrider must have either json or yaml set")
        if isinstance(entry.get("fieldPath"), str):
            for err in syntax.json_pointer(entry["fieldPath"]):
                report.error(where + ("fieldPath",), err)
        for fmt in ("json", "yaml"):
            for j, op in enumerate(_l(entry.get(fmt))):
                op = _m(op)
                sub = where + (fmt, j)
                if isinstance(op.get("subPath"), str):
                    for err in syntax.json_pointer(op["subPath"]):
                        report.error(sub + ("subPath",), err)
                has_value = op.get("value") is not None
                if op.get("operator") in ("add", "replace") and not has_value:
                    report.error(sub, f"value is required for {op['operator']} operation")
                if op.get("operator") == "remove" and has_value:
                    report.error(sub + ("value",), "value is not allowed for remove operation")


# ---------------------------------------------------------------------------
# Cluster


def check_cluster(doc: dict[str, Any], report: Reporter) -> None:
    name = _m(doc.get("metadata")).get("name")
    if isinstance(name, str):
        errs = ([f"must be no more than {CLUSTER_NAME_MAX} characters"] if len(name) > CLUSTER_NAME_MAX
                else syntax.dns1123_label(name))
        if not name:
            errs = ["must not be empty"]
        _errs(report, ("metadata", "name"), name, errs, "cluster name")
    spec = _m(doc.get("spec"))
    endpoint = spec.get("apiEndpoint")
    if isinstance(endpoint, str) and endpoint:
        _check_endpoint(endpoint, report)
    for ref in ("secretRef", "impersonatorSecretRef"):
        if isinstance(spec.get(ref), dict):
            for part in ("namespace", "name"):
                if not _s(spec[ref].get(part)):
                    report.error(("spec", ref), f"{part} is required")
    proxy = spec.get("proxyURL")
    if isinstance(proxy, str) and proxy and urlsplit(proxy).scheme not in ("http", "https", "socks5"):
        report.error(("spec", "proxyURL"), f"unsupported scheme in {proxy!r}, must be http, https, or socks5")
    for key in ("provider", "region", "zone"):
        value = spec.get(key)
        if isinstance(value, str):
            _errs(report, ("spec", key), value, syntax.label_value(value), key)
    if _s(spec.get("zone")) and _l(spec.get("zones")):
        report.error(("spec", "zones"), "zone and zones cannot co-exist (zone is deprecated: use zones)")
    for i, zone in enumerate(_l(spec.get("zones"))):
        if isinstance(zone, str):
            _errs(report, ("spec", "zones", i), zone, syntax.label_value(zone), "zone")
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(_l(spec.get("taints"))):
        taint = _m(taint)
        at: JsonPath = ("spec", "taints", i)
        key, value = _s(taint.get("key")), taint.get("value")
        if "key" in taint:
            _errs(report, at + ("key",), key, syntax.qualified_name(key), "taint key")
        if isinstance(value, str):
            _errs(report, at + ("value",), value, syntax.label_value(value), "taint value")
        pair = (key, _s(taint.get("effect")))
        if pair in seen:
            report.error(at, f"taint {key}:{pair[1]} is listed twice (taints must be unique by key and effect)")
        seen.add(pair)


def _check_endpoint(endpoint: str, report: Reporter) -> None:
    where: JsonPath = ("spec", "apiEndpoint")
    try:
        url = urlsplit(endpoint)
    except ValueError as exc:
        report.error(where, f"apiEndpoint must be a valid URL: {exc}")
        return
    if not url.netloc or url.hostname is None:
        report.error(where, f"host must be provided in {endpoint!r} (e.g. https://10.0.0.1:6443)")
    if url.username is not None:
        report.error(where, "user information is not permitted in the URL")
    if url.fragment:
        report.error(where, "fragments are not permitted in the URL")
    if url.query:
        report.error(where, "query parameters are not permitted in the URL")


# ---------------------------------------------------------------------------
# fleet.yaml


def check_fleet(doc: dict[str, Any], report: Reporter) -> None:
    apply = _m(_m(doc.get("spec")).get("apply"))
    for i, entry in enumerate(_l(apply.get("ignore"))):
        path = _m(entry).get("path")
        if isinstance(path, str):
            for err in syntax.json_pointer(path):
                report.error(("spec", "apply", "ignore", i, "path"), err)
    _check_durations(_m(_m(doc.get("spec")).get("failover")), report)


def _check_durations(failover: dict[str, Any], report: Reporter) -> None:
    """The schema bounds a duration given as a number; one written with a unit
    (``"0s"``, ``"999999h"``) is bounded here, after reading it as the loader will."""
    for name in FAILOVER_DURATIONS:
        value = failover.get(name)
        if not isinstance(value, str) or not duration.PATTERN.match(value):
            continue  # absent, or the schema reports it
        total = duration.seconds(value)
        if not 0 < total <= MAX_DURATION_SECONDS:
            report.error(("spec", "failover", name), f"duration {value!r} must be more than 0 and at most "
                         f"{MAX_DURATION_SECONDS // 86400} days ({MAX_DURATION_SECONDS} s)")


# ---------------------------------------------------------------------------
# cluster names referenced by policies


def cluster_name_refs(doc: dict[str, Any], kind: str) -> Iterator[tuple[JsonPath, str]]:
    """Every cluster name a policy mentions, with where it is written."""
    spec = _m(doc.get("spec"))

    def affinity(aff: Any, at: JsonPath) -> Iterator[tuple[JsonPath, str]]:
        aff = _m(aff)
        for part in ("clusterNames", "exclude"):
            for i, name in enumerate(_l(aff.get(part))):
                if isinstance(name, str):
                    yield at + (part, i), name

    if kind in ("PropagationPolicy", "ClusterPropagationPolicy"):
        placement = _m(spec.get("placement"))
        base: JsonPath = ("spec", "placement")
        yield from affinity(placement.get("clusterAffinity"), base + ("clusterAffinity",))
        for i, term in enumerate(_l(placement.get("clusterAffinities"))):
            yield from affinity(term, base + ("clusterAffinities", i))
            for j, overflow in enumerate(_l(_m(term).get("overflowAffinities"))):
                yield from affinity(overflow, base + ("clusterAffinities", i, "overflowAffinities", j))
        weights = _m(_m(placement.get("replicaScheduling")).get("weightPreference"))
        for i, entry in enumerate(_l(weights.get("staticWeightList"))):
            yield from affinity(_m(entry).get("targetCluster"),
                                base + ("replicaScheduling", "weightPreference", "staticWeightList", i,
                                        "targetCluster"))
        on = _m(_m(spec.get("suspension")).get("dispatchingOnClusters"))
        for i, name in enumerate(_l(on.get("clusterNames"))):
            if isinstance(name, str):
                yield ("spec", "suspension", "dispatchingOnClusters", "clusterNames", i), name
    else:
        yield from affinity(spec.get("targetCluster"), ("spec", "targetCluster"))
        for i, rule in enumerate(_l(spec.get("overrideRules"))):
            yield from affinity(_m(rule).get("targetCluster"), ("spec", "overrideRules", i, "targetCluster"))
