"""gitfleet: a GitOps reconciler for fleets of Kubernetes clusters.

The package is a pipeline. The pure core (no I/O) reads top to bottom:

    load -> template -> schedule -> override -> plan -> diff / status

and the imperative shell wraps it: ``git`` (pygit2), ``kube`` (the Kubernetes
client), ``apply``, ``reconcile`` (the background loop) and ``cli``.

The names below are the Python API (:mod:`gitfleet.api`): load a fleet repo, plan it,
render its manifests, diff two plans, explain a placement. They are imported on first
use, so ``import gitfleet`` (and the CLI's start) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.api import diff_plans, explain_resource, load_fleet, plan_fleet, render_manifests
    from gitfleet.errors import InputError

__version__ = "0.1.0"

__all__ = ["InputError", "diff_plans", "explain_resource", "load_fleet", "plan_fleet", "render_manifests"]
_HOMES = {"InputError": "errors", **{name: "api" for name in __all__ if name != "InputError"}}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
