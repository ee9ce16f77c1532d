"""Re-render a fleet after a small change by planning only what the change can affect.

What one resource template renders to (its decision, its ``placements.yaml`` item and
its manifest on every target cluster) depends only on its own document, on the
*global* inputs — ``fleet.yaml``, every Cluster, every propagation and override policy,
the CustomResourceDefinitions (they decide which kinds are namespaced) and gitfleet
itself — and, through ``propagateDeps``, on the workloads that carry it along. So
when a render is recorded together with what it was rendered from (a
:class:`RenderRecord`), the next render can:

- fall back to a full render as soon as a global input changed (or anything looks
  off: an error, a duplicate, a file collision — the full render then reports it);
- load only the files that changed (with ``fleet.yaml`` and the CRD files, and the
  inventory when a Jinja2 file changed, so they load exactly as in a full load);
- plan their templates, plus the dependencies of every workload that changed (old and
  new version), attaching what unchanged workloads carry along from the record;
- keep every other template's placement item and status files as they are.

The result is byte-identical to a full render; ``tests/plan/test_incremental.py``
checks it against one after every step of random edit sequences. Two facts of the
loader and planner it relies on, which that test would catch breaking: a loader warning
about a file depends only on that file and the global inputs (so unchanged files keep
their recorded warnings), and a dependency (a v1 ConfigMap, Secret, ServiceAccount or
PVC) never carries dependencies itself (so propagateDeps is one level deep).

Pure: no I/O. The record is stored by the caller (see ``gitfleet.cli.cmd_commit``).
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from gitfleet.errors import InputError
from gitfleet.load.discover import FLEET_FILE, is_jinja, select_files
from gitfleet.load.links import reported_links
from gitfleet.load.loader import load_fleet
from gitfleet.model.health import NOTHING_OBSERVED, Observed
from gitfleet.model.plan import Plan, ScheduleResult
from gitfleet.model.resource import Fleet, Template
from gitfleet.model.source import SourcePos
from gitfleet.model.state import FleetState, PlanMemory
from gitfleet.plan.build import (
    Decision,
    carried_dependencies,
    decide_all,
    follow_dependencies,
    leave_memory,
    placement_of,
    placement_warning,
    plan_decisions,
)
from gitfleet.status.layout import (
    PLACEMENTS_FILE,
    id_path,
    manifest_path,
    manifest_yaml,
    placements_yaml,
    tree_changes,
)
from gitfleet.status.state import state_files

_T = TypeVar("_T")
RECORD_FORMAT = 1
_MAGIC = b"gitfleet render record\n"
_DIGEST_SIZE = 32
CRD_KIND = "CustomResourceDefinition"
# What follows a path in a warning: "<path>:<line>:<col>: ..." (errors.Problem.__str__).
_POSITION = re.compile(r"\d+:\d+: ")

# Why a file is a global input (kept in the record, so a later change to it is noticed).
ROLE_FLEET, ROLE_CLUSTER, ROLE_POLICY, ROLE_CRD = "fleet", "cluster", "policy", "crd"


@dataclass(frozen=True)
class TemplateRecord:
    """What one resource template contributed to a recorded render."""

    path: str  # the fleet file it was loaded from
    placement: str  # its item of placements.yaml, as written
    files: tuple[str, ...]  # its status-tree paths, one per target cluster
    deps: tuple[str, ...] = ()  # propagateDeps: the dependencies it carries ...
    holders: tuple[str, ...] = ()  # ... to these clusters
    warning: str = ""  # that it goes to no cluster (build.placement_warning), if so


@dataclass(frozen=True)
class RenderRecord:
    """A render and everything it was rendered from."""

    tool: str  # fingerprint of gitfleet and the libraries that shape its output
    sources: Mapping[str, str]  # every fleet file read (fleet.yaml too) -> Git blob id
    global_paths: Mapping[str, frozenset[str]]  # global file -> its roles (ROLE_*)
    warnings: Mapping[str, tuple[str, ...]]  # fleet file -> its warnings, in order
    fleet: Fleet  # the loaded fleet: its globals are reused, its templates when unchanged
    templates: Mapping[str, TemplateRecord]  # resource key -> what it rendered to
    state: FleetState | None = None  # the memory this render left (None: made without memory)
    state_in: FleetState | None = None  # the memory it was made with
    now: str | None = None  # the clock it was made at (with memory)
    observed: Observed = NOTHING_OBSERVED  # what the reconciler had observed of the members


@dataclass(frozen=True)
class Increment:
    """What an incremental render changes in the previous status tree."""

    changes: Mapping[str, bytes | None]  # status path -> new content, or None: removed
    placements: bytes  # the whole new placements.yaml
    warnings: tuple[str, ...]  # as a full load would report them
    record: RenderRecord  # the record of the new render
    replanned: tuple[str, ...]  # resource keys that were planned again, sorted
    part: Plan  # the plan of the replanned templates alone
    cleared: frozenset[str]  # resource keys whose previous placement and manifests are gone
    state: FleetState | None = None  # the memory the new render leaves

    @property
    def fleet(self) -> Fleet:
        return self.record.fleet


@dataclass(frozen=True)
class Fallback:
    """A full render is needed; ``reason`` says why (for logs and tests). ``failed``:
    because of a bug in the incremental render, which deserves a warning."""

    reason: str
    failed: bool = False


def blob_id(data: bytes) -> str:
    """The Git blob id of ``data`` (what ``git hash-object`` prints)."""
    h = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    h.update(data)
    return h.hexdigest()


def _sources(files: Mapping[str, bytes], exclude: Iterable[str]) -> dict[str, str]:
    # A link is a source too: the loader warns about it, and a warning must have a file.
    paths = sorted(set(select_files(files, exclude)) | set(reported_links(files, exclude)))
    if FLEET_FILE in files:
        paths.append(FLEET_FILE)
    return {p: blob_id(files[p]) for p in paths}


def _attribute(warnings: Iterable[str], paths: Iterable[str]) -> dict[str, list[str]] | None:
    """Warnings grouped by the file they are about, in their order; None when one
    cannot be told apart (then the render is not recorded and the next one is full)."""
    known = set(paths)
    out: dict[str, list[str]] = defaultdict(list)
    for warning in warnings:
        owners = [
            warning[:i] for i, ch in enumerate(warning)
            if ch == ":" and warning[:i] in known and _POSITION.match(warning, i + 1)
        ]
        if len(owners) != 1:
            return None
        out[owners[0]].append(warning)
    return out


def _policy_positions(fleet: Fleet) -> list[SourcePos]:
    return [p.pos for p in fleet.propagation_policies] + [p.pos for p in fleet.override_policies]


def _global_paths(fleet: Fleet, files: Mapping[str, bytes]) -> dict[str, frozenset[str]]:
    roles: dict[str, set[str]] = defaultdict(set)
    if FLEET_FILE in files:
        roles[FLEET_FILE].add(ROLE_FLEET)
    for cluster in fleet.clusters:
        roles[cluster.pos.path].add(ROLE_CLUSTER)
    for pos in _policy_positions(fleet):
        roles[pos.path].add(ROLE_POLICY)
    for template in fleet.templates:
        if template.id.kind == CRD_KIND:
            roles[template.pos.path].add(ROLE_CRD)
    return {path: frozenset(r) for path, r in roles.items()}


def _carried(decisions: Mapping[str, Decision]) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Who carries which dependencies where; taken before planning, which attaches."""
    out = {}
    for key, decision in decisions.items():
        carried = carried_dependencies(decision)
        if carried is not None and carried[0]:
            out[key] = carried
    return out


def _template_records(
    plan: Plan,
    fleet: Fleet,
    templates: Mapping[str, Template],
    carried: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]],
    dump: bool,
) -> tuple[dict[str, TemplateRecord], dict[str, bytes]]:
    """The records of the templates of ``plan`` and, with ``dump``, their status files
    (as :func:`gitfleet.status.layout.plan_to_tree` writes them, placements.yaml aside)."""
    files: dict[str, bytes] = {}
    owned: dict[str, list[str]] = defaultdict(list)
    for cluster in sorted(plan.manifests):
        for key in sorted(plan.manifests[cluster]):
            manifest = plan.manifests[cluster][key]
            path = manifest_path(cluster, manifest)
            if dump:
                files[path] = manifest_yaml(manifest).encode()
            owned[key].append(path)
    records = {}
    for placement in plan.placements:
        key = placement.resource
        deps, holders = carried.get(key, ((), ()))
        records[key] = TemplateRecord(
            path=templates[key].pos.path,
            placement=placements_yaml((placement,)),
            files=tuple(owned.get(key, ())),
            deps=deps,
            holders=holders,
            warning=placement_warning(templates[key], placement, fleet,
                                      _schedule_of(plan, key)) or "",
        )
    return records, files


def _schedule_of(plan: Plan, key: str) -> ScheduleResult | None:
    explanation = plan.explanations.get(key)
    return explanation.schedule if explanation is not None else None


def render_full(fleet: Fleet, files: Mapping[str, bytes], tool: str,
                memory: PlanMemory | None = None) -> tuple[Plan, RenderRecord | None]:
    """:func:`gitfleet.plan.build.build_plan` of ``fleet`` (loaded from ``files``) and the
    record of that render, or None when the render cannot be recorded (a warning that
    names no fleet file). Raises what ``build_plan`` raises."""
    decisions = decide_all(fleet.templates, fleet, memory)
    carried = _carried(decisions)
    plan = plan_decisions(fleet, decisions)
    if memory is not None:
        plan = replace(plan, state=leave_memory(fleet, decisions, memory))
    record = record_render(fleet, plan, files, tool, carried)
    if record is None or memory is None:
        return plan, record
    return plan, replace(record, state=plan.state, state_in=memory.state, now=memory.now,
                         observed=memory.observed)


def record_decisions(fleet: Fleet, files: Mapping[str, bytes], tool: str,
                     memory: PlanMemory | None = None) -> RenderRecord | None:
    """The record a full render of ``fleet`` would leave, from its scheduling decisions
    alone: no manifest is rendered and no override evaluated. Enough for an increment
    from it, whose changed templates are planned for real (``gitfleet diff`` starts the
    head from it), but the manifests of the unchanged templates are never rendered, so an
    error in one of them is not found here. Raises what scheduling raises."""
    sources = _sources(files, fleet.settings.exclude)
    warnings = _attribute(fleet.warnings, sources)
    if warnings is None:
        return None
    decisions = decide_all(fleet.templates, fleet, memory)
    carried = _carried(decisions)
    follow_dependencies(decisions)
    templates: dict[str, TemplateRecord] = {}
    owners: dict[str, str] = {}
    for key in sorted(decisions):
        decision = decisions[key]
        placement = placement_of(decision)
        rid = decision.template.id
        paths = tuple(id_path(cluster, rid) for cluster in sorted(decision.targets))
        for path in paths:
            if owners.setdefault(path, key) != key:
                return None  # two resources on one path: only a full render reports it
        deps, holders = carried.get(key, ((), ()))
        templates[key] = TemplateRecord(
            path=decision.template.pos.path,
            placement=placements_yaml((placement,)),
            files=paths,
            deps=deps,
            holders=holders,
            warning=placement_warning(decision.template, placement, fleet, decision.result) or "",
        )
    return RenderRecord(tool=tool, sources=sources, global_paths=_global_paths(fleet, files),
                        warnings={p: tuple(w) for p, w in warnings.items()}, fleet=fleet, templates=templates,
                        state=leave_memory(fleet, decisions, memory) if memory is not None else None,
                        state_in=memory.state if memory is not None else None,
                        now=memory.now if memory is not None else None,
                        observed=memory.observed if memory is not None else NOTHING_OBSERVED)


def record_render(
    fleet: Fleet,
    plan: Plan,
    files: Mapping[str, bytes],
    tool: str,
    carried: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]],
) -> RenderRecord | None:
    """The record of the full render ``plan`` of ``fleet`` (loaded from ``files``);
    ``carried`` maps each workload that carries dependencies to ``(keys, clusters)``."""
    sources = _sources(files, fleet.settings.exclude)
    warnings = _attribute(fleet.warnings, sources)
    if warnings is None:
        return None
    templates, _ = _template_records(plan, fleet, {t.key: t for t in fleet.templates}, carried, dump=False)
    return RenderRecord(
        tool=tool,
        sources=sources,
        global_paths=_global_paths(fleet, files),
        warnings={p: tuple(w) for p, w in warnings.items()},
        fleet=fleet,
        templates=templates,
    )


def _load_changed(
    record: RenderRecord, files: Mapping[str, bytes], changed: list[str]
) -> Fleet | Fallback:
    """Load the changed files the way a full load would see them: with the CRDs (they
    decide which kinds are namespaced), and when a Jinja2 file changed with fleet.yaml
    and the inventory too (its template context). A plain template's loading depends
    on nothing else; the global files' own warnings are taken from the record."""
    wanted = {p for p, roles in record.global_paths.items() if ROLE_CRD in roles}
    if any(is_jinja(p) for p in changed):
        wanted |= set(record.global_paths)
    wanted |= set(changed)
    try:
        return load_fleet({p: files[p] for p in sorted(wanted) if p in files}, whole_repo=False)
    except InputError:
        return Fallback("a changed file does not load")


def _defines_globals(loaded: Fleet, changed: set[str]) -> str | None:
    for cluster in loaded.clusters:
        if cluster.pos.path in changed:
            return f"{cluster.pos.path} now defines a Cluster"
    for pos in _policy_positions(loaded):
        if pos.path in changed:
            return f"{pos.path} now defines a policy"
    for template in loaded.templates:
        if template.pos.path in changed and template.id.kind == CRD_KIND:
            return f"{template.pos.path} now defines a CustomResourceDefinition"
    return None


def _merge_warnings(
    record: RenderRecord, loaded: Fleet | None, changed: set[str], sources: Mapping[str, str]
) -> dict[str, tuple[str, ...]] | None:
    """Per file: the recorded warnings of unchanged files, the fresh ones of changed files."""
    fresh: dict[str, list[str]] = {}
    if loaded is not None:
        attributed = _attribute(loaded.warnings, sources)
        if attributed is None:
            return None
        fresh = attributed
    out: dict[str, tuple[str, ...]] = {}
    for path in sources:
        found = fresh.get(path, []) if path in changed else record.warnings.get(path, ())
        if found:
            out[path] = tuple(found)
    return out


def plan_increment(record: RenderRecord, files: Mapping[str, bytes], tool: str,
                   memory: PlanMemory | None = None) -> Increment | Fallback:
    """The changes to the render recorded in ``record`` that make it the render of
    ``files``, or a :class:`Fallback` when only a full render can tell (a global input
    changed, or the changed files have errors: the full render reports them)."""
    if record.tool != tool:
        return Fallback("gitfleet or a library it renders with changed")
    why = _memory_blocks(record, memory)
    if why:
        return Fallback(why)
    fleet_yaml = files.get(FLEET_FILE)
    if (blob_id(fleet_yaml) if fleet_yaml is not None else None) != record.sources.get(FLEET_FILE):
        return Fallback(f"{FLEET_FILE} changed")
    sources = _sources(files, record.fleet.settings.exclude)
    changed = {p for p in sources.keys() | record.sources.keys() if sources.get(p) != record.sources.get(p)}
    touched_globals = sorted(changed & record.global_paths.keys())
    if touched_globals:
        return Fallback(f"{touched_globals[0]} holds clusters, policies or CRDs and changed")
    to_load = sorted(p for p in changed if p in sources)
    loaded: Fleet | None = None
    new_templates: list[Template] = []
    if to_load:
        result = _load_changed(record, files, to_load)
        if isinstance(result, Fallback):
            return result
        loaded = result
        globals_changed = _defines_globals(loaded, changed)
        if globals_changed:
            return Fallback(globals_changed)
        new_templates = [t for t in loaded.templates if t.pos.path in changed]

    old_keys = {k for k, t in record.templates.items() if t.path in changed}
    kept = {t.key: t for t in record.fleet.templates if t.key not in old_keys}
    if any(t.key in kept for t in new_templates):
        return Fallback("a changed file defines a resource another file defines")
    warnings = _merge_warnings(record, loaded, changed, sources)
    if warnings is None:
        return Fallback("a warning names no fleet file")
    templates = {**kept, **{t.key: t for t in new_templates}}
    fleet = replace(
        record.fleet,
        templates=tuple(templates[k] for k in sorted(templates)),
        warnings=tuple(w for p in sorted(warnings) for w in warnings[p]),
    )
    if memory is not None and loaded is not None and loaded.rebalancers:
        return Fallback("a WorkloadRebalancer changed: it can reschedule any resource")
    return _replan(record, fleet, new_templates, old_keys, sources, warnings, memory)


def _same(state: FleetState, other: FleetState | None) -> FleetState:
    return other if other is not None and other == state else state


def _memory_blocks(record: RenderRecord, memory: PlanMemory | None) -> str:
    """Why the memory forbids an increment ("" when it does not). Unchanged templates keep
    their decisions only when they would be rescheduled with the very state the record
    left, and when the clock cannot change them: no NoExecute taint can come due, no
    eviction task can end, no rebalancer can fire."""
    if (memory is None) != (record.state is None):
        return "the render's memory changed (--fresh, or a first render with memory)"
    if memory is None or record.state is None:
        return ""
    # The memory is the one the remembered render left (the next render of a chain), or
    # the one it was made with (a sibling render, as a diff's head is of its base):
    # either way an unchanged template is decided as the record says.
    if memory.state != record.state and memory.state != record.state_in:
        return "the recorded memory is neither the one the remembered render left nor the one it used"
    # A sibling's clock matters: the resources the remembered render scheduled anew are
    # recorded with its time (lastScheduled), where this render would record its own. The
    # next render of a chain reschedules them to the same result, which moves no time.
    if memory.state != record.state and memory.now != record.now:
        return "the remembered render used this memory at another time (--now)"
    if memory.observed.for_scheduling() != record.observed.for_scheduling():
        return "what the reconciler observed of the members (health, capacity, readiness) changed"
    if record.fleet.rebalancers:
        return "a WorkloadRebalancer is in the fleet: it can reschedule any resource"
    if any(t.effect == "NoExecute" for h in memory.observed.health.values() for t in h.taints):
        return "a member is observed down with a NoExecute taint: evictions depend on the clock"
    if any(t.effect == "NoExecute" for c in record.fleet.clusters for t in c.taints):
        return "a NoExecute taint is in the inventory: evictions depend on the clock"
    if any(r.eviction_tasks for r in record.state.resources.values()):
        return "graceful eviction tasks are open: they end with the clock"
    return ""


def unchanged_render(record: RenderRecord, files: Mapping[str, bytes], tool: str,
                     memory: PlanMemory | None = None) -> str:
    """Why the render of ``files`` could differ from the one ``record`` remembers, or ""
    when it is that very render: the same gitfleet, the same fleet files (blob for blob)
    and a memory that keeps every recorded decision. It is what :func:`plan_increment`
    finds with nothing to replan, told without replanning (which would write the whole
    memory twice to compare it)."""
    if record.tool != tool:
        return "gitfleet or a library it renders with changed"
    why = _memory_blocks(record, memory)
    if why:
        return why
    if _sources(files, record.fleet.settings.exclude) != dict(record.sources):
        return "a fleet file changed"
    return ""


def try_increment(record: RenderRecord, files: Mapping[str, bytes], tool: str,
                  memory: PlanMemory | None = None) -> Increment | Fallback:
    """:func:`plan_increment`, with any exception it raises (a bug: inputs it cannot
    handle are Fallbacks already) turned into a failed Fallback, so that the full render
    runs instead and reports whatever is really wrong."""
    try:
        return plan_increment(record, files, tool, memory)
    except Exception as exc:  # noqa: BLE001 - a bug here must not cost the render
        return Fallback(f"incremental render failed ({type(exc).__name__}: {exc})", failed=True)


def _replan(
    record: RenderRecord,
    fleet: Fleet,
    new_templates: list[Template],
    old_keys: set[str],
    sources: Mapping[str, str],
    warnings: Mapping[str, tuple[str, ...]],
    memory: PlanMemory | None = None,
) -> Increment | Fallback:
    present = {t.key: t for t in fleet.templates}
    try:
        decisions = decide_all(new_templates, fleet, memory)
        carried = _carried(decisions)
        # A dependency's placement changes when a workload carrying it changes (either
        # version), so it is planned again, with every carrier attached.
        deps = {d for k in old_keys for d in record.templates[k].deps}
        deps |= {d for ds, _ in carried.values() for d in ds}
        extra = [present[d] for d in sorted(deps) if d in present and d not in decisions]
        decisions.update(decide_all(extra, fleet, memory))
        carried.update(_carried({t.key: decisions[t.key] for t in extra}))
        attachments: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        for workload, rec in record.templates.items():
            if workload in old_keys or workload in decisions:
                continue
            for dep in rec.deps:
                if dep in decisions:
                    attachments[dep].append((workload, rec.holders))
        plan = plan_decisions(fleet, decisions, attachments, present)
    except InputError:
        return Fallback("a changed template does not plan")

    planned, added = _template_records(plan, fleet, {k: present[k] for k in decisions}, carried, dump=True)
    cleared = (old_keys | decisions.keys()) & record.templates.keys()
    templates = {k: t for k, t in record.templates.items() if k not in cleared}
    owners = {path: key for key, t in templates.items() for path in t.files}
    changes: dict[str, bytes | None] = {p: None for k in cleared for p in record.templates[k].files}
    for key, rec in planned.items():
        for path in rec.files:
            if path in owners:
                return Fallback(f"{key} and {owners[path]} would share {path}")
            owners[path] = key
    changes.update(added)
    templates.update(planned)
    chunks = [templates[k].placement for k in sorted(templates)]
    placements = ("".join(chunks) if chunks else placements_yaml(())).encode()
    state = record.state
    if record.state is not None:
        resources = {k: r for k, r in record.state.resources.items() if k not in cleared}
        resources.update((k, d.state) for k, d in decisions.items() if d.state is not None)
        state = replace(record.state, resources=dict(sorted(resources.items())))
        changes.update(tree_changes(state_files(record.state), state_files(state)))
    new_record = replace(record, sources=dict(sources), warnings=dict(warnings), fleet=fleet,
                         templates=templates, state=state,
                         # One object when they are equal: the record is pickled into the
                         # render cache, and a second copy of the state doubles its size.
                         state_in=_same(memory.state, record.state) if memory is not None else record.state_in,
                         now=memory.now if memory is not None else record.now,
                         observed=memory.observed if memory is not None else record.observed)
    return Increment(
        changes=changes,
        placements=placements,
        # As build_plan orders them: the loader's, then each placement's by resource key.
        warnings=fleet.warnings + tuple(templates[k].warning for k in sorted(templates) if templates[k].warning),
        record=new_record,
        replanned=tuple(sorted(decisions)),
        part=plan,
        cleared=frozenset(cleared),
        state=state,
    )


def apply_increment(previous: Mapping[str, _T], increment: Increment) -> dict[str, _T | bytes]:
    """The new rendered tree: ``previous`` (the recorded render's files, as bytes or
    blob ids) with the increment's changes."""
    files: dict[str, _T | bytes] = dict(previous)
    for path, data in increment.changes.items():
        if data is None:
            files.pop(path, None)
        else:
            files[path] = data
    files[PLACEMENTS_FILE] = increment.placements
    return files


def patch_plan(previous: Plan, increment: Increment) -> Plan:
    """The plan of the new render: ``previous`` (the plan of the recorded render) with the
    placements and manifests of the cleared resources replaced by the replanned ones.

    Placements, manifests and warnings equal what :func:`gitfleet.plan.build.build_plan`
    gives for the new fleet (``tests/plan/test_incremental.py`` checks it after every
    edit). Explanations are those of the replanned templates and, for the others, the
    previous ones: a note on a dependency that is missing from the fleet repo is not
    revised for a workload that was not replanned (``gitfleet explain`` always plans
    in full).
    """
    part, cleared = increment.part, increment.cleared
    placements = {p.resource: p for p in previous.placements if p.resource not in cleared}
    placements.update((p.resource, p) for p in part.placements)
    clusters = previous.manifests.keys() | part.manifests.keys()
    manifests: dict[str, dict[str, Mapping[str, Any]]] = {}
    for cluster in sorted(clusters):
        kept = previous.manifests.get(cluster, {})
        mine = {k: m for k, m in kept.items() if k not in cleared}
        mine.update(part.manifests.get(cluster, {}))
        manifests[cluster] = mine
    explanations = {k: e for k, e in previous.explanations.items() if k not in cleared}
    explanations.update(part.explanations)
    failures = {c: {k: m for k, m in f.items() if k not in cleared} for c, f in previous.failures.items()}
    for cluster, found in part.failures.items():
        failures.setdefault(cluster, {}).update(found)
    return Plan(
        placements=tuple(placements[k] for k in sorted(placements)),
        manifests=manifests,
        warnings=increment.warnings,
        failures={c: f for c, f in failures.items() if f},
        explanations=explanations,
        state=increment.state,
    )


def seal(magic: bytes, version: int, value: object) -> bytes:
    """``value`` as bytes for a cache file: a header, a digest, then a pickle."""
    body = pickle.dumps((version, value), protocol=pickle.HIGHEST_PROTOCOL)
    return magic + hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest() + body


def unseal(data: bytes, magic: bytes, version: int) -> object | None:
    """What :func:`seal` wrote with ``magic`` and ``version``, or None when ``data`` is not
    that, whole (a truncated, corrupt or foreign file is a cache miss, never a wrong one)."""
    if not data.startswith(magic):
        return None
    start = len(magic)
    digest, body = data[start:start + _DIGEST_SIZE], data[start + _DIGEST_SIZE:]
    if hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest() != digest:
        return None
    try:
        # Our own file in the user's cache folder (made private); the digest catches damage.
        found, value = pickle.loads(body)
    except Exception:  # noqa: BLE001 - any unreadable file is just a cache miss
        return None
    return value if found == version else None


def encode_record(record: RenderRecord) -> bytes:
    """The record as bytes for a cache file."""
    return seal(_MAGIC, RECORD_FORMAT, record)


def decode_record(data: bytes) -> RenderRecord | None:
    """The record in ``data``, or None when it is not one this version wrote whole."""
    record = unseal(data, _MAGIC, RECORD_FORMAT)
    return record if isinstance(record, RenderRecord) else None
