"""A graceful eviction task ends early once the resource is ready everywhere it was
scheduled (KARMADA-RESCHEDULING §6, Karmada ``assessSingleTask``: the binding is
scheduled and every current target reports Healthy). The render cannot see the
members; it reads what the last apply on each reported (:class:`TargetReady`, from the
status branch). The timeout is the other end (:mod:`.tasks`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from gitfleet.model.health import TargetReady
from gitfleet.model.state import PreviousTarget, ResourceState


def target_ready(target: PreviousTarget, resource: str, ready: Collection[TargetReady]) -> bool:
    """Whether ``resource`` was reported ready on ``target`` at the replica count the
    target holds now: a report from before the eviction (fewer replicas on a survivor)
    does not count."""
    if TargetReady(target.name, resource, target.replicas) in ready:
        return True
    return TargetReady(target.name, resource, None) in ready


def end_ready_tasks(state: ResourceState | None, ready: Collection[TargetReady]) -> tuple[ResourceState | None, bool]:
    """``state`` without its eviction tasks when every target of its last result is
    reported ready, and whether that happened. A resource with no target left (its
    evicted replicas fit nowhere) keeps its tasks: nothing is ready to take over."""
    if state is None or not state.eviction_tasks or not state.clusters or not ready:
        return state, False
    if all(target_ready(t, state.resource, ready) for t in state.clusters):
        return replace(state, eviction_tasks=()), True
    return state, False
