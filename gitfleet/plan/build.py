"""The whole computation of the core: fleet in, plan out.

    for each template: choose a policy -> schedule it
    follow propagateDeps
    for each target cluster: render the template -> set replicas -> override -> label

Same fleet, same plan, byte for byte: everything is iterated in sorted order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from gitfleet.errors import InputError, OverrideError, Problem, TemplateError
from gitfleet.model.cluster import Cluster
from gitfleet.model.plan import (
    AppliedOverride,
    ClusterTarget,
    Explanation,
    Plan,
    PolicyCandidate,
    ResourcePlacement,
    ScheduleResult,
)
from gitfleet.model.policy import OverridePolicy, PropagationPolicy
from gitfleet.model.resource import Fleet, Template
from gitfleet.override.apply import apply_policies
from gitfleet.override.select import matching_policies
from gitfleet.plan.copy import own_writable_parts
from gitfleet.plan.dependencies import dependencies
from gitfleet.plan.namespaces import auto_propagated_namespace
from gitfleet.plan.ownership import add_ownership_labels
from gitfleet.schedule.policy_select import select_policy
from gitfleet.schedule.scheduler import schedule
from gitfleet.schedule.errors import CapacityError, WorkloadError
from gitfleet.schedule.workload import (
    Workload,
    divide_job_completions,
    interpret,
    revise_completions,
    revise_replicas,
)
from gitfleet.template.identity import render_for_cluster

DEFAULT_SCHEDULER = "default-scheduler"
CONFLICT_ANNOTATION = "work.karmada.io/conflict-resolution"


@dataclass
class _Decision:
    """Where one template goes, before manifests are made."""

    template: Template
    policy: PropagationPolicy | None
    candidates: tuple[PolicyCandidate, ...]
    workload: Workload | None
    result: ScheduleResult | None
    targets: dict[str, int | None] = field(default_factory=dict)
    reason: str | None = None
    depended_by: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def _labels(template: Template) -> Mapping[str, str]:
    return (template.obj.get("metadata") or {}).get("labels") or {}


def _decide(template: Template, fleet: Fleet, clusters: Sequence[Cluster]) -> _Decision:
    rid, labels = template.id, _labels(template)
    workload = interpret(template.obj)
    if auto_propagated_namespace(template.obj):
        decision = _Decision(template, None, (), workload, None)
        decision.targets = {c.name: None for c in clusters}
        decision.notes.append(
            "Namespaces are propagated to every cluster without a policy, scheduling or taint"
            " checks (Karmada's namespace sync); label it"
            " namespace.karmada.io/skip-auto-propagation=true to opt out"
        )
        return decision
    policy, candidates = select_policy(rid, labels, fleet.propagation_policies)
    if policy is None:
        return _Decision(
            template, None, candidates, workload, None,
            reason="no PropagationPolicy or ClusterPropagationPolicy selects it",
        )
    if policy.scheduler_name not in ("", DEFAULT_SCHEDULER):
        return _Decision(
            template, policy, candidates, workload, None,
            reason=f"{policy.ref} asks for scheduler {policy.scheduler_name!r}; only"
            f" {DEFAULT_SCHEDULER!r} schedules, so it is left unscheduled (as in Karmada)",
        )
    result = schedule(rid, workload, policy.placement, clusters)
    decision = _Decision(template, policy, candidates, workload, result, reason=result.error)
    decision.targets = {t.name: t.replicas for t in result.targets}
    return decision


def _follow_dependencies(decisions: dict[str, _Decision]) -> None:
    """propagateDeps: a dependency goes wherever a workload that needs it got replicas,
    in addition to its own placement (Karmada's attached bindings)."""
    for key in sorted(decisions):
        decision = decisions[key]
        if decision.policy is None or not decision.policy.propagate_deps or not decision.targets:
            continue
        rid = decision.template.id
        if rid.namespace is None:
            continue
        holders = [name for name, replicas in decision.targets.items() if replicas != 0]
        for dep in dependencies(decision.template.obj, rid.namespace):
            target = decisions.get(dep.key)
            if target is None:
                decision.notes.append(f"dependency {dep.key} is not in the fleet repo; ignored")
                continue
            target.depended_by.add(key)
            for name in holders:
                target.targets.setdefault(name, None)


def _manifest_for(
    decision: _Decision,
    cluster: Cluster,
    fleet: Fleet,
    overrides: Sequence[OverridePolicy],
    job_completions: Mapping[str, int] | None,
) -> tuple[dict[str, Any], tuple[AppliedOverride, ...]]:
    template = decision.template
    if template.jinja_source is None:
        manifest = own_writable_parts(template.obj)
    else:
        manifest = render_for_cluster(template, cluster, fleet)  # freshly rendered: ours
    replicas = decision.targets.get(cluster.name)
    workload = decision.workload
    if replicas is not None and workload is not None and workload.is_workload:
        revise_replicas(manifest, replicas)
    if job_completions is not None and cluster.name in job_completions:
        revise_completions(manifest, job_completions[cluster.name])
    manifest, changes = apply_policies(manifest, cluster, overrides)
    add_ownership_labels(manifest, fleet.settings.name)
    return manifest, changes


def _job_completions(decision: _Decision) -> Mapping[str, int] | None:
    """Karmada deals a Divided Job's completions by the per-cluster parallelism."""
    if decision.policy is None or decision.result is None:
        return None
    return divide_job_completions(
        decision.template.obj, decision.result.targets, decision.policy.placement
    )


def _conflict_resolution(decision: _Decision) -> str:
    annotation = ((decision.template.obj.get("metadata") or {}).get("annotations") or {}).get(
        CONFLICT_ANNOTATION
    )
    if isinstance(annotation, str) and annotation.lower() in ("overwrite", "abort"):
        return annotation.capitalize()
    return decision.policy.conflict_resolution if decision.policy else "Abort"


def _suspended(decision: _Decision) -> tuple[str, ...]:
    policy = decision.policy
    if policy is None:
        return ()
    if policy.suspend_dispatching:
        return tuple(sorted(decision.targets))
    return tuple(sorted(set(policy.suspend_on_clusters) & set(decision.targets)))


def build_plan(fleet: Fleet) -> Plan:
    """Compute placements and per-cluster manifests for a loaded fleet.

    Raises ``InputError`` when a template cannot be rendered for a target cluster or an
    override cannot be evaluated: like Karmada's admission, such inputs are rejected
    as a whole rather than half-rendered.
    """
    clusters = tuple(sorted(fleet.clusters, key=lambda c: c.name))
    by_name = {c.name: c for c in clusters}
    templates = sorted(fleet.templates, key=lambda t: t.key)
    problems: list[Problem] = []
    decisions: dict[str, _Decision] = {}
    for template in templates:
        try:
            decisions[template.key] = _decide(template, fleet, clusters)
        except (WorkloadError, CapacityError) as err:
            pos = template.pos
            problems.append(Problem(pos.path, pos.line, pos.col, f"{template.key}: {err}"))
    if problems:
        raise InputError(problems)
    _follow_dependencies(decisions)

    manifests: dict[str, dict[str, Mapping[str, Any]]] = {c.name: {} for c in clusters}
    placements: list[ResourcePlacement] = []
    explanations: dict[str, Explanation] = {}
    for key, decision in decisions.items():
        template = decision.template
        overrides = matching_policies(template.id, _labels(template), fleet.override_policies)
        completions = _job_completions(decision)
        applied: dict[str, tuple[AppliedOverride, ...]] = {}
        for name in sorted(decision.targets):
            try:
                manifest, changes = _manifest_for(
                    decision, by_name[name], fleet, overrides, completions
                )
            except TemplateError as err:
                problems.append(err.problem())
                continue
            except OverrideError as err:
                policy = next((p for p in overrides if p.ref == err.policy), None)
                pos = policy.pos if policy else template.pos
                problems.append(
                    Problem(pos.path, pos.line, pos.col,
                            f"{err} (resource {key} on cluster {name})")
                )
                continue
            manifests[name][key] = manifest
            if changes:
                applied[name] = changes
        targets = tuple(ClusterTarget(n, r) for n, r in sorted(decision.targets.items()))
        placements.append(
            ResourcePlacement(
                resource=key,
                policy=decision.policy.ref if decision.policy else None,
                clusters=targets,
                reason=decision.reason if not targets else None,
                depended_by=tuple(sorted(decision.depended_by)),
                suspended=_suspended(decision),
                conflict_resolution=_conflict_resolution(decision),
            )
        )
        explanations[key] = Explanation(
            resource=key,
            candidates=decision.candidates,
            schedule=decision.result,
            overrides=applied,
            notes=tuple(decision.notes)
            + ((f"follows {', '.join(sorted(decision.depended_by))} (propagateDeps)",)
               if decision.depended_by else ()),
        )
    if problems:
        raise InputError(problems)
    return Plan(
        placements=tuple(placements),
        manifests=manifests,
        warnings=tuple(fleet.warnings),
        explanations=explanations,
    )

