"""Base/head pairs of hand-built plans, shared by the diff tests."""

from __future__ import annotations

from status.plans import configmap, crd, custom, deployment, namespace, plan, secret

from gitfleet.model.plan import Plan

WEB = "apps/v1/Deployment/shop/web"

CASES: dict[str, tuple[Plan, Plan]] = {
    "placement-move": (
        plan({"m1": [deployment()], "m2": [deployment()]}),
        plan({"m2": [deployment()], "m3": [deployment()]}),
    ),
    "replicas": (
        plan({"m1": [deployment(replicas=4)], "m2": [deployment(replicas=4)]}),
        plan({"m1": [deployment(replicas=4)], "m2": [deployment(replicas=6)]}),
    ),
    "override-change": (
        plan({"m1": [deployment(image="nginx:1.25")], "m2": [deployment()]}),
        plan({"m1": [deployment(image="registry.eu/nginx:1.25")], "m2": [deployment()]}),
    ),
    "secret-change": (
        plan({"m1": [secret(password="old-clear-value"), configmap(a="1")]}),
        plan({"m1": [secret(password="new-clear-value"), configmap(a="1")]}),
    ),
    "namespace-removed": (
        plan({"m1": [namespace(), deployment(), configmap(), namespace("other")]}),
        plan({"m1": [namespace("other")]}),
    ),
    "crd-removed": (
        plan({"m1": [crd(), custom("w1"), custom("w2"), deployment(), configmap(), namespace()]}),
        plan({"m1": [custom("w1"), custom("w2"), deployment(), configmap(), namespace()]}),
    ),
    "now-unplaced": (
        plan({"m1": [deployment()]}),
        plan({}, placements=[(WEB, None, [])]),
    ),
    "head-failure": (
        plan({"m1": [deployment()]}),
        plan({"m1": [deployment()]}, failures={"m2": {WEB: "imageOverrider: no container image at /spec/x"}}),
    ),
    "unchanged": (
        plan({"m1": [deployment(), secret(password="same")]}),
        plan({"m1": [deployment(), secret(password="same")]}),
    ),
}
