"""The manifests of one member from the decisions the status branch records (a Pull
member's agent, issue 12): the placements of ``placements.yaml`` are taken as they are —
nothing is scheduled again, so the clock, the memory and the other members' health do
not matter — and the member's manifests are rendered from the source commit with the
same core as every render. What comes out must equal, byte for byte once masked, the
member's folder on the status branch; the agent refuses anything else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gitfleet.errors import InputError, Problem
from gitfleet.model.plan import Plan, ResourcePlacement
from gitfleet.model.resource import Fleet
from gitfleet.plan.build import Decision, plan_decisions
from gitfleet.schedule.workload import interpret


class RecordMismatch(InputError):
    """The recorded placements name a resource or policy the source commit does not have."""


def plan_recorded(fleet: Fleet, placements: Sequence[ResourcePlacement], cluster: str) -> Plan:
    """The plan of ``cluster`` alone: the recorded ``placements`` (every member's targets
    kept, as Job completions and propagateDeps depend on them) and the manifests rendered
    for ``cluster``. Raises :class:`RecordMismatch` when the record and the fleet disagree,
    and ``InputError`` when a manifest cannot be rendered."""
    templates = {t.key: t for t in fleet.templates}
    policies = {p.ref: p for p in fleet.propagation_policies}
    problems: list[Problem] = []
    decisions: dict[str, Decision] = {}
    for placement in placements:
        template = templates.get(placement.resource)
        if template is None:
            problems.append(Problem("placements.yaml", 1, 1, f"{placement.resource} is recorded but not in the"
                                                               " source commit"))
            continue
        policy = policies.get(placement.policy) if placement.policy else None
        if placement.policy and policy is None:
            problems.append(Problem("placements.yaml", 1, 1, f"{placement.resource}: the recorded policy"
                                                               f" {placement.policy} is not in the source commit"))
            continue
        decision = Decision(template, policy, (), interpret(template.obj), None, reason=placement.reason)
        decision.targets = {t.name: t.replicas for t in placement.clusters}
        decisions[placement.resource] = decision
    if problems:
        raise RecordMismatch(problems)
    plan = plan_decisions(fleet, decisions, only=cluster)
    manifests = {cluster: plan.manifests.get(cluster, {})}
    return replace(plan, placements=tuple(placements), manifests=manifests)
