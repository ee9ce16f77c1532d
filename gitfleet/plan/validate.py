"""Everything ``gitfleet validate`` checks, as one list of problems.

Loading finds what is wrong with each document (schemas, Karmada's admission rules,
templates rendered for every cluster); planning finds what only placement reveals
(a template that fails for one target cluster, an override that cannot apply) and
what is suspicious without being wrong: a resource that goes to no cluster.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitfleet.errors import InputError, Problem
from gitfleet.gcpause import paused_gc
from gitfleet.load.loader import validate_and_load
from gitfleet.plan.build import build_plan, placement_problem


def validate_repo(files: Mapping[str, bytes]) -> list[Problem]:
    """Every problem of the fleet repo in ``files``, errors and warnings, sorted and
    without repeats. Raises only ``NoFleetRepoError`` (there is no fleet repo to check)."""
    # One pause over both phases (between them the collector would traverse the whole
    # loaded fleet), ended once the fleet and its plan are freed: the collector then
    # has nothing of them left to traverse.
    with paused_gc():
        problems = _problems(files)
    return sorted(problems)


def _problems(files: Mapping[str, bytes]) -> set[Problem]:
    fleet, found = validate_and_load(files)
    problems = set(found)
    if fleet is not None:
        try:
            plan = build_plan(fleet)
        except InputError as err:
            problems.update(err.problems)
        else:
            templates = {t.key: t for t in fleet.templates}
            for placement in plan.placements:
                problem = placement_problem(templates[placement.resource], placement, fleet,
                                            plan.explanations[placement.resource].schedule)
                if problem is not None:
                    problems.add(problem)
    return problems
