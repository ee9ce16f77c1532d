"""With memory (issue 10), the incremental render still equals a full render.

The random-edit harness of ``test_incremental.py``, with a Divided dynamic-weight
workload on clusters that declare capacity, and edits that matter to re-scheduling:
scale it, add or remove a cluster, change capacity, add or remove a NoExecute taint,
edit a template image. After each step, ``plan_increment`` from the previous render's
record with ``PlanMemory(state=<the previous render's state>, now=<fixed>)`` must give
exactly what ``render_full`` gives with that memory: the status tree (``state/`` files
included), the placements and manifests, the warnings and the state left for the next
render. The clock stays fixed but for ``wait`` steps, which move it on (so that eviction
tasks end and tolerations run out between two renders of the same files).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_incremental import EDITS, TOOL, Edit, Files, assert_same_plan, base_fleet, encode

from gitfleet.errors import InputError
from gitfleet.load.loader import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.model.state import EMPTY_STATE, PlanMemory
from gitfleet.plan.incremental import (
    Fallback,
    Increment,
    RenderRecord,
    apply_increment,
    decode_record,
    encode_record,
    patch_plan,
    plan_increment,
    render_full,
)
from gitfleet.status.layout import LayoutError, plan_to_tree

NOW = "2026-12-04T12:00:00Z"
LATER = "2026-12-04T13:00:00Z"
UNREACHABLE = "cluster.karmada.io/unreachable"

# Clusters that declare free capacity (one CPU per replica of a ``dyn`` workload).
CAPACITY_CLUSTER = """apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{env: prod, pool: dyn}}
spec:
  syncMode: Push
{taints}status:
  resourceSummary:
    allocatable: {{cpu: "{free}", pods: "110"}}
"""

DYNAMIC_POLICY = """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: dyn, namespace: shop}}
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      labelSelector:
        matchLabels: {{tier: dyn}}
  placement:
    clusterAffinity:
      labelSelector: {{matchLabels: {{pool: dyn}}}}
    clusterTolerations:
      - {{key: cluster.karmada.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: {preference}
      weightPreference: {{dynamicWeight: AvailableReplicas}}
"""

DYN_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
  labels: {{tier: dyn}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: main
          image: ghcr.io/shop/{name}:{tag}
          resources: {{requests: {{cpu: "1"}}}}
"""

TAINT_TIMES = ("2026-12-04T11:00:00Z", "2026-12-04T11:58:00Z", None)  # due, not yet due, no timeAdded


def later(now: str, minutes: int) -> str:
    return (datetime.fromisoformat(now) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def capacity_cluster(name: str, free: int, taint: str | None | bool = False) -> str:
    """``taint``: False none, None a NoExecute taint without timeAdded, else its timeAdded."""
    if taint is False:
        taints = ""
    else:
        added = f", timeAdded: '{taint}'" if taint else ""
        taints = f"  taints:\n    - {{key: {UNREACHABLE}, effect: NoExecute{added}}}\n"
    return CAPACITY_CLUSTER.format(name=name, free=free, taints=taints)


def dyn(name: str, replicas: int = 12, tag: str = "1") -> str:
    return DYN_DEPLOYMENT.format(name=name, replicas=replicas, tag=tag)


def memory_fleet() -> dict[str, str]:
    files = base_fleet()
    files["policies/dyn.yaml"] = DYNAMIC_POLICY.format(preference="Weighted")
    for name, free in (("p1", 2), ("p2", 4), ("p3", 6)):
        files[f"clusters/{name}.yaml"] = capacity_cluster(name, free)
    for i in range(2):
        files[f"templates/dyn-{i}.yaml"] = dyn(f"dyn-{i}", replicas=12 - 4 * i)
    return files


# --------------------------------------------------------------------------- edits


def _dyns(files: dict[str, str]) -> list[str]:
    return sorted(p for p in files if p.startswith("templates/dyn-"))


def scale_dynamic(files: dict[str, str], rng: random.Random) -> None:
    path = rng.choice(_dyns(files) or ["templates/dyn-0.yaml"])
    name = path.removeprefix("templates/").removesuffix(".yaml")
    files[path] = dyn(name, replicas=rng.randint(1, 30), tag=str(rng.randint(1, 3)))


def edit_dynamic_image(files: dict[str, str], rng: random.Random) -> None:
    path = rng.choice(_dyns(files) or ["templates/dyn-0.yaml"])
    text = files.get(path, dyn("dyn-0"))
    tag = text.split("image: ghcr.io/shop/")[1].split(":")[1].split("\n")[0]
    files[path] = text.replace(f":{tag}\n", f":{int(tag) % 9 + 1}\n")


def add_or_remove_dynamic(files: dict[str, str], rng: random.Random) -> None:
    i = rng.randint(0, 3)
    path = f"templates/dyn-{i}.yaml"
    if path in files and rng.random() < 0.5:
        del files[path]
    else:
        files[path] = dyn(f"dyn-{i}", replicas=rng.randint(1, 20))


def add_or_remove_cluster(files: dict[str, str], rng: random.Random) -> None:
    name = rng.choice(["p1", "p2", "p3", "p4", "p5"])
    path = f"clusters/{name}.yaml"
    if path in files and rng.random() < 0.5:
        del files[path]
    else:
        files[path] = capacity_cluster(name, rng.choice([0, 3, 10, 60]))


def change_capacity(files: dict[str, str], rng: random.Random) -> None:
    present = sorted(p for p in files if p.startswith("clusters/p"))
    if present:
        path = rng.choice(present)
        name = path.removeprefix("clusters/").removesuffix(".yaml")
        files[path] = capacity_cluster(name, rng.choice([1, 5, 20, 100]))


def add_noexecute_taint(files: dict[str, str], rng: random.Random) -> None:
    present = sorted(p for p in files if p.startswith("clusters/p"))
    if present:
        path = rng.choice(present)
        name = path.removeprefix("clusters/").removesuffix(".yaml")
        files[path] = capacity_cluster(name, rng.choice([5, 20]), rng.choice(TAINT_TIMES))


def remove_noexecute_taints(files: dict[str, str], rng: random.Random) -> None:
    for path in sorted(p for p in files if p.startswith("clusters/p") and "NoExecute" in files[p]):
        name = path.removeprefix("clusters/").removesuffix(".yaml")
        files[path] = capacity_cluster(name, rng.choice([5, 20]))


def switch_division(files: dict[str, str], rng: random.Random) -> None:
    files["policies/dyn.yaml"] = DYNAMIC_POLICY.format(preference=rng.choice(["Weighted", "Aggregated"]))


MEMORY_EDITS: dict[str, Edit] = {
    f.__name__: f for f in (
        scale_dynamic, edit_dynamic_image, add_or_remove_dynamic, add_or_remove_cluster, change_capacity,
        add_noexecute_taint, remove_noexecute_taints, switch_division,
    )
}
ALL_EDITS: dict[str, Edit] = {**EDITS, **MEMORY_EDITS}
WAIT = "wait"  # not an edit: the clock moves on by 1 to 20 minutes
STEPS = sorted([*ALL_EDITS, WAIT])
# Template edits: the increment must take these itself while nothing clock-bound is in the fleet.
INCREMENTAL_EDITS = ("scale_dynamic", "edit_dynamic_image", "add_or_remove_dynamic", "edit_template_image")
# A NoExecute taint or an open eviction task makes every render full until the taint is
# gone and the clock has ended the tasks: taints are added less often than removed.
WEIGHTS = {**{n: 6 for n in INCREMENTAL_EDITS}, "add_noexecute_taint": 1, "remove_noexecute_taints": 3, WAIT: 3}
# Why an increment may fall back (besides a global input changing or an invalid fleet).
CLOCK_BOUND = ("a NoExecute taint is in the inventory", "graceful eviction tasks are open")


# --------------------------------------------------------------------------- checking


def full_render(files: Files, memory: PlanMemory) -> tuple[dict[str, bytes], Plan, RenderRecord | None] | None:
    """The status tree, plan and record of a full render with ``memory``; None when it fails."""
    try:
        plan, record = render_full(load_fleet(files), files, TOOL, memory)
        return plan_to_tree(plan), plan, record
    except (InputError, LayoutError):
        return None


class MemorySession:
    """The status branch as a chain of renders: each one's state is the next one's memory."""

    def __init__(self, files: Files, now: str = NOW) -> None:
        self.now = now
        first = full_render(files, PlanMemory(EMPTY_STATE, now))
        assert first is not None and first[2] is not None
        self.tree, self.plan, self.record = first[0], first[1], first[2]
        self.incremental = 0
        self.fallbacks: list[str] = []

    @property
    def memory(self) -> PlanMemory:
        assert self.plan.state is not None
        return PlanMemory(self.plan.state, self.now, "abc1234")

    def step(self, files: Files) -> None:
        memory = self.memory
        expected = full_render(files, memory)
        outcome = plan_increment(decode_record(encode_record(self.record)) or self.record, files, TOOL, memory)
        if expected is None:
            # A failed render records nothing: the branch and its memory stay as they are.
            assert isinstance(outcome, Fallback), "an invalid fleet must not render incrementally"
            return
        tree, full_plan, record = expected
        assert full_plan.state is not None
        if isinstance(outcome, Fallback):
            self.fallbacks.append(outcome.reason)
            assert record is not None
            self.tree, self.plan, self.record = tree, full_plan, record
            return
        assert isinstance(outcome, Increment)
        new_tree = apply_increment(self.tree, outcome)
        assert sorted(new_tree) == sorted(tree)
        for path in tree:
            assert new_tree[path] == tree[path], path
        assert outcome.warnings == full_plan.warnings
        assert outcome.state == full_plan.state
        assert outcome.record.state == full_plan.state
        patched = patch_plan(self.plan, outcome)
        assert_same_plan(patched, full_plan)
        assert patched.state == full_plan.state
        assert plan_to_tree(patched) == tree
        self.incremental += 1
        self.tree = {p: bytes(b) for p, b in new_tree.items()}
        self.plan, self.record = patched, outcome.record


def run_edits(steps: list[tuple[str, int]]) -> MemorySession:
    files = memory_fleet()
    session = MemorySession(encode(files))
    for name, seed in steps:
        if name == WAIT:
            # The clock moves on (past an eviction task's timeout, or a toleration's
            # seconds); the render of the same files is the next step.
            session.now = later(session.now, minutes=seed % 20 + 1)
        else:
            ALL_EDITS[name](files, random.Random(seed))
        session.step(encode(files))
    return session


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("edit", sorted(MEMORY_EDITS), ids=sorted(MEMORY_EDITS))
def test_each_memory_edit_equals_a_full_render(edit: str) -> None:
    session = run_edits([(edit, seed) for seed in range(4)] + [("remove_noexecute_taints", 0), (edit, 99)])
    if edit in INCREMENTAL_EDITS:
        assert session.incremental >= 1, session.fallbacks


@pytest.mark.parametrize("seed", range(6), ids=[f"seed{s}" for s in range(6)])
def test_random_edit_sequences_with_memory(seed: int) -> None:
    rng = random.Random(seed)
    names = [n for n in STEPS if n != "break_template"]  # the hypothesis test breaks the fleet
    weights = [WEIGHTS.get(n, 2 if n in MEMORY_EDITS else 1) for n in names]
    steps = [(rng.choices(names, weights)[0], rng.randint(0, 10**6)) for _ in range(25)]
    session = run_edits(steps)
    assert session.incremental >= 3, session.fallbacks


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 10**6)), min_size=1, max_size=8))
def test_any_edit_sequence_with_memory_equals_a_full_render(steps: list[tuple[str, int]]) -> None:
    run_edits(steps)


def test_a_scale_is_incremental_and_steady() -> None:
    """The doc's example through the increment: 2/4/6 -> 24 replicas with 10/10/10 free is
    a capacity change (full render, nothing moves), then a template edit (increment)."""
    files = memory_fleet()
    session = MemorySession(encode(files))
    key = "apps/v1/Deployment/shop/dyn-0"

    def shares() -> dict[str, int | None]:
        (placement,) = [p for p in session.plan.placements if p.resource == key]
        return {c.name: c.replicas for c in placement.clusters}

    assert shares() == {"p1": 2, "p2": 4, "p3": 6}
    for name in ("p1", "p2", "p3"):
        files[f"clusters/{name}.yaml"] = capacity_cluster(name, 10)
    session.step(encode(files))
    assert session.fallbacks and "holds clusters, policies or CRDs" in session.fallbacks[-1]
    assert shares() == {"p1": 2, "p2": 4, "p3": 6}
    files["templates/dyn-0.yaml"] = dyn("dyn-0", replicas=24)
    session.step(encode(files))
    assert session.incremental == 1, session.fallbacks
    assert shares() == {"p1": 6, "p2": 8, "p3": 10}


@pytest.mark.parametrize("taint", TAINT_TIMES, ids=["due", "not-yet-due", "first-seen"])
def test_a_noexecute_taint_falls_back_while_it_is_in_the_inventory(taint: str | None) -> None:
    files = memory_fleet()
    session = MemorySession(encode(files))
    files["clusters/p3.yaml"] = capacity_cluster("p3", 10, taint)
    session.step(encode(files))
    files["templates/dyn-0.yaml"] = dyn("dyn-0", replicas=13)
    session.step(encode(files))
    assert session.incremental == 0
    assert any(reason.startswith(CLOCK_BOUND) for reason in session.fallbacks), session.fallbacks


def test_open_eviction_tasks_fall_back_after_the_taint_is_gone() -> None:
    """An evicted share leaves a graceful eviction task that ends with the clock: even with
    the taint removed, the next template edit renders in full."""
    files = memory_fleet()
    session = MemorySession(encode(files))
    files["clusters/p3.yaml"] = capacity_cluster("p3", 10, TAINT_TIMES[0])  # due: p3 is evicted
    session.step(encode(files))
    assert session.plan.state is not None
    assert any(r.eviction_tasks for r in session.plan.state.resources.values())
    files["clusters/p3.yaml"] = capacity_cluster("p3", 10)
    session.step(encode(files))
    files["templates/dyn-0.yaml"] = dyn("dyn-0", replicas=13)
    session.step(encode(files))
    assert session.incremental == 0
    assert "graceful eviction tasks are open" in session.fallbacks[-1], session.fallbacks


def _sibling_base() -> tuple[MemorySession, dict[str, str]]:
    """A chain of two renders, the second one a Steady scale (a state that is not the first)."""
    files = memory_fleet()
    chain = MemorySession(encode(files))
    files["templates/dyn-0.yaml"] = dyn("dyn-0", replicas=24)
    chain.step(encode(files))
    assert chain.incremental == 1 and chain.record.state_in is not None
    return chain, files


@pytest.mark.parametrize("edit", INCREMENTAL_EDITS)
def test_a_sibling_render_equals_a_full_render(edit: str) -> None:
    """The head of a diff renders from the base's record with the memory the base was
    rendered with (the record's ``state_in``), at the same time: a full render's result,
    state included."""
    chain, files = _sibling_base()
    ALL_EDITS[edit](files, random.Random(7))
    memory = PlanMemory(chain.record.state_in, NOW)  # type: ignore[arg-type]
    expected = full_render(encode(files), memory)
    assert expected is not None
    tree, full_plan, _ = expected
    outcome = plan_increment(chain.record, encode(files), TOOL, memory)
    assert isinstance(outcome, Increment), outcome
    assert apply_increment(chain.tree, outcome) == tree
    assert outcome.state == full_plan.state
    assert_same_plan(patch_plan(chain.plan, outcome), full_plan)


def test_a_sibling_render_at_another_time_falls_back() -> None:
    """At another time a full render records its own time on what the remembered render
    scheduled anew (``render --commit --fresh`` after a first render, later): only a full
    render gives that state."""
    chain, files = _sibling_base()
    files["templates/dyn-1.yaml"] = dyn("dyn-1", replicas=5)
    memory = PlanMemory(chain.record.state_in, LATER)  # type: ignore[arg-type]
    outcome = plan_increment(chain.record, encode(files), TOOL, memory)
    assert isinstance(outcome, Fallback) and "another time" in outcome.reason


def test_a_fresh_render_after_a_first_render_is_recorded_at_its_own_time() -> None:
    """The case that found it: the first render's record was made with no memory, which
    is what --fresh schedules with; later, --fresh must record the later time."""
    files = memory_fleet()
    first = MemorySession(encode(files))
    files["templates/dyn-1.yaml"] = dyn("dyn-1", replicas=5)
    memory = PlanMemory(EMPTY_STATE, LATER)
    expected = full_render(encode(files), memory)
    assert expected is not None and expected[1].state is not None
    assert {r.last_scheduled for r in expected[1].state.resources.values()} <= {LATER, None}
    outcome = plan_increment(first.record, encode(files), TOOL, memory)
    assert isinstance(outcome, Fallback) or outcome.state == expected[1].state


@pytest.mark.parametrize("edit", INCREMENTAL_EDITS)
def test_the_next_render_of_a_chain_at_a_later_time_is_incremental(edit: str) -> None:
    """A chain's unchanged resources reschedule to their recorded result, which moves no
    time: the clock alone does not cost the increment."""
    chain, files = _sibling_base()
    chain.now = LATER
    ALL_EDITS[edit](files, random.Random(7))
    chain.step(encode(files))
    assert chain.incremental == 2, chain.fallbacks
