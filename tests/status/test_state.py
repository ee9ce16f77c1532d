"""The re-scheduling memory on the status branch (``state/``): any state survives being
written and read back, the same state always gives the same bytes, unknown fields are
kept, a newer format is refused, and a hand-edited or hostile file gives a
``path:line:col`` error naming it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.load.yamlio import dump_yaml, load_plain
from gitfleet.model.keys import ResourceId
from gitfleet.model.state import (
    EMPTY_STATE,
    EvictionTask,
    FleetState,
    PreviousTarget,
    ResourceState,
    TaintSeen,
)
from gitfleet.status.layout import is_rendered_path, tree_changes, tree_keys
from gitfleet.status.report import build_report
from gitfleet.status.state import (
    FLEET_STATE_FILE,
    FORMAT_VERSION,
    MAX_INT32,
    MAX_LIST_ITEMS,
    StateError,
    read_state,
    resource_state_path,
    state_files,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "status-branch.md"
WEB = "apps/v1/Deployment/shop/web"
WEB_PATH = "state/resources/shop/apps.Deployment.web.yaml"
NOW = "2026-12-04T10:02:11Z"

# The example of docs/status-branch.md: the docs show what the code writes.
EXAMPLE = FleetState(
    resources={
        WEB: ResourceState(
            WEB,
            clusters=(PreviousTarget("member1", 4), PreviousTarget("member2", 2)),
            applied_placement='{"clusterAffinity":{"clusterNames":["member1","member2","member3"]},'
                              '"replicaScheduling":{"replicaDivisionPreference":"Weighted",'
                              '"replicaSchedulingType":"Divided","weightPreference":'
                              '{"dynamicWeight":"AvailableReplicas"}}}',
            eviction_tasks=(EvictionTask("member3", 2, reason="TaintUntolerated", since=NOW),),
            rebalancers=("rebalance-web@2026-12-04T09:00:00Z",),
            last_scheduled=NOW,
        ),
        "v1/Namespace/_/shop": ResourceState(
            "v1/Namespace/_/shop",
            clusters=(PreviousTarget("member1"), PreviousTarget("member2")),
            applied_placement='{"clusterAffinities":[{"affinityName":"primary",'
                              '"clusterNames":["member1","member2"]}]}',
            observed_affinity="primary",
            last_scheduled=NOW,
        ),
    },
    taints=(TaintSeen("member3", "cluster.karmada.io/unreachable", "", "NoExecute", "2026-12-04T09:57:11Z"),),
)


# ---------------------------------------------------------------------------
# round trip and byte stability

# Names YAML would read as something else unless quoted, and plain ones.
_names = st.one_of(
    st.sampled_from(["member1", "yes", "no", "on", "null", "~", "123", "0x1F", "1e3", "2026-01-01", "a:b", "-x",
                     "é", "#c", "m" * 130, "'q'", '"d"', "*a", "&b", "!t", "%p", "@", "`", "{x}", "[y]", ">", "|"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="/\\"),
            min_size=1, max_size=12).filter(lambda s: s not in (".", "..") and s.lower() != ".git"),
)
_texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_times = st.datetimes(dt.datetime(1970, 1, 1), timezones=st.none()).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
_counts = st.integers(0, MAX_INT32)
_ids = st.builds(ResourceId, st.sampled_from(["v1", "apps/v1", "example.com/v1beta1"]),
                 st.sampled_from(["ConfigMap", "Deployment", "Namespace", "Widget"]),
                 st.one_of(st.none(), _names), _names)
_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _texts),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(_texts, inner, max_size=3)), max_leaves=8)
_RESOURCE_KNOWN = {"version", "resource", "clusters", "appliedPlacement", "observedAffinity", "evictionTasks",
                   "rebalancers", "lastScheduled"}


@st.composite
def _tasks(draw: st.DrawFn) -> tuple[EvictionTask, ...]:
    clusters = draw(st.lists(_names, unique=True, max_size=3))
    return tuple(sorted(
        (EvictionTask(c, draw(_counts), draw(st.sampled_from(["Gracefully", "Directly", "Never"])),
                      draw(_texts), draw(st.one_of(st.just(""), _times)), draw(st.none() | _counts))
         for c in clusters),
        key=lambda t: t.cluster))


@st.composite
def _resource(draw: st.DrawFn, key: str) -> ResourceState:
    return ResourceState(
        resource=key,
        clusters=tuple(sorted(PreviousTarget(n, draw(_counts))
                              for n in draw(st.lists(_names, unique=True, max_size=4)))),
        applied_placement=draw(st.none() | _texts),
        observed_affinity=draw(st.none() | _texts),
        eviction_tasks=draw(_tasks()),
        rebalancers=tuple(sorted(draw(st.sets(_texts, max_size=3)))),
        last_scheduled=draw(st.none() | _times),
        extra=draw(st.dictionaries(_texts.filter(lambda k: k not in _RESOURCE_KNOWN), _json, max_size=2)),
    )


@st.composite
def fleet_states(draw: st.DrawFn) -> FleetState:
    """Any state in the form read_state gives: lists sorted, no duplicates."""
    # One key per path: keys that differ only in the apiVersion's version share a file.
    ids = {resource_state_path(rid.key): rid for rid in draw(st.lists(_ids, max_size=4))}
    resources = {rid.key: draw(_resource(rid.key)) for rid in ids.values()}
    taints = {(t.cluster, t.key, t.value, t.effect): t for t in draw(st.lists(
        st.builds(TaintSeen, _names, _texts.filter(bool), _texts, st.sampled_from(["NoExecute", "NoSchedule"]),
                  _times), max_size=3))}
    return FleetState(
        resources=resources,
        taints=tuple(sorted(taints.values(), key=lambda t: (t.cluster, t.key, t.value, t.effect))),
        extra=draw(st.dictionaries(_texts.filter(lambda k: k not in {"version", "taintsSeen"}), _json, max_size=2)),
    )


@given(fleet_states())
def test_any_state_reads_back_the_same(state: FleetState) -> None:
    files = state_files(state)
    assert read_state(files) == state
    for data in files.values():  # canonical: what dump_yaml writes of the content, keys sorted
        [content] = load_plain(data)
        assert list(content) == sorted(content)
        assert dump_yaml(content).encode() == data


@given(fleet_states(), st.randoms())
def test_the_same_state_gives_the_same_bytes(state: FleetState, rnd: Any) -> None:
    """Whatever order the caller built it in: a render whose memory did not change
    writes the same blobs, so it commits nothing."""
    keys = list(state.resources)
    rnd.shuffle(keys)
    shuffled = FleetState(
        resources={k: ResourceState(**{**vars(state.resources[k]),
                                       "clusters": tuple(rnd.sample(state.resources[k].clusters,
                                                                    len(state.resources[k].clusters)))})
                   for k in keys},
        taints=tuple(rnd.sample(state.taints, len(state.taints))),
        extra=state.extra,
    )
    files = state_files(state)
    assert state_files(shuffled) == files
    assert state_files(read_state(files)) == files


def test_the_docs_example_is_what_the_code_writes() -> None:
    text = DOCS.read_text()
    for path, data in state_files(EXAMPLE).items():
        block = re.search(rf"```yaml\n# {re.escape(path)}\n(.*?)```", text, re.DOTALL)
        assert block is not None, f"docs/status-branch.md shows no example of {path}"
        assert block.group(1).encode() == data, path


def test_defaults_are_left_out() -> None:
    files = state_files(FleetState(resources={"v1/ConfigMap/shop/cfg": ResourceState("v1/ConfigMap/shop/cfg")}))
    assert files == {
        FLEET_STATE_FILE: b"version: 1\n",
        "state/resources/shop/core.ConfigMap.cfg.yaml": b"resource: v1/ConfigMap/shop/cfg\nversion: 1\n",
    }


def test_no_state_files_is_a_first_scheduling() -> None:
    assert read_state({"placements.yaml": b"[]\n", "status/m1.yaml": b"cluster: m1\n"}) is EMPTY_STATE
    assert state_files(EMPTY_STATE) == {FLEET_STATE_FILE: b"version: 1\n"}


@pytest.mark.parametrize(
    ("key", "path"),
    [
        (WEB, WEB_PATH),
        ("v1/Namespace/_/shop", "state/resources/_cluster/core.Namespace.shop.yaml"),
        ("example.com/v1/Widget/shop/w1", "state/resources/shop/example.com.Widget.w1.yaml"),
    ],
    ids=["namespaced-group", "cluster-scoped-core", "custom-resource"],
)
def test_resource_state_path(key: str, path: str) -> None:
    assert resource_state_path(key) == path


# ---------------------------------------------------------------------------
# compatibility


def test_unknown_fields_are_kept_on_rewrite() -> None:
    files = state_files(EXAMPLE)
    files[WEB_PATH] += b"zoneHints: {a: [2, 1], b: null}\nanotherField: 3\n"
    files[FLEET_STATE_FILE] += b"rebalancerClock: '2026-12-04T09:00:00Z'\n"
    state = read_state(files)
    assert state.resources[WEB].extra == {"zoneHints": {"a": [2, 1], "b": None}, "anotherField": 3}
    assert state.extra == {"rebalancerClock": "2026-12-04T09:00:00Z"}
    rewritten = state_files(state)
    assert read_state(rewritten) == state
    assert b"anotherField: 3\n" in rewritten[WEB_PATH]
    assert b"zoneHints:\n  a:\n  - 2\n  - 1\n  b: null\n" in rewritten[WEB_PATH]


def test_a_known_field_wins_over_an_extra_of_the_same_name() -> None:
    state = ResourceState(WEB, last_scheduled=NOW, extra={"lastScheduled": "x", "resource": "y"})
    data = state_files(FleetState(resources={WEB: state}))[WEB_PATH]
    assert data == f"lastScheduled: '{NOW}'\nresource: {WEB}\nversion: 1\n".encode()


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (f"{FORMAT_VERSION + 1}", "version: written by a newer gitfleet (state format version 2)"),
        ("99999", "state format version 99999); this gitfleet reads version 1: upgrade gitfleet"),
        ("0", "version: expected a positive whole number, found 0"),
        ("'1'", "version: expected a positive whole number, found '1'"),
        ("true", "version: expected a positive whole number, found True"),
        ("1.5", "version: expected a positive whole number, found 1.5"),
    ],
    ids=["next", "far-future", "zero", "string", "boolean", "fraction"],
)
@pytest.mark.parametrize("path", [WEB_PATH, FLEET_STATE_FILE], ids=["resource", "fleet"])
def test_a_version_this_gitfleet_cannot_read_is_refused(path: str, version: str, message: str) -> None:
    files = state_files(EXAMPLE)
    files[path] = files[path].replace(b"version: 1\n", f"version: {version}\n".encode())
    with pytest.raises(StateError) as err:
        read_state(files)
    line = files[path].decode().splitlines().index(f"version: {version}") + 1
    assert str(err.value).startswith(f"{path}:{line}:1: ")
    assert message in str(err.value)


# ---------------------------------------------------------------------------
# hostile or hand-edited files


def _web(body: str) -> dict[str, bytes]:
    return {WEB_PATH: f"resource: {WEB}\nversion: 1\n{body}".encode()}


HUGE = MAX_LIST_ITEMS + 1
# (id, files, where the error is, a fragment of the message)
HOSTILE: list[tuple[str, dict[str, bytes], str, str]] = [
    ("not-yaml", _web("clusters: {m1: [\n"), f"{WEB_PATH}:4:", "invalid YAML"),
    ("not-utf8", {WEB_PATH: b"resource: \xff\xfe\n"}, f"{WEB_PATH}:1:11", "not UTF-8"),
    ("two-documents", _web("---\nversion: 1\n"), f"{WEB_PATH}:4:1", "expected one YAML document, found 2"),
    ("empty", {WEB_PATH: b""}, f"{WEB_PATH}:1:1", "expected one YAML document, found 0"),
    ("a-list", {WEB_PATH: b"- version: 1\n"}, f"{WEB_PATH}:1:1", "expected a mapping, found list"),
    ("no-version", {WEB_PATH: f"resource: {WEB}\n".encode()}, f"{WEB_PATH}:1:1", "no 'version' field"),
    ("no-resource", {WEB_PATH: b"version: 1\n"}, f"{WEB_PATH}:1:1", "no 'resource' field"),
    ("resource-a-number", {WEB_PATH: b"version: 1\nresource: 7\n"}, f"{WEB_PATH}:2:1",
     "resource: expected a string, found int"),
    ("resource-not-a-key", {WEB_PATH: b"version: 1\nresource: web\n"}, f"{WEB_PATH}:2:1",
     "is not <apiVersion>/<Kind>/<namespace>/<name>"),
    ("resource-traversal", {"state/resources/../x.yaml": b"version: 1\nresource: v1/ConfigMap/../x\n"},
     "state/resources/../x.yaml:2:1", "namespace '..' cannot be a file or folder name"),
    ("resource-name-traversal", {"state/resources/shop/core.ConfigMap.x.yaml":
                                 b"version: 1\nresource: v1/ConfigMap/shop/..\n"},
     "state/resources/shop/core.ConfigMap.x.yaml:2:1", "name '..' cannot be a file or folder name"),
    ("resource-namespace-dot-git", {"state/resources/shop/core.ConfigMap.x.yaml":
                                    b"version: 1\nresource: v1/ConfigMap/.git/x\n"},
     "state/resources/shop/core.ConfigMap.x.yaml:2:1", "namespace '.git' cannot be"),
    ("resource-of-another-file", {"state/resources/shop/core.ConfigMap.x.yaml":
                                  f"version: 1\nresource: {WEB}\n".encode()},
     "state/resources/shop/core.ConfigMap.x.yaml:2:1", f"the state of {WEB} belongs in {WEB_PATH}"),
    ("file-too-deep", {"state/resources/a/b/c.yaml": b"version: 1\n"}, "state/resources/a/b/c.yaml:1:1",
     "not a resource's state file"),
    ("clusters-a-list", _web("clusters: [m1, m2]\n"), f"{WEB_PATH}:3:1", "clusters: expected a mapping, found list"),
    ("clusters-falsy-wrong-type", _web("clusters: 0\n"), f"{WEB_PATH}:3:1", "expected a mapping, found int"),
    ("replicas-a-string", _web("clusters: {m1: '4'}\n"), f"{WEB_PATH}:3:12", "clusters.m1: expected a whole number"),
    ("replicas-a-boolean", _web("clusters:\n  m1: true\n"), f"{WEB_PATH}:4:3", "found bool"),
    ("replicas-negative", _web("clusters: {m1: -1}\n"), f"{WEB_PATH}:3:12", "-1 is out of range"),
    ("replicas-beyond-int32", _web("clusters: {m1: 2147483648}\n"), f"{WEB_PATH}:3:12", "out of range"),
    ("replicas-beyond-int64", _web("clusters: {m1: 99999999999999999999}\n"), f"{WEB_PATH}:3:16",
     "does not fit in 64 bits"),
    ("cluster-traversal", _web("clusters: {'../../etc': 1}\n"), f"{WEB_PATH}:3:12",
     "cluster '../../etc' cannot be a file or folder name"),
    ("cluster-control-character", _web('clusters: {"m1\\nInjected: x": 1}\n'), f"{WEB_PATH}:3:12",
     "cannot be a file or folder name"),
    ("cluster-duplicate", _web("clusters:\n  m1: 1\n  m1: 2\n"), f"{WEB_PATH}:5:3", "duplicate key 'm1'"),
    ("cluster-name-too-long", _web(f"clusters: {{{'m' * 300}: 1}}\n"), f"{WEB_PATH}:3:12", "longer than 253"),
    ("too-many-clusters", _web("clusters: {" + ", ".join(f"m{i}: 1" for i in range(HUGE)) + "}\n"),
     f"{WEB_PATH}:3:1", f"more than {MAX_LIST_ITEMS} clusters"),
    ("too-many-rebalancers", _web("rebalancers: [" + ",".join("r" for _ in range(HUGE)) + "]\n"),
     f"{WEB_PATH}:3:1", f"more than {MAX_LIST_ITEMS} items"),
    ("placement-not-text", _web("appliedPlacement: {clusterAffinity: {}}\n"), f"{WEB_PATH}:3:1",
     "appliedPlacement: expected a string, found dict"),
    ("placement-huge", _web(f"appliedPlacement: '{'x' * ((1 << 20) + 1)}'\n"), f"{WEB_PATH}:3:1",
     "longer than 1048576 characters"),
    ("time-not-rfc3339", _web("lastScheduled: yesterday\n"), f"{WEB_PATH}:3:1",
     "'yesterday' is not an RFC 3339 time in UTC"),
    ("time-with-offset", _web("lastScheduled: '2026-12-04T10:02:11+02:00'\n"), f"{WEB_PATH}:3:1",
     "not an RFC 3339 time in UTC"),
    ("tasks-a-mapping", _web("evictionTasks: {cluster: m3}\n"), f"{WEB_PATH}:3:1", "expected a list, found dict"),
    ("task-no-replicas", _web("evictionTasks:\n- cluster: m3\n"), f"{WEB_PATH}:4:3",
     "evictionTasks.0: an eviction task needs 'replicas'"),
    ("task-bad-purge-mode", _web("evictionTasks:\n- {cluster: m3, replicas: 1, purgeMode: Later}\n"),
     f"{WEB_PATH}:4:30", "'Later' is not one of Gracefully, Directly, Never"),
    ("task-unknown-field", _web("evictionTasks:\n- {cluster: m3, replicas: 1, color: red}\n"),
     f"{WEB_PATH}:4:30", "evictionTasks.0.color: unknown field"),
    ("task-cluster-traversal", _web("evictionTasks:\n- {cluster: .., replicas: 1}\n"), f"{WEB_PATH}:4:4",
     "evictionTasks.0.cluster: cluster '..' cannot be"),
    ("task-twice", _web("evictionTasks:\n- {cluster: m3, replicas: 1}\n- {cluster: m3, replicas: 2}\n"),
     f"{WEB_PATH}:5:4", "a second eviction task for cluster m3"),
    ("task-grace-negative", _web("evictionTasks:\n- {cluster: m3, replicas: 1, gracePeriodSeconds: -5}\n"),
     f"{WEB_PATH}:4:30", "gracePeriodSeconds: -5 is out of range"),
    ("custom-tag", _web("observedAffinity: !python/object:os.system x\n"), f"{WEB_PATH}:3:19",
     "unsupported YAML tag"),
    ("alias-bomb", _web("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"),
     f"{WEB_PATH}:7:4", "expand this document"),
    ("deep-nesting", _web("x: " + "[" * 200 + "]" * 200 + "\n"), f"{WEB_PATH}:", "levels"),
    ("oversized", _web("x: '" + "y" * (8 * 1024 * 1024) + "'\n"), f"{WEB_PATH}:1:1", "larger than 8 MiB"),
    ("fleet-taints-a-mapping", {FLEET_STATE_FILE: b"version: 1\ntaintsSeen: {m1: x}\n"},
     f"{FLEET_STATE_FILE}:2:1", "taintsSeen: expected a list"),
    ("fleet-taint-no-first-seen", {FLEET_STATE_FILE: b"version: 1\ntaintsSeen:\n- {cluster: m1, key: k, effect: NoExecute}\n"},
     f"{FLEET_STATE_FILE}:3:3", "a taint needs 'firstSeen'"),
    ("fleet-taint-twice", {FLEET_STATE_FILE: (b"version: 1\ntaintsSeen:\n"
                                              b"- {cluster: m1, key: k, effect: NoExecute, firstSeen: '2026-01-01T00:00:00Z'}\n"
                                              b"- {cluster: m1, key: k, effect: NoExecute, firstSeen: '2026-01-02T00:00:00Z'}\n")},
     f"{FLEET_STATE_FILE}:4:3", "is listed twice"),
    ("fleet-taint-cluster-traversal", {FLEET_STATE_FILE: (b"version: 1\ntaintsSeen:\n"
                                                          b"- {cluster: a/b, key: k, effect: NoExecute,"
                                                          b" firstSeen: '2026-01-01T00:00:00Z'}\n")},
     f"{FLEET_STATE_FILE}:3:4", "taintsSeen.0.cluster: cluster 'a/b' cannot be"),
]


@pytest.mark.parametrize(("files", "where", "message"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_a_hostile_state_file_is_an_error_naming_it(files: dict[str, bytes], where: str, message: str) -> None:
    with pytest.raises(StateError) as err:
        read_state({"placements.yaml": b"[]\n", **files})
    shown = str(err.value)
    assert re.match(r"[^:]+:\d+:\d+: ", shown), shown
    assert shown.startswith(where), shown[:300]
    assert message in shown, shown[:300]
    assert len(shown) < 1000  # a huge value is not echoed back


def test_other_files_under_state_are_not_read() -> None:
    """Not part of format version 1: skipped (and dropped by the next render)."""
    files = {**state_files(EXAMPLE), "state/README.md": b"\xff not yaml", "state/notes/x.yaml": b"[\n"}
    assert read_state(files) == EXAMPLE


# ---------------------------------------------------------------------------
# state/ beside the rest of the status tree


def test_state_files_are_rendered_paths() -> None:
    """Written whole by every render: a file no longer written is removed, not kept."""
    old = state_files(EXAMPLE)
    assert all(is_rendered_path(p) for p in old)
    smaller = FleetState(resources={WEB: EXAMPLE.resources[WEB]}, taints=EXAMPLE.taints)
    new = state_files(smaller)
    assert tree_changes(old, new) == {"state/resources/_cluster/core.Namespace.shop.yaml": None}
    assert tree_changes(new, new) == {}


def test_the_rest_of_the_status_tree_ignores_state() -> None:
    placements = b"- resource: v1/ConfigMap/shop/cm\n  policy: PropagationPolicy/shop/p\n  clusters: [{name: m1}]\n"
    tree = {"placements.yaml": placements, "clusters/m1/shop/core.ConfigMap.cm.yaml":
            b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: shop}\n",
            "status/m1.yaml": b"cluster: m1\nstate: Applied\n"}
    with_state = {**tree, **state_files(EXAMPLE), "state/resources/x/bad.yaml": b"[\n"}
    assert tree_keys(with_state) == tree_keys(tree)
    assert build_report("gitfleet/status", "c" * 40, "s" * 40, 0, with_state) == \
        build_report("gitfleet/status", "c" * 40, "s" * 40, 0, tree)


@pytest.mark.parametrize(
    ("model", "written"),
    [
        (ResourceState, {"resource", "clusters", "applied_placement", "observed_affinity", "eviction_tasks",
                         "rebalancers", "last_scheduled", "extra"}),
        (EvictionTask, {"cluster", "replicas", "purge_mode", "reason", "since", "grace_period_seconds"}),
        (TaintSeen, {"cluster", "key", "value", "effect", "first_seen"}),
        (PreviousTarget, {"name", "replicas"}),
        (FleetState, {"resources", "taints", "version", "extra"}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_every_field_of_the_model_is_written(model: type, written: set[str]) -> None:
    """A field added to the model must be added to gitfleet/status/state.py (and to
    docs/status-branch.md), or a render would forget it."""
    assert {f.name for f in dataclasses.fields(model)} == written
