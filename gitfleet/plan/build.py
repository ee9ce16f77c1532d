"""The whole computation of the core: fleet in, plan out.

    for each template: choose a policy -> schedule it           (decide_all / decide)
    follow propagateDeps                                         (carried_dependencies)
    for each target cluster: render the template -> set replicas -> override -> label
                                                                 (plan_decisions)

Same fleet, same plan, byte for byte: everything is iterated in sorted order. The
phases are public so that an incremental render (``gitfleet.plan.incremental``) can
plan a few templates of a fleet and get, for each, exactly what ``build_plan`` gives.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gitfleet.errors import InputError, OverrideError, Problem, TemplateError
from gitfleet.gcpause import paused_gc
from gitfleet.health import apply_observed
from gitfleet.load.tolerations import default_toleration_notes
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
from gitfleet.model.state import FleetState, PlanMemory, ResourceState, TaintSeen
from gitfleet.override.apply import RuleMemo, apply_policies
from gitfleet.override.select import matching_policies
from gitfleet.plan.copy import own_writable_parts
from gitfleet.plan.dependencies import dependencies
from gitfleet.plan.namespaces import auto_propagated_namespace
from gitfleet.plan.ownership import add_ownership_labels
from gitfleet.schedule.errors import CapacityError, WorkloadError
from gitfleet.schedule.policy_select import select_policy
from gitfleet.schedule.reschedule import observe_taints, reschedule
from gitfleet.schedule.reschedule.task_end import end_ready_tasks
from gitfleet.schedule.scheduler import FilterMemo, schedule
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
class Decision:
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
    state: ResourceState | None = None  # what to remember of this schedule (with memory)


def _labels(template: Template) -> Mapping[str, str]:
    return (template.obj.get("metadata") or {}).get("labels") or {}


def decide(
    template: Template, fleet: Fleet, clusters: Sequence[Cluster], memo: FilterMemo | None = None,
    memory: PlanMemory | None = None, seen: Sequence[TaintSeen] = (),
) -> Decision:
    """Which policy places ``template`` and where it goes on its own (before
    propagateDeps); ``memo`` is shared by the templates decided on the same clusters.
    With ``memory``, scheduled as Karmada reschedules a binding with a previous result
    (``seen``: the render's first-seen NoExecute taints). Raises ``WorkloadError`` or
    ``CapacityError``."""
    rid, labels = template.id, _labels(template)
    workload = interpret(template.obj)
    if auto_propagated_namespace(template.obj):
        decision = Decision(template, None, (), workload, None)
        decision.targets = {c.name: None for c in clusters}
        decision.notes.append(
            "Namespaces are propagated to every cluster without a policy, scheduling or taint"
            " checks (Karmada's namespace sync); label it"
            " namespace.karmada.io/skip-auto-propagation=true to opt out"
        )
        return decision
    policy, candidates = select_policy(rid, labels, fleet.propagation_policies)
    if policy is None:
        return Decision(
            template, None, candidates, workload, None,
            reason="no PropagationPolicy or ClusterPropagationPolicy selects it",
        )
    if policy.scheduler_name not in ("", DEFAULT_SCHEDULER):
        return Decision(
            template, policy, candidates, workload, None,
            reason=f"{policy.ref} asks for scheduler {policy.scheduler_name!r}; only"
            f" {DEFAULT_SCHEDULER!r} schedules, so it is left unscheduled (as in Karmada)",
        )
    state: ResourceState | None = None
    notes: list[str] = []
    if memory is None:
        result = schedule(rid, workload, policy.placement, clusters, memo)
    else:
        previous, ended = end_ready_tasks(memory.state.of(rid.key), memory.observed.ready)
        if ended:
            notes.append("graceful eviction ended: every target reported the resource ready")
        result, state = reschedule(
            rid, workload, policy.placement, clusters, previous, memory.now,
            rebalancers=fleet.rebalancers, taints_seen=seen,
            no_execute_eviction=fleet.settings.no_execute_eviction, memo=memo,
            purge_mode=policy.purge_mode or fleet.settings.failover.purge_mode,
            eviction_timeout=fleet.settings.failover.graceful_eviction_timeout,
        )
        if policy.default_tolerations and (result.evictions or result.recheck_at):
            notes.extend(default_toleration_notes(policy))
    decision = Decision(template, policy, candidates, workload, result, reason=result.error, state=state)
    decision.targets = {t.name: t.replicas for t in result.targets}
    decision.notes.extend(_memory_notes(result, memory))
    decision.notes.extend(notes)
    return decision


def _memory_notes(result: ScheduleResult, memory: PlanMemory | None) -> list[str]:
    """What ``explain`` says of the memory: kept or rescheduled, and why; evictions."""
    if memory is None or result.rescheduled is None:
        return []
    where = f"the status commit {memory.recorded_in[:7]}" if memory.recorded_in else "the previous render"
    said = (f"rescheduled: {result.reason}" if result.rescheduled
            else f"kept from {where}: {result.reason}")
    return [said, *result.evictions, *result.warnings]


def scheduling_clusters(fleet: Fleet, memory: PlanMemory | None) -> tuple[Cluster, ...]:
    """The clusters as the scheduler sees them, sorted by name: the inventory with what
    the reconciler observed laid over it (health taints, live capacity), so the CLI, a
    PR diff and the reconciler decide on the same clusters."""
    clusters = fleet.clusters
    if memory is not None and memory.observed.health:
        clusters = apply_observed(clusters, memory.observed.health)
    return tuple(sorted(clusters, key=lambda c: c.name))


def observed_taints(fleet: Fleet, memory: PlanMemory | None) -> tuple[TaintSeen, ...]:
    """The first-seen record of NoExecute taints after this render (one per render)."""
    if memory is None:
        return ()
    return observe_taints(scheduling_clusters(fleet, memory), memory.state.taints, memory.now)


def leave_memory(fleet: Fleet, decisions: Mapping[str, Decision], memory: PlanMemory) -> FleetState:
    """The state this render records: each scheduled resource's, and the taints seen."""
    return FleetState(resources={k: d.state for k, d in sorted(decisions.items()) if d.state is not None},
                      taints=observed_taints(fleet, memory))


def carried_dependencies(decision: Decision) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """propagateDeps: for a workload whose policy propagates its dependencies, the keys
    of what it depends on and the clusters holding its replicas (where those go too);
    ``None`` for anything else.

    Only pod-bearing kinds and Ingresses have dependencies, and dependencies are v1
    ConfigMaps, Secrets, ServiceAccounts and PVCs, so a dependency never carries
    dependencies of its own: one level, whatever the order of evaluation.
    """
    if decision.policy is None or not decision.policy.propagate_deps or not decision.targets:
        return None
    rid = decision.template.id
    if rid.namespace is None:
        return None
    holders = tuple(name for name, replicas in decision.targets.items() if replicas != 0)
    return tuple(dep.key for dep in dependencies(decision.template.obj, rid.namespace)), holders


def attach(target: Decision, workload: str, holders: Sequence[str]) -> None:
    """``target`` goes wherever ``workload`` got replicas, in addition to its own placement
    (Karmada's attached bindings)."""
    target.depended_by.add(workload)
    for name in holders:
        target.targets.setdefault(name, None)


def follow_dependencies(decisions: dict[str, Decision], present: Container[str] | None = None) -> None:
    """Attach every dependency among ``decisions`` to the workloads among them that carry
    it; ``present`` (default: the decisions) is every key of the fleet, for the note on
    dependencies that are not in the repo."""
    known = decisions if present is None else present
    for key in sorted(decisions):
        decision = decisions[key]
        carried = carried_dependencies(decision)
        if carried is None:
            continue
        deps, holders = carried
        for dep in deps:
            target = decisions.get(dep)
            if target is not None:
                attach(target, key, holders)
            elif dep not in known:
                decision.notes.append(f"dependency {dep} is not in the fleet repo; ignored")


def _manifest_for(
    decision: Decision,
    cluster: Cluster,
    fleet: Fleet,
    overrides: Sequence[OverridePolicy],
    job_completions: Mapping[str, int] | None,
    memo: RuleMemo,
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
    manifest, changes = apply_policies(manifest, cluster, overrides, memo)
    add_ownership_labels(manifest, fleet.settings.name)
    return manifest, changes


def _job_completions(decision: Decision) -> Mapping[str, int] | None:
    """Karmada deals a Divided Job's completions by the per-cluster parallelism."""
    if decision.policy is None or decision.result is None:
        return None
    return divide_job_completions(
        decision.template.obj, decision.result.targets, decision.policy.placement
    )


def _conflict_resolution(decision: Decision) -> str:
    annotation = ((decision.template.obj.get("metadata") or {}).get("annotations") or {}).get(
        CONFLICT_ANNOTATION
    )
    if isinstance(annotation, str) and annotation.lower() in ("overwrite", "abort"):
        return annotation.capitalize()
    return decision.policy.conflict_resolution if decision.policy else "Abort"


def _suspended(decision: Decision) -> tuple[str, ...]:
    policy = decision.policy
    if policy is None:
        return ()
    if policy.suspend_dispatching:
        return tuple(sorted(decision.targets))
    return tuple(sorted(set(policy.suspend_on_clusters) & set(decision.targets)))


def _retained(decision: Decision) -> tuple[str, ...]:
    """Clusters whose old copy a graceful eviction task keeps (purge mode Gracefully):
    apply neither updates nor prunes it there until the task ends."""
    if decision.state is None:
        return ()
    return tuple(sorted({t.cluster for t in decision.state.eviction_tasks
                         if t.purge_mode == "Gracefully" and t.cluster not in decision.targets}))


def decide_all(templates: Iterable[Template], fleet: Fleet, memory: PlanMemory | None = None) -> dict[str, Decision]:
    """:func:`decide` for each template, by key in sorted order; raises ``InputError``
    carrying every template that cannot be scheduled."""
    clusters = scheduling_clusters(fleet, memory)
    memo = FilterMemo()
    seen = observed_taints(fleet, memory)
    problems: list[Problem] = []
    decisions: dict[str, Decision] = {}
    for template in sorted(templates, key=lambda t: t.key):
        try:
            decisions[template.key] = decide(template, fleet, clusters, memo, memory, seen)
        except (WorkloadError, CapacityError) as err:
            pos = template.pos
            problems.append(Problem(pos.path, pos.line, pos.col, f"{template.key}: {err}"))
    if problems:
        raise InputError(problems)
    return decisions


def plan_decisions(
    fleet: Fleet,
    decisions: dict[str, Decision],
    attachments: Mapping[str, Sequence[tuple[str, Sequence[str]]]] | None = None,
    present: Container[str] | None = None,
    only: str | None = None,
) -> Plan:
    """The plan of the templates behind ``decisions`` alone: follow propagateDeps among
    them, attach what ``attachments`` adds (dependency key -> ``(workload key, holders)``
    of workloads decided elsewhere), then render every target cluster's manifest.

    With ``decisions`` holding every template of ``fleet`` and no attachments this is
    :func:`build_plan`; with a subset plus the attachments of the workloads outside it,
    each placement and manifest is exactly what :func:`build_plan` gives for it (the
    incremental render relies on this). ``present`` is every resource key of the fleet
    (for explain's note on dependencies that are missing). Mutates ``decisions``.

    Raises ``InputError`` when a template cannot be rendered for a target cluster or an
    override cannot be evaluated. With ``only``, manifests are rendered for that cluster
    alone (a Pull member's agent); placements stay whole.
    """
    follow_dependencies(decisions, present)
    for dep, workloads in (attachments or {}).items():
        target = decisions.get(dep)
        if target is None:
            continue
        for workload, holders in workloads:
            if workload not in decisions:
                attach(target, workload, holders)
    clusters = sorted(fleet.clusters, key=lambda c: c.name)
    by_name = {c.name: c for c in clusters}
    memo = RuleMemo()  # override rules' targetCluster, matched once per cluster
    problems: list[Problem] = []
    manifests: dict[str, dict[str, Mapping[str, Any]]] = {c.name: {} for c in clusters}
    placements: list[ResourcePlacement] = []
    explanations: dict[str, Explanation] = {}
    for key in sorted(decisions):
        decision = decisions[key]
        template = decision.template
        overrides = matching_policies(template.id, _labels(template), fleet.override_policies)
        completions = _job_completions(decision)
        applied: dict[str, tuple[AppliedOverride, ...]] = {}
        for name in sorted(decision.targets):
            if only is not None and name != only:
                continue
            try:
                manifest, changes = _manifest_for(
                    decision, by_name[name], fleet, overrides, completions, memo
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
        placements.append(placement_of(decision))
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
        warnings=tuple(fleet.warnings) + tuple(
            w for p in placements
            if (w := placement_warning(decisions[p.resource].template, p, fleet, decisions[p.resource].result))),
        explanations=explanations,
    )


def placement_of(decision: Decision) -> ResourcePlacement:
    """The ``placements.yaml`` item of a decision (after its dependencies were followed)."""
    targets = tuple(ClusterTarget(n, r) for n, r in sorted(decision.targets.items()))
    return ResourcePlacement(
        resource=decision.template.key,
        policy=decision.policy.ref if decision.policy else None,
        clusters=targets,
        reason=decision.reason if not targets else None,
        depended_by=tuple(sorted(decision.depended_by)),
        suspended=_suspended(decision),
        retained=_retained(decision),
        conflict_resolution=_conflict_resolution(decision),
    )


def placement_problem(template: Template, placement: ResourcePlacement, fleet: Fleet,
                      schedule: ScheduleResult | None = None) -> Problem | None:
    """A warning at the template when it goes to no cluster: no policy selects it, its
    policy selects no cluster, or no selected cluster fits (Karmada would leave it
    unscheduled, and a typo in a selector looks exactly like this); or when a
    re-schedule failed and the previous placement was kept (``schedule.warnings``).
    None when it is placed, or when the inventory is empty and nothing could be."""
    pos = template.pos
    if schedule is not None and schedule.warnings:
        return Problem(pos.path, pos.line, pos.col, f"{placement.resource}: {'; '.join(schedule.warnings)}",
                       "warning")
    if placement.clusters or not fleet.clusters:
        return None
    why = placement.reason or "no cluster was selected"
    return Problem(pos.path, pos.line, pos.col, f"{placement.resource} goes to no cluster: {why}", "warning")


def placement_warning(template: Template, placement: ResourcePlacement, fleet: Fleet,
                      schedule: ScheduleResult | None = None) -> str | None:
    """:func:`placement_problem` as the plan's warnings hold it."""
    problem = placement_problem(template, placement, fleet, schedule)
    return str(problem) if problem else None


def build_plan(fleet: Fleet, memory: PlanMemory | None = None) -> Plan:
    """Compute placements and per-cluster manifests for a loaded fleet.

    Raises ``InputError`` when a template cannot be scheduled or rendered for a target
    cluster or an override cannot be evaluated: like Karmada's admission, such inputs
    are rejected as a whole rather than half-rendered.
    """
    with paused_gc():  # a long-lived graph is built: see gitfleet.gcpause
        decisions = decide_all(fleet.templates, fleet, memory)
        plan = plan_decisions(fleet, decisions)
    return plan if memory is None else replace(plan, state=leave_memory(fleet, decisions, memory))
