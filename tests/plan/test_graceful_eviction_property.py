"""Graceful eviction as an invariant (issue 11 item 3, KARMADA-RESCHEDULING §6): when a
member is evicted, its share is re-dealt at once so the targets hold the desired count
again, and its old copy is kept (``retained``) for exactly as long as some target has
not reported the resource ready at its new count: the ready replicas never drop because
of the move."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitfleet.load.loader import load_fleet
from gitfleet.model.health import Observed, TargetReady
from gitfleet.model.state import EMPTY_STATE, PlanMemory
from gitfleet.plan.build import build_plan

KEY = "apps/v1/Deployment/shop/web"
T0, T1, T2 = "2026-12-04T10:00:00Z", "2026-12-04T10:00:10Z", "2026-12-04T10:00:20Z"


def files(names: list[str], replicas: int, tainted: str | None) -> dict[str, bytes]:
    out = {
        "fleet.yaml": b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: prop}\n",
        "templates/web.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: nginx}}]}}
""".encode(),
        "policies/web.yaml": f"""apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web, namespace: shop}}
spec:
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: web}}]
  placement:
    clusterAffinity: {{clusterNames: [{", ".join(names)}]}}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList: [{{targetCluster: {{clusterNames: [{", ".join(names)}]}}, weight: 1}}]
""".encode(),
    }
    for name in names:
        taint = (f"  taints: [{{key: drill, effect: NoExecute, timeAdded: '{T0}'}}]\n" if name == tainted else "")
        out[f"clusters/{name}.yaml"] = (f"apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\n"
                                        f"metadata: {{name: {name}}}\nspec:\n  syncMode: Push\n{taint}").encode()
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(2, 5), replicas=st.integers(1, 30), evicted=st.integers(0, 4), data=st.data())
def test_the_old_copy_stays_until_every_target_is_ready(count: int, replicas: int, evicted: int,
                                                       data: st.DataObject) -> None:
    names = [f"m{i}" for i in range(count)]
    down = names[evicted % count]
    first = build_plan(load_fleet(files(names, replicas, None)), PlanMemory(EMPTY_STATE, T0))
    before = {c.name: c.replicas for c in next(p for p in first.placements if p.resource == KEY).clusters}
    assert first.state is not None

    evicting = build_plan(load_fleet(files(names, replicas, down)), PlanMemory(first.state, T1))
    placement = next(p for p in evicting.placements if p.resource == KEY)
    after = {c.name: c.replicas or 0 for c in placement.clusters}
    assert down not in after
    assert sum(after.values()) == replicas  # the share is re-dealt at once
    assert list(placement.retained) == ([down] if before.get(down) else [])

    assert evicting.state is not None
    reported = data.draw(st.sets(st.sampled_from(sorted(after)))) if after else set()
    stale = data.draw(st.booleans())  # a report at the count from before the eviction
    ready = frozenset(TargetReady(n, KEY, before.get(n, 0) if stale else after[n]) for n in reported)
    later = build_plan(load_fleet(files(names, replicas, down)),
                       PlanMemory(evicting.state, T2, observed=Observed(ready=ready)))
    kept = next(p for p in later.placements if p.resource == KEY)
    all_ready = set(reported) == set(after) and (not stale or all(before.get(n, 0) == after[n] for n in after))
    if before.get(down):
        assert list(kept.retained) == ([] if all_ready else [down])
    assert {c.name: c.replicas for c in kept.clusters} == after  # nothing else moves
