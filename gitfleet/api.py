"""The Python API: the few calls a program needs to do what the ``gitfleet`` verbs do
offline, on plain data. Everything here is re-exported by :mod:`gitfleet`::

    import gitfleet

    fleet = gitfleet.load_fleet("fleet-repo")            # or a {path: content} mapping
    plan = gitfleet.plan_fleet(fleet)
    manifests = gitfleet.render_manifests(plan)           # cluster -> key -> manifest
    print(gitfleet.explain_resource(plan, "apps/v1/Deployment/shop/web"))
    changes = gitfleet.diff_plans(base_plan, plan)        # what a change would do

Invalid input raises :class:`gitfleet.errors.InputError`, whose ``problems`` carry
``path:line:col``. Secret values never leave this API in clear: rendered manifests,
diffs and explanations show digests, as the CLI does.

The names of the calls are verbs with an object (``plan_fleet``, not ``plan``): the
subpackages ``gitfleet.plan``, ``gitfleet.diff`` and ``gitfleet.explain`` already own
the short names as attributes of the package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gitfleet.diff.compute import diff_plans as _diff_plans
from gitfleet.diff.model import PlanDiff
from gitfleet.explain.render import explanation_text
from gitfleet.load.loader import load_fleet as _load_files
from gitfleet.model.plan import Plan
from gitfleet.model.resource import ApplySettings, Fleet
from gitfleet.plan.build import build_plan
from gitfleet.status.secrets import mask_plan

Files = Mapping[str, bytes | str]


def _read(repo: str | os.PathLike[str], rev: str | None) -> dict[str, bytes]:
    # Git is imported only by callers that read a repository, not by those passing files.
    from gitfleet.git.source import open_source

    spec = os.fspath(repo)
    if Path(spec).exists() and not Path(spec).is_dir():
        raise NotADirectoryError(f"fleet repo {spec!r} is not a folder")
    source = open_source(spec)
    return source.files(source.resolve(rev) if rev is not None else None)


def load_fleet(repo: str | os.PathLike[str] | Files, *, rev: str | None = None) -> Fleet:
    """The validated fleet of ``repo``: a folder (as it is on disk, or at Git revision
    ``rev``), a Git URL, or the fleet files themselves as ``{path: content}``.

    Raises ``InputError`` listing every problem when the repo is invalid,
    ``NotADirectoryError`` when ``repo`` is a file, and
    :class:`gitfleet.git.errors.GitSourceError` when it does not exist or ``rev``
    names no commit.
    """
    if isinstance(repo, Mapping):
        if rev is not None:
            raise ValueError("rev applies to a folder or URL, not to a mapping of files")
        files = {path: data.encode() if isinstance(data, str) else data for path, data in repo.items()}
    else:
        files = _read(repo, rev)
    return _load_files(files)


def plan_fleet(fleet: Fleet) -> Plan:
    """Placements and per-cluster manifests of ``fleet`` (Karmada's scheduling and
    overrides), from scratch: the previous decisions of a status branch are not used."""
    return build_plan(fleet)


def render_manifests(plan: Plan, *, clusters: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """``cluster -> resource key -> manifest`` as ``gitfleet render`` writes them
    (Secret values as digests), for every cluster or only ``clusters``."""
    masked = mask_plan(plan)
    wanted = set(clusters) if clusters is not None else None
    return {
        name: {key: dict(masked.manifests[name][key]) for key in sorted(masked.manifests[name])}
        for name in sorted(masked.manifests) if wanted is None or name in wanted
    }


def diff_plans(base: Plan, head: Plan, *, max_prune_fraction: float | None = None) -> PlanDiff:
    """What going from ``base`` to ``head`` changes on each cluster, as ``gitfleet diff``
    shows it (``PlanDiff.to_json()`` for data). A cluster that would lose more than
    ``max_prune_fraction`` of its objects (default: fleet.yaml's default) is flagged."""
    fraction = ApplySettings().max_prune_fraction if max_prune_fraction is None else max_prune_fraction
    return _diff_plans(mask_plan(base), mask_plan(head), fraction,
                       base_clusters=list(base.manifests), head_clusters=list(head.manifests))


def explain_resource(plan: Plan, key: str, *, clusters: Sequence[str] | None = None) -> str:
    """Why resource ``key`` (``<apiVersion>/<Kind>/<namespace|_>/<name>``) did or did not
    land on each cluster, as ``gitfleet explain`` prints it. ``KeyError`` when the plan
    has no such resource."""
    placement = next((p for p in plan.placements if p.resource == key), None)
    if placement is None or key not in plan.explanations:
        raise KeyError(key)
    names = sorted(clusters) if clusters is not None else sorted(plan.manifests)
    return explanation_text(plan.explanations[key], placement, names)
