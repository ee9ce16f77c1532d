"""The RBAC a Pull member's agent needs: ``gitfleet agent --print-rbac``.

The rules come from what the fleet manages in that member, read from its folder on the
status branch (``clusters/<member>/``) and from the inventory of its last report
(``status/<member>.yaml``: what is no longer desired must still be pruned). Every
(group, resource) there gets the verbs the apply engine uses on it: ``get``/``list``
(finding the live objects, drift), ``create``/``patch`` (server-side apply is a PATCH,
which the API server also authorises as ``create`` when the object does not exist yet)
and ``delete`` (prune). No ``update`` nor ``watch``: the engine never sends them.

Namespaced kinds go into the ClusterRole too, not into a Role per namespace: the agent
creates the namespaces the fleet places (Karmada propagates them), and a Role can only
be created in a namespace that exists, so per-namespace Roles would fail on the first
deploy and on every new namespace. The agent still writes only objects carrying the
fleet's labels (anything else is left alone unless ``conflictResolution: Overwrite``),
but RBAC cannot express that: a fleet that manages one Secret lets its agent read every
Secret of the member. Narrow by hand when that matters (``deploy/agent/README.md``).

Plurals: the status branch has kinds, and offline nothing can be discovered. A kind
defined by a CustomResourceDefinition the fleet manages in the member takes that CRD's
``spec.names.plural``; any other kind the English rule with the known irregulars (what
controller-gen and the built-in types follow). A CRD installed otherwise whose plural is
irregular needs a rule added by hand.

The functions are pure except :func:`print_rbac`, which reads the status branch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from gitfleet.errors import GitfleetError
from gitfleet.load.yamlio import dump_all
from gitfleet.model.keys import ResourceId
from gitfleet.status.layout import CLUSTERS_DIR, path_component, status_path, tree_to_manifests

if TYPE_CHECKING:
    from gitfleet.git.source import GitSource

NAMESPACE = "gitfleet-agent"
NAME = "gitfleet-agent"
LABELS = {"app.kubernetes.io/name": "gitfleet-agent"}
RBAC_GROUP = "rbac.authorization.k8s.io"
CRD_GROUP = "apiextensions.k8s.io"
MANAGED_VERBS = ("get", "list", "create", "patch", "delete")
# Kinds whose resource is not the English plural of the lowercased kind.
IRREGULAR_PLURALS = {"Endpoints": "endpoints"}
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_GROUP = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_VOWELS = frozenset("aeiou")


class RbacError(GitfleetError):
    """The status branch holds nothing to derive the agent's RBAC from, or a kind or
    group that no Kubernetes API could serve."""


@dataclass(frozen=True, order=True)
class Rule:
    """One PolicyRule: resource rules carry ``groups``, the others ``urls``."""

    groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        if self.urls:
            return {"nonResourceURLs": list(self.urls), "verbs": list(self.verbs)}
        out: dict[str, Any] = {"apiGroups": list(self.groups), "resources": list(self.resources)}
        if self.names:
            out["resourceNames"] = list(self.names)
        out["verbs"] = list(self.verbs)
        return out


# What every agent does whatever the fleet places: read Nodes and bound Pods (the live
# capacity its report carries for the estimator), the server's version and discovery
# (the engine's reachability check and plural lookup) and /readyz. Kubernetes grants
# the non-resource URLs to every authenticated user by default; listing them keeps the
# agent working where those default bindings were removed.
ALWAYS = (
    Rule(("",), ("nodes", "pods"), ("list",)),
    Rule(urls=("/api", "/api/*", "/apis", "/apis/*", "/readyz", "/version"), verbs=("get",)),
)


@dataclass(frozen=True)
class AgentRbac:
    """The rules and what the user should know about them."""

    rules: tuple[Rule, ...]
    notes: tuple[str, ...] = field(default=())


def plural(kind: str) -> str:
    """The resource name of ``kind`` by the English rule (``NetworkPolicy`` ->
    ``networkpolicies``, ``Gateway`` -> ``gateways``, ``Ingress`` -> ``ingresses``)."""
    if kind in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[kind]
    lower = kind.lower()
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in _VOWELS:
        return lower[:-1] + "ies"
    return lower + "s"


def _checked(rid: ResourceId, where: str) -> ResourceId:
    if not _KIND.match(rid.kind):
        raise RbacError(f"{where}: kind {rid.kind[:80]!r} is not a Kubernetes kind (letters and digits)")
    if rid.group and not _GROUP.match(rid.group):
        raise RbacError(f"{where}: API group {rid.group[:80]!r} is not a DNS name")
    return rid


def _parsed(key: str) -> ResourceId:
    try:
        return ResourceId.parse(key)
    except ValueError as err:
        raise RbacError(str(err)) from None


def _crd_plurals(manifests: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """``(group, kind) -> plural`` declared by the CustomResourceDefinitions among
    ``manifests``."""
    out: dict[tuple[str, str], str] = {}
    for m in manifests:
        if m.get("kind") != "CustomResourceDefinition" or not str(m.get("apiVersion", "")).startswith(CRD_GROUP):
            continue
        spec = m.get("spec")
        names = spec.get("names") if isinstance(spec, dict) else None
        if not isinstance(spec, dict) or not isinstance(names, dict):
            continue
        group, kind, found = spec.get("group"), names.get("kind"), names.get("plural")
        if isinstance(group, str) and isinstance(kind, str) and isinstance(found, str) and _KIND.match(found):
            out[(group, kind)] = found.lower()
    return out


def _role_ref(manifest: Mapping[str, Any]) -> tuple[str, str] | None:
    ref = manifest.get("roleRef")
    if not isinstance(ref, dict) or ref.get("kind") not in ("Role", "ClusterRole"):
        return None
    name = ref.get("name")
    return (str(ref["kind"]), name) if isinstance(name, str) and name else None


def agent_rules(manifests: Mapping[str, Mapping[str, Any]], inventory: Iterable[str] = ()) -> AgentRbac:
    """The rules for an agent applying ``manifests`` (key -> manifest, its member's
    folder) and pruning what ``inventory`` (resource keys applied before) lists besides."""
    crd_plurals = _crd_plurals(manifests.values())
    kinds: set[tuple[str, str]] = set()
    for key in manifests:
        rid = _checked(_parsed(key), key)
        kinds.add((rid.group, rid.kind))
    for key in inventory:
        rid = _checked(_parsed(key), f"inventory entry {key[:120]!r}")
        kinds.add((rid.group, rid.kind))
    by_group: dict[str, set[str]] = {}
    guessed: list[str] = []
    for group, kind in kinds:
        resource = crd_plurals.get((group, kind))
        if resource is None:
            resource = plural(kind)
            if group and "." in group and not group.endswith(".k8s.io"):
                guessed.append(f"{kind}.{group} -> {resource}")
        by_group.setdefault(group, set()).add(resource)
    rules = [Rule((g,), tuple(sorted(r)), MANAGED_VERBS) for g, r in sorted(by_group.items())]
    rules.extend(_rbac_rules(manifests.values()))
    notes = []
    if guessed:
        notes.append("plural guessed for kinds whose CustomResourceDefinition the fleet does not manage in this"
                     " member (check them against `kubectl api-resources`): " + ", ".join(sorted(guessed)))
    return AgentRbac(tuple(ALWAYS) + tuple(sorted(rules)), tuple(notes))


def _rbac_rules(manifests: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """``escalate`` on the Roles and ClusterRoles the fleet writes and ``bind`` on the
    ones its bindings reference, by name: the API server lets a subject create a role
    or a binding only when it holds every permission granted, or these verbs."""
    escalate: dict[str, set[str]] = {}
    bind: dict[str, set[str]] = {}
    for m in manifests:
        if not str(m.get("apiVersion", "")).startswith(RBAC_GROUP + "/"):
            continue
        kind = m.get("kind")
        name = (m.get("metadata") or {}).get("name") if isinstance(m.get("metadata"), dict) else None
        if kind in ("Role", "ClusterRole") and isinstance(name, str):
            escalate.setdefault(plural(str(kind)), set()).add(name)
        elif kind in ("RoleBinding", "ClusterRoleBinding"):
            ref = _role_ref(m)
            if ref is not None:
                bind.setdefault(plural(ref[0]), set()).add(ref[1])
    rules = [Rule((RBAC_GROUP,), (res,), ("escalate",), tuple(sorted(names))) for res, names in escalate.items()]
    rules += [Rule((RBAC_GROUP,), (res,), ("bind",), tuple(sorted(names))) for res, names in bind.items()]
    return rules


def rbac_manifests(rules: Iterable[Rule], member: str) -> list[dict[str, Any]]:
    """ServiceAccount, ClusterRole and ClusterRoleBinding of the agent of ``member``,
    in namespace ``gitfleet-agent`` (``deploy/agent/``'s names)."""
    meta = {"labels": dict(LABELS), "annotations": {"gitfleet.io/member": member}}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": NAME, "namespace": NAMESPACE, **meta}},
        {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole", "metadata": {"name": NAME, **meta},
         "rules": [r.to_json() for r in rules]},
        {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": NAME, **meta},
         "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": NAME},
         "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]},
    ]


def rbac_yaml(rbac: AgentRbac, member: str, source: str) -> str:
    """The manifests as one YAML stream, headed by where they come from."""
    header = (f"# RBAC of the gitfleet agent of member {member}, from {source}.\n"
              "# Regenerate it when the fleet starts placing a new kind in this member.\n")
    return header + dump_all(rbac_manifests(rbac.rules, member))


def rules_from_status(files: Mapping[str, bytes], member: str) -> AgentRbac:
    """:func:`agent_rules` for ``member`` from status-branch files: its folder and its
    last report's inventory."""
    from gitfleet.apply.statusfile import inventory_keys

    folder = f"{CLUSTERS_DIR}/{member}/"
    try:
        manifests = tree_to_manifests({p: b for p, b in files.items() if p.startswith(folder)})
        inventory = inventory_keys(files, member)
    # The status branch is anyone's to push to: a malformed file is an error naming
    # where, not a traceback (a manifest whose metadata is not a mapping, an inventory
    # that is not a list).
    except (yaml.YAMLError, UnicodeDecodeError, AttributeError, TypeError) as err:
        raise RbacError(f"{folder} or {status_path(member)} on the status branch is not what gitfleet writes:"
                        f" {type(err).__name__}: {str(err)[:200]}") from None
    return agent_rules(manifests.get(member, {}), inventory)


def print_rbac(repo: str, member: str, status_branch: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The YAML for ``member``'s agent from the status branch of ``repo`` (a URL is
    fetched into the cache), and the notes for the user."""
    from gitfleet.git.source import open_source
    from gitfleet.git.statusbranch import read_folder, read_paths, read_status_tip, report_files, report_tips
    from gitfleet.load.discover import FLEET_FILE
    from gitfleet.service.agent import AGENTS_SUFFIX, report_branch
    from gitfleet.status.layout import status_branch_name

    path_component(member, "cluster")
    source: GitSource = open_source(repo)
    if source.repo is None:
        raise RbacError(f"{repo}: not a Git repository, so it has no status branch")
    branch = status_branch or status_branch_name(source.files_at("HEAD").get(FLEET_FILE))
    try:
        source.fetch_branches(branch + AGENTS_SUFFIX)
    except GitfleetError:
        pass  # a local repository, or no report yet: the status branch's copy serves
    tip = read_status_tip(source, branch)
    if tip is None:
        raise RbacError(f"{repo}: no status branch {branch}: run `gitfleet render --commit` (or `gitfleet run`) first")
    folder = read_folder(source, tip, f"{CLUSTERS_DIR}/{member}")
    files = {**folder, **read_paths(source, tip, [status_path(member)])}
    report = report_tips(source, branch + AGENTS_SUFFIX).get(report_branch(branch, member))
    if report is not None:
        files.update((p, b) for p, b in report_files(source, report, member).items() if p == status_path(member))
    if not folder and status_path(member) not in files:
        raise RbacError(f"{branch} places nothing on {member!r} and holds no report of it: is it a member"
                        " of this fleet?")
    rbac = rules_from_status(files, member)
    return rbac_yaml(rbac, member, f"{branch} at {tip.sha[:12]}"), rbac.notes
