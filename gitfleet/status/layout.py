"""The file layout of the status branch (DESIGN.md §4), both ways: a Plan becomes a
tree of files, and a tree read back from the branch becomes manifests and placements.

```
placements.yaml
clusters/<cluster>/<namespace|_cluster>/<group|core>.<Kind>.<name>.yaml
state/...                       # the re-scheduling memory (gitfleet.status.state)
status/...                      # written by the apply engine, kept as it is here
```

Every manifest goes through :mod:`gitfleet.redaction` first, so nothing written
here holds a Secret value in clear. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import marshal
import re
from collections.abc import Iterable, Mapping
from typing import Any

from gitfleet.errors import GitfleetError
from gitfleet.load.yamlio import dump_yaml, load_plain
from gitfleet.model.keys import ResourceId
from gitfleet.model.plan import ClusterTarget, Plan, ResourcePlacement
from gitfleet.redaction import mask_manifest

PLACEMENTS_FILE = "placements.yaml"
CLUSTERS_DIR = "clusters"
STATUS_DIR = "status"
STATE_DIR = "state"
CLUSTER_SCOPE_DIR = "_cluster"
CORE_GROUP = "core"
DEFAULT_STATUS_BRANCH = "gitfleet/status"


class LayoutError(GitfleetError):
    """Two objects would be written to the same file, or a status file is unreadable."""


class UnsafePathError(LayoutError):
    """A name would not stay one file or folder name inside its folder."""


# Besides '/', what no component may hold: a backslash is a separator on Windows checkouts, NUL
# ends a C string, and a newline or other control character would start a new line of a
# log, a diff or a `git ls-tree` listing.
_UNSAFE_CHAR = re.compile(r"[/\\\x00-\x1f\x7f]")


def path_component(value: str, what: str = "name") -> str:
    """``value`` as one file or folder name, or :class:`UnsafePathError`.

    Whatever the loader let through, a component can neither be empty, nor ``.``/``..``,
    nor hold a separator or control character, nor be ``.git`` (which Git would refuse
    to check out): so a path joined from components never leaves its folder.
    """
    if not value or value in (".", "..") or value.lower() == ".git" or _UNSAFE_CHAR.search(value):
        raise UnsafePathError(f"{what} {value[:80]!r} cannot be a file or folder name: it must be non-empty, not"
                              " '.' or '..', and hold no '/', '\\' or control character")
    return value


def check_relative_path(path: str) -> str:
    """``path`` when it is a relative posix path of safe components (see
    :func:`path_component`), else :class:`UnsafePathError`: the check every writer of
    a tree (status branch, ``render --output-dir``) applies to each path it writes."""
    for part in path.split("/"):
        path_component(part, f"path {path[:200]!r}: component")
    return path


def manifest_path(cluster: str, manifest: Mapping[str, Any]) -> str:
    """Where ``manifest`` lives on the status branch; the one place a resource key
    becomes a path. Raises :class:`UnsafePathError` for a component that would not stay
    one name inside its folder (the loader refuses such names first)."""
    return id_path(cluster, ResourceId.of(manifest))


def id_path(cluster: str, rid: ResourceId) -> str:
    """:func:`manifest_path` of the manifest whose identity is ``rid``."""
    return f"{CLUSTERS_DIR}/{path_component(cluster, 'cluster')}/{object_file(rid)}"


def object_file(rid: ResourceId) -> str:
    """``<namespace|_cluster>/<group|core>.<Kind>.<name>.yaml``: where the object
    ``rid`` goes inside a folder of the status branch (a cluster's, or ``state/resources``)."""
    folder = path_component(rid.namespace, "namespace") if rid.namespace else CLUSTER_SCOPE_DIR
    group = path_component(rid.group, "API group") if rid.group else CORE_GROUP
    kind, name = path_component(rid.kind, "kind"), path_component(rid.name, "name")
    return f"{folder}/{group}.{kind}.{name}.yaml"


def status_path(cluster: str) -> str:
    """``status/<cluster>.yaml``: the apply report of one member."""
    return f"{STATUS_DIR}/{path_component(cluster, 'cluster')}.yaml"


# YAML text by exact content. Dumping is the slowest step of writing a render (PyYAML's
# representer is Python even with the C emitter); a long-running process (the
# reconciler, or a diff rendering two revisions) sees the same manifests again and again.
# marshal (version 2: no back-references, so the bytes depend on content alone) is exact and
# type-preserving (True is not 1, 1.0 is not 1), so equal keys mean
# equal content.
_YAML_CACHE: dict[bytes, str] = {}
_YAML_CACHE_SIZE = 65_536


def _cached_yaml(obj: Any) -> str:
    try:
        key = hashlib.blake2b(marshal.dumps(obj, 2), digest_size=20).digest()
    except ValueError:  # a value marshal cannot write: not cacheable, still dumpable
        return dump_yaml(obj)
    text = _YAML_CACHE.get(key)
    if text is None:
        text = dump_yaml(obj)
        if len(_YAML_CACHE) >= _YAML_CACHE_SIZE:
            _YAML_CACHE.pop(next(iter(_YAML_CACHE)))
        _YAML_CACHE[key] = text
    return text


def manifest_yaml(manifest: Mapping[str, Any]) -> str:
    """The text of a manifest as the status branch and every diff show it (masked)."""
    return _cached_yaml(dict(mask_manifest(manifest)))


def placements_yaml(placements: tuple[ResourcePlacement, ...]) -> str:
    """The placements list as YAML; item by item (a block sequence is the concatenation
    of its one-item sequences), so unchanged placements come from the cache."""
    if not placements:
        return dump_yaml([])
    return "".join(_cached_yaml([p.to_json()]) for p in placements)


def plan_to_tree(plan: Plan) -> dict[str, bytes]:
    """The status-branch files of ``plan`` as ``{path: bytes}``.

    Raises :class:`LayoutError` when two keys map to one path (the same object under
    two apiVersions of one group), which Kubernetes would treat as one object anyway.
    """
    files: dict[str, bytes] = {PLACEMENTS_FILE: placements_yaml(plan.placements).encode()}
    owners: dict[str, str] = {}
    for cluster in sorted(plan.manifests):
        for key in sorted(plan.manifests[cluster]):
            manifest = plan.manifests[cluster][key]
            # Components are checked (no '..', no '/'), so equal strings are equal files.
            path = manifest_path(cluster, manifest)
            if path in owners:
                raise LayoutError(
                    f"{key} and {owners[path]} on cluster {cluster} are the same object under two"
                    " apiVersions; keep one of them"
                )
            owners[path] = key
            files[path] = manifest_yaml(manifest).encode()
    if plan.state is not None:
        from gitfleet.status.state import state_files  # it builds on this module's paths

        files.update(state_files(plan.state))
    return files


def is_rendered_path(path: str) -> bool:
    """Whether ``path`` is part of the render (``placements.yaml``, ``clusters/``, and
    the memory under ``state/``, which each render writes whole), not of the apply
    results under ``status/``."""
    return path == PLACEMENTS_FILE or path.startswith((CLUSTERS_DIR + "/", STATE_DIR + "/"))


def tree_changes(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> dict[str, bytes | None]:
    """The rendered files that differ from tree ``old`` to the render ``new``: their new
    content, or None for a file that is gone. Other files of ``old`` are left out."""
    changes: dict[str, bytes | None] = {p: None for p in old if is_rendered_path(p) and p not in new}
    for path, data in new.items():
        before = old.get(path)
        if before is not data and before != data:
            changes[path] = data
    return changes


def _split_manifest_path(path: str) -> tuple[str, str | None] | None:
    parts = path.split("/")
    if len(parts) != 4 or parts[0] != CLUSTERS_DIR or not parts[3].endswith(".yaml"):
        return None
    return parts[1], None if parts[2] == CLUSTER_SCOPE_DIR else parts[2]


def tree_to_manifests(files: Mapping[str, bytes]) -> dict[str, dict[str, dict[str, Any]]]:
    """Read the manifests back: ``cluster -> key -> manifest`` (Secrets stay masked).

    The namespace comes from the folder, the rest of the identity from the manifest.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(files):
        where = _split_manifest_path(path)
        if where is None:
            continue
        cluster, namespace = where
        docs = load_plain(files[path].decode())
        if len(docs) != 1 or not isinstance(docs[0], dict):
            raise LayoutError(f"{path}: expected one manifest on the status branch, found {len(docs)} documents")
        manifest = docs[0]
        rid = ResourceId.of(manifest)
        key = ResourceId(rid.api_version, rid.kind, namespace, rid.name).key
        out.setdefault(cluster, {})[key] = manifest
    return out


# Resource key by exact file content: the reconciler reads the inventory of the previous
# status tree every cycle, and parsing thousands of unchanged manifests again each time
# would cost seconds. The key depends on the content and the namespace folder only.
_KEY_CACHE: dict[tuple[bytes, str | None], str] = {}
_KEY_CACHE_SIZE = 65_536


def _key_of(path: str, namespace: str | None, data: bytes) -> str:
    digest = hashlib.blake2b(data, digest_size=20).digest()
    key = _KEY_CACHE.get((digest, namespace))
    if key is None:
        docs = load_plain(data.decode())
        if len(docs) != 1 or not isinstance(docs[0], dict):
            raise LayoutError(f"{path}: expected one manifest on the status branch, found {len(docs)} documents")
        rid = ResourceId.of(docs[0])
        key = ResourceId(rid.api_version, rid.kind, namespace, rid.name).key
        if len(_KEY_CACHE) >= _KEY_CACHE_SIZE:
            _KEY_CACHE.pop(next(iter(_KEY_CACHE)))
        _KEY_CACHE[(digest, namespace)] = key
    return key


def tree_keys(files: Mapping[str, bytes], clusters: Iterable[str] | None = None,
              known: Mapping[str, str] | None = None) -> dict[str, set[str]]:
    """``cluster -> resource keys`` of the manifests of a status tree (of ``clusters``
    only, when given): what :func:`tree_to_manifests` gives, without the manifests.
    ``known`` maps paths whose content the caller knows to their key (see
    :func:`manifest_keys`): those files are neither read nor parsed."""
    wanted = set(clusters) if clusters is not None else None
    known = known or {}
    out: dict[str, set[str]] = {}
    if wanted is not None and not wanted:
        return out
    for path in files:
        where = _split_manifest_path(path)
        if where is None or (wanted is not None and where[0] not in wanted):
            continue
        key = known.get(path)
        out.setdefault(where[0], set()).add(key if key is not None else _key_of(path, where[1], files[path]))
    return out


def manifest_keys(plan: Plan) -> dict[str, str]:
    """``path -> resource key`` of every manifest file :func:`plan_to_tree` writes for
    ``plan``, as :func:`tree_keys` would read it back (the namespace from the folder, the
    rest from the manifest), without writing or parsing any YAML."""
    out: dict[str, str] = {}
    for cluster, manifests in plan.manifests.items():
        for manifest in manifests.values():
            rid = ResourceId.of(manifest)
            path = id_path(cluster, rid)
            namespace = _split_manifest_path(path)
            assert namespace is not None  # id_path writes exactly that shape
            out[path] = ResourceId(rid.api_version, rid.kind, namespace[1], rid.name).key
    return out


def tree_to_placements(files: Mapping[str, bytes]) -> tuple[ResourcePlacement, ...]:
    """The placements recorded in ``placements.yaml`` (empty when the file is absent)."""
    raw = files.get(PLACEMENTS_FILE)
    if raw is None:
        return ()
    docs = load_plain(raw.decode())
    items = docs[0] if docs else []
    if not isinstance(items, list):
        raise LayoutError(f"{PLACEMENTS_FILE}: expected a list of placements")
    placements = []
    for item in items:
        placements.append(
            ResourcePlacement(
                resource=str(item["resource"]),
                policy=item.get("policy"),
                clusters=tuple(
                    ClusterTarget(str(c["name"]), c.get("replicas")) for c in item.get("clusters") or ()
                ),
                reason=item.get("reason"),
                depended_by=tuple(item.get("dependedBy") or ()),
                suspended=tuple(str(n) for n in item.get("suspended") or ()),
                retained=tuple(str(n) for n in item.get("retained") or ()),
                conflict_resolution=str(item.get("conflictResolution") or "Abort"),
            )
        )
    return tuple(placements)


def tree_to_plan(files: Mapping[str, bytes]) -> Plan:
    """A Plan rebuilt from a status tree (no warnings, failures or explanations)."""
    return Plan(placements=tree_to_placements(files), manifests=tree_to_manifests(files))


def status_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The ``status/`` files of a tree (per-cluster apply results)."""
    return {p: b for p, b in files.items() if p.startswith(STATUS_DIR + "/")}


def status_branch_name(fleet_yaml: bytes | None) -> str:
    """``spec.statusBranch`` of ``fleet.yaml`` (raw bytes, may be absent), or the default.

    Only this one field is read, so ``gitfleet status`` works even when the rest of the
    fleet repo is invalid.
    """
    if not fleet_yaml:
        return DEFAULT_STATUS_BRANCH
    try:
        docs = load_plain(fleet_yaml.decode())
    except Exception:  # noqa: BLE001 - an unreadable fleet.yaml is the loader's to report
        return DEFAULT_STATUS_BRANCH
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "Fleet":
            branch = (doc.get("spec") or {}).get("statusBranch")
            if isinstance(branch, str) and branch:
                return branch
    return DEFAULT_STATUS_BRANCH


def recorded_clusters(files: Mapping[str, bytes]) -> set[str]:
    """The clusters a status tree has a folder for (what gitfleet rendered for them)."""
    return {p.split("/", 2)[1] for p in files if p.startswith(CLUSTERS_DIR + "/") and p.count("/") >= 2}
