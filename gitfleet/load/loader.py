"""Reading a whole fleet repo into a validated ``Fleet`` (DESIGN.md §1).

Input is ``{repo-relative posix path: bytes}``, the same from a folder on disk or a
Git tree, so validation and rendering see identical input. Every document is
classified by ``apiVersion``/``kind``: Karmada's ``Cluster`` is inventory, its four
policy kinds are policies, other Karmada control-plane kinds (``ClusterTaintPolicy``,
``FederatedResourceQuota``, ...) are ignored with a warning since they configure a
Karmada control plane that gitfleet replaces, and everything else is a resource
template. Every problem of the repo is collected before anything is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitfleet.errors import InputError, PositionedError, Problem, TemplateError
from gitfleet.gcpause import paused_gc
from gitfleet.load import build, checks, links, names, rebalancer, schema
from gitfleet.load.counts import check_counts
from gitfleet.load.discover import FLEET_FILE, NoFleetRepoError, is_jinja, select_files
from gitfleet.load.identity import check_identity, probe_cluster, with_namespace
from gitfleet.load.jinja import fleet_context, render_documents, render_text, template_context
from gitfleet.load.kinds import GITFLEET_GROUP, is_karmada_group, misspelling
from gitfleet.load.lists import expand_lists
from gitfleet.load.nulls import without_nulls
from gitfleet.load.report import Reporter
from gitfleet.load.secrets import check_secret
from gitfleet.load.sops_files import check_encrypted, read_sops_file
from gitfleet.load.unsupported import report_unsupported
from gitfleet.load.yamlio import JsonPath, Locator, ParsedDocument, byte_position, parse_documents
from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.model.policy import OverridePolicy, PropagationPolicy
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.resource import Fleet, FleetSettings, Template
from gitfleet.model.scope import group_of, is_namespaced
from gitfleet.model.source import SourcePos
from gitfleet.sops.format import METADATA_KEY, SopsSource, is_sops_document

if TYPE_CHECKING:  # imported where a .j2 file is rendered: it pulls in difflib
    from gitfleet.load.lines import LineMap

PP_KINDS = ("PropagationPolicy", "ClusterPropagationPolicy")
OP_KINDS = ("OverridePolicy", "ClusterOverridePolicy")
KARMADA_CLUSTER_GROUP = "cluster.karmada.io"
KARMADA_POLICY_GROUP = "policy.karmada.io"
CRD_KIND = "CustomResourceDefinition"


def load_fleet(files: Mapping[str, bytes], *, render_all_clusters: bool = False, whole_repo: bool = True) -> Fleet:
    """The validated fleet; raises ``InputError`` carrying every problem (errors and
    warnings, sorted) when there is at least one error, and ``NoFleetRepoError`` when
    ``files`` hold no fleet repo at all (unless ``whole_repo`` is False: ``files`` are
    a part of one, as an incremental render loads them).

    ``.j2`` files are rendered for the first cluster (by name) to fix each document's
    identity, and for a probe cluster to check that it does not depend on ``cluster``;
    with ``render_all_clusters`` they are rendered for every cluster too.
    """
    fleet, problems = _Loader(files, render_all_clusters, whole_repo).run()
    if fleet is None:
        raise InputError(problems)
    return fleet


def validate_and_load(files: Mapping[str, bytes]) -> tuple[Fleet | None, list[Problem]]:
    """``validate_files`` and ``load_fleet`` in one pass (loading 10,000 clusters twice
    cost ``validate`` a third of its time): every problem, and the fleet when there is
    no error (``None`` otherwise)."""
    return _Loader(files, True).run()


def validate_files(files: Mapping[str, bytes], *, render_all_clusters: bool = True) -> list[Problem]:
    """Every problem of the repo, errors and warnings, sorted; never raises for bad input,
    only ``NoFleetRepoError`` when ``files`` hold no fleet repo at all."""
    return _Loader(files, render_all_clusters).run()[1]


def _without_nulls_but_values(doc: dict[str, Any]) -> dict[str, Any]:
    """fleet.yaml without null fields, except in ``spec.values``: a null there is a
    value the templates may read."""
    pruned: dict[str, Any] = without_nulls(doc)
    spec, pruned_spec = doc.get("spec"), pruned.get("spec")
    if pruned is not doc and isinstance(spec, dict) and isinstance(pruned_spec, dict) and "values" in spec:
        if spec["values"] is None:
            return pruned  # unset, like any other null field
        pruned = {**pruned, "spec": {**pruned_spec, "values": spec["values"]}}
    return pruned


def _copy(value: Any) -> Any:
    """Deep copy of JSON-like data (several times faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _report_errors(report: Reporter, where: JsonPath, what: str, value: str, errors: list[str]) -> bool:
    """Report each of ``errors`` about ``value`` at ``where``; whether there was one."""
    for err in errors:
        report.error(where, f"invalid {what} {names.shown(value)}: {err}")
    return bool(errors)


def _valid_type(api_version: str, kind: str, report: Reporter) -> bool:
    """apiVersion and kind as the API server reads them; a document whose type is not
    one it could serve goes no further (its key would be nonsense, or a path)."""
    bad = _report_errors(report, ("apiVersion",), "apiVersion", api_version, names.api_version_errors(api_version))
    bad |= _report_errors(report, ("kind",), "kind", kind, names.kind_errors(kind))
    return not bad


def _check_meta(data: Mapping[str, Any], report: Reporter, key: str, rule: names.NameRule) -> None:
    """``metadata.<key>`` of a Karmada object, when it is a string (the schema reports
    every other shape)."""
    meta = data.get("metadata")
    value = meta.get(key) if isinstance(meta, dict) else None
    if isinstance(value, str):
        _report_errors(report, ("metadata", key), key, value, rule(value))


class _MappedLocator(Locator):
    """A locator into rendered text whose lines are mapped back to the ``.j2`` file."""

    __slots__ = ("_inner", "_lines")

    def __init__(self, inner: Locator, lines: LineMap) -> None:
        super().__init__(None)
        self._inner, self._lines = inner, lines

    @property
    def start(self) -> tuple[int, int]:
        line, col = self._inner.start
        return self._lines.source_line(line), col

    def locate(self, path: Any) -> tuple[int, int]:
        line, col = self._inner.locate(path)
        return self._lines.source_line(line), col


@dataclass
class _PendingTemplate:
    data: dict[str, Any]
    report: Reporter
    pos: SourcePos
    jinja_source: str | None = None
    doc_index: int = 0
    sops: SopsSource | None = None


@dataclass
class _PolicyDoc:
    data: dict[str, Any]
    kind: str
    report: Reporter


@dataclass
class _Loader:
    files: Mapping[str, bytes]
    render_all_clusters: bool
    whole_repo: bool = True
    reports: list[Reporter] = field(default_factory=list)
    settings: FleetSettings = field(default_factory=FleetSettings)
    clusters: list[Cluster] = field(default_factory=list)
    propagation: list[PropagationPolicy] = field(default_factory=list)
    overrides: list[OverridePolicy] = field(default_factory=list)
    rebalancers: dict[str, Rebalancer] = field(default_factory=dict)
    pending: list[_PendingTemplate] = field(default_factory=list)
    policy_docs: list[_PolicyDoc] = field(default_factory=list)
    jinja_paths: list[str] = field(default_factory=list)
    unsupported_seen: dict[str, set[str]] = field(default_factory=dict)
    fleet_documents: int = 0  # Karmada and gitfleet documents, misspelled ones too
    fleet_file_ok: bool = True  # fleet.yaml is absent or valid: its values can be trusted

    def run(self) -> tuple[Fleet | None, list[Problem]]:
        with paused_gc():  # a long-lived graph is built: see gitfleet.gcpause
            return self._run()

    def _run(self) -> tuple[Fleet | None, list[Problem]]:
        self._read_settings()
        for path in links.reported_links(self.files, self.settings.exclude):
            self._reporter(path).warning((), links.SKIPPED)
        chosen = [p for p in select_files(self.files, self.settings.exclude) if not links.is_link(self.files[p])]
        for path in chosen:
            if is_jinja(path):
                self.jinja_paths.append(path)
                continue
            parsed = self._parse(path, self.files[path])
            sops, parsed = read_sops_file(path, self.files[path], parsed, self._reporter(path))
            for doc in expand_lists(parsed):
                self._classify(doc.data, Reporter(path, doc.locator), sops=sops)
        if self.whole_repo and FLEET_FILE not in self.files:
            # A fleet.yaml further down says where the fleet repo is: this is a folder above it.
            nested = [p.removesuffix(FLEET_FILE).rstrip("/") for p in chosen if p.endswith("/" + FLEET_FILE)]
            if nested or not self.fleet_documents:
                unreadable = sorted(p for r in self.reports for p in r.problems
                                    if r.locator is None and p.severity == "error")
                raise NoFleetRepoError(len(chosen), unreadable, nested=nested)
        self.clusters.sort(key=lambda c: c.name)
        self._check_duplicate_clusters()
        if self.fleet_file_ok:
            # Without fleet.yaml's values every template that uses them would add an
            # "undefined" error to the one that matters.
            for path in self.jinja_paths:
                self._render_jinja(path)
        crd_scopes = self._crd_scopes()
        templates = self._resolve_templates(crd_scopes)
        self._check_policies_against_inventory()
        self._check_duplicate_policies()
        problems = sorted(p for r in self.reports for p in r.problems)
        if any(p.severity == "error" for p in problems):
            return None, problems
        fleet = Fleet(
            settings=self.settings,
            clusters=tuple(self.clusters),
            propagation_policies=tuple(sorted(self.propagation, key=lambda p: p.ref)),
            override_policies=tuple(sorted(self.overrides, key=lambda p: p.ref)),
            templates=tuple(sorted(templates, key=lambda t: t.key)),
            crd_scopes=crd_scopes,
            warnings=tuple(str(p) for p in problems),
            rebalancers=tuple(self.rebalancers[n] for n in sorted(self.rebalancers)),
        )
        return fleet, problems

    # -- reading -----------------------------------------------------------

    def _reporter(self, path: str, locator: Locator | None = None) -> Reporter:
        report = Reporter(path, locator)
        self.reports.append(report)
        return report

    def _parse(self, path: str, content: bytes | str) -> tuple[ParsedDocument, ...]:
        try:
            return parse_documents(content, path)
        except PositionedError as exc:
            self._reporter(path).problems.append(exc.problem())
            if path == FLEET_FILE:
                self.fleet_file_ok = False
            return ()

    def _read_settings(self) -> None:
        if FLEET_FILE not in self.files or links.is_link(self.files[FLEET_FILE]):
            return
        docs = self._parse(FLEET_FILE, self.files[FLEET_FILE])
        if not docs:
            return
        doc = docs[0]
        report = self._reporter(FLEET_FILE, doc.locator)
        if len(docs) > 1:
            report.error((), f"{FLEET_FILE} must hold one document, found {len(docs)}")
        if not isinstance(doc.data, dict):
            report.error((), "fleet.yaml must be a mapping (apiVersion: gitfleet.io/v1alpha1, kind: Fleet)")
            self.fleet_file_ok = False
            return
        data = _without_nulls_but_values(doc.data)
        schema.validate(data, schema.FLEET_SCHEMA, report)
        checks.check_fleet(data, report)
        line, col = doc.locator.start
        if not report.has_errors:
            self.settings = build.fleet_settings(data, SourcePos(FLEET_FILE, line, col))
            return
        self.fleet_file_ok = False
        # Still honour a well-formed exclude list, so excluded files add no noise.
        exclude = (data.get("spec") or {}).get("exclude") if isinstance(data.get("spec"), dict) else None
        if isinstance(exclude, list) and all(isinstance(e, str) for e in exclude):
            self.settings = FleetSettings(exclude=tuple(exclude))

    # -- classification ----------------------------------------------------

    def _classify(self, data: Any, report: Reporter, jinja: tuple[str, int] | None = None,
                  sops: SopsSource | None = None) -> None:
        self.reports.append(report)
        if not isinstance(data, dict):
            report.error((), "document is not a mapping: every document must be a Kubernetes object "
                         "with apiVersion and kind")
            return
        api_version, kind = data.get("apiVersion"), data.get("kind")
        if not isinstance(api_version, str) or not api_version or not isinstance(kind, str) or not kind:
            missing = [k for k in ("apiVersion", "kind") if not isinstance(data.get(k), str) or not data.get(k)]
            report.error((), f"{' and '.join(missing)} missing: every document must be a Kubernetes object "
                         "with apiVersion and kind")
            return
        if jinja is not None and is_sops_document(data):
            report.error((METADATA_KEY,), "a .j2 file cannot be SOPS-encrypted: sops's MAC covers the text as "
                         "encrypted, which Jinja2 would change")
            return
        if sops is not None:
            check_encrypted(data, report)
            if report.has_errors:
                return
        if not _valid_type(api_version, kind, report):
            return
        group = group_of(api_version)
        karmada_kind = (group == KARMADA_CLUSTER_GROUP and kind == "Cluster") or (
            group == KARMADA_POLICY_GROUP and kind in PP_KINDS + OP_KINDS)
        typo = None if karmada_kind else misspelling(group, kind)
        if karmada_kind or typo is not None or is_karmada_group(group) or group == GITFLEET_GROUP:
            self.fleet_documents += 1
            if sops is not None:
                report.error(("kind",), f"{kind} in a SOPS-encrypted file: only resource templates may be "
                             "encrypted; write inventory, policies and fleet settings in clear")
                return
        if karmada_kind and jinja is not None:
            report.error(("kind",), f"{kind} in a .j2 file: only resource templates may be Jinja2 "
                         "templates; write inventory and policies as plain YAML")
        elif karmada_kind:
            self._karmada_object(without_nulls(data), kind, report)
        elif typo is not None:
            # Taken for a template or ignored, the policy or cluster meant would vanish.
            report.error(*typo)
        elif group == rebalancer.GROUP and kind == rebalancer.KIND:
            self._rebalancer(data, report)
        elif is_karmada_group(group):
            report.warning((), f"{api_version} {kind} configures a Karmada control plane, which "
                           "gitfleet does not implement; the document is ignored")
        elif group == GITFLEET_GROUP:
            report.error(("kind",), f"{kind} belongs in {FLEET_FILE} at the root of the repository")
        else:
            check_secret(data, report, encrypted=sops is not None)
            line, col = report.position()
            source, index = jinja if jinja is not None else (None, 0)
            self.pending.append(_PendingTemplate(data, report, SourcePos(report.path, line, col), source, index,
                                                 sops))

    def _karmada_object(self, data: dict[str, Any], kind: str, report: Reporter) -> None:
        schema_name = schema.KIND_SCHEMAS.get((data["apiVersion"], kind))
        if schema_name is None:
            expected = next(a for a, k in schema.KIND_SCHEMAS if k == kind)
            report.error(("apiVersion",), f"unsupported apiVersion {data['apiVersion']!r} for {kind}; "
                         f"use {expected}")
            return
        schema.validate(data, schema_name, report)
        seen = self.unsupported_seen.setdefault(report.path, set())
        ignored = report_unsupported(data, kind, report, seen)
        line, col = report.position()
        pos = SourcePos(report.path, line, col)
        if kind == "Cluster":
            checks.check_cluster(data, report)
            if not report.has_errors:
                self.clusters.append(build.cluster(data, pos, _copy(data)))
            return
        group = group_of(data["apiVersion"])
        _check_meta(data, report, "name", lambda name: names.name_errors(group, kind, name))
        if kind in ("PropagationPolicy", "OverridePolicy"):
            _check_meta(data, report, "namespace", names.namespace_errors)
        policy_ns = build.policy_namespace(data)
        self.policy_docs.append(_PolicyDoc(data, kind, report))
        if kind in PP_KINDS:
            checks.check_propagation_policy(data, policy_ns, report)
            if not report.has_errors:
                self.propagation.append(build.propagation_policy(data, pos, ignored, self.settings.failover))
        else:
            checks.check_override_policy(data, policy_ns, report)
            if not report.has_errors:
                self.overrides.append(build.override_policy(data, pos))

    def _rebalancer(self, data: dict[str, Any], report: Reporter) -> None:
        line, col = report.position()
        found = rebalancer.read_rebalancer(data, report, SourcePos(report.path, line, col))
        if found is None:
            return
        if found.name in self.rebalancers:
            first = self.rebalancers[found.name].pos
            report.error(("metadata", "name"), f"WorkloadRebalancer {found.name!r} is also defined at "
                         f"{first.path}:{first.line}:{first.col}")
            return
        self.rebalancers[found.name] = found

    # -- Jinja2 templates --------------------------------------------------

    def _render_jinja(self, path: str) -> None:
        report = self._reporter(path)
        try:
            source = self.files[path].decode("utf-8-sig") if isinstance(self.files[path], bytes) \
                else str(self.files[path])
        except UnicodeDecodeError as exc:
            content = self.files[path]
            line, col = byte_position(content, exc.start)
            report.problems.append(Problem(path, line, col, f"file is not UTF-8: {exc.reason} at byte {exc.start}"))
            return
        if not self.clusters:
            report.warning((), "not rendered: the inventory has no cluster to render it for")
            return
        cluster_names = [c.name for c in self.clusters]
        shared = fleet_context(self.settings.name, cluster_names)  # one for all: linear in clusters
        contexts = [template_context(self.settings.values, "", (), c, fleet=shared) for c in self.clusters]
        try:
            rendered = render_text(source, path, contexts[0])
        except TemplateError as exc:
            report.problems.append(exc.problem())
            return
        from gitfleet.load.lines import LineMap

        lines = LineMap(source, rendered)
        try:
            docs = expand_lists(parse_documents(rendered, path))
        except PositionedError as exc:
            report.problems.append(Problem(path, lines.source_line(exc.line), lines.source_col(exc.line, exc.col),
                                           f"rendered template: {exc.message}"))
            return
        for doc in docs:
            self._classify(doc.data, Reporter(path, _MappedLocator(doc.locator, lines)), (source, doc.index))
        if report.has_errors:
            return
        others: list[tuple[str | None, dict[str, Any]]] = []
        if self.render_all_clusters:
            others += [(c.name, ctx) for c, ctx in zip(self.clusters[1:], contexts[1:])]
        probe = probe_cluster(self.clusters[0])
        others.append((None, template_context(self.settings.values, "", (), probe, fleet=shared)))
        self._check_other_clusters(path, source, docs, others, lines, report)

    def _check_other_clusters(self, path: str, source: str, docs: tuple[ParsedDocument, ...],
                              contexts: list[tuple[str | None, dict[str, Any]]], lines: LineMap,
                              report: Reporter) -> None:
        """Report the first render among ``contexts`` (a cluster's name, or None for the
        probe, and its template context) whose identity differs from ``docs``."""
        for cluster, context in contexts:
            where = f"cluster {cluster!r}" if cluster else "another cluster"
            try:
                others = render_documents(source, path, context)
            except TemplateError as exc:
                if cluster is None:
                    # The template cannot render for made-up values (a lookup by cluster
                    # name, say): the probe cannot tell, the real clusters still do.
                    continue
                report.problems.append(exc.problem())
                return
            try:
                if len(others) != len(docs):
                    raise TemplateError(path, 1, 1, f"the number of documents depends on `cluster` "
                                        f"({len(docs)} for the first cluster, {len(others)} for "
                                        f"{where}); placement must not")
                for first, other in zip(docs, others):
                    line, col = first.locator.start
                    check_identity(first.data, other, path, line=lines.source_line(line), col=col,
                                   cluster=cluster)
            except TemplateError as exc:
                report.problems.append(exc.problem())
                return

    # -- templates ---------------------------------------------------------

    def _crd_scopes(self) -> dict[tuple[str, str], bool]:
        scopes: dict[tuple[str, str], bool] = {}
        for item in self.pending:
            data = item.data
            if data.get("kind") != CRD_KIND or group_of(data["apiVersion"]) != "apiextensions.k8s.io":
                continue
            spec = data.get("spec")
            if not isinstance(spec, dict):
                continue
            names = spec.get("names")
            group, kind, scope = spec.get("group"), (names or {}).get("kind") if isinstance(names, dict) else None, \
                spec.get("scope")
            if isinstance(group, str) and isinstance(kind, str) and scope in ("Namespaced", "Cluster"):
                scopes[(group, kind)] = scope == "Namespaced"
        return scopes

    def _resolve_templates(self, crd_scopes: Mapping[tuple[str, str], bool]) -> list[Template]:
        out: list[Template] = []
        seen: dict[str, SourcePos] = {}
        for item in self.pending:
            template = self._resolve(item, crd_scopes)
            if template is None:
                continue
            if template.key in seen:
                item.report.error(("metadata", "name"), f"duplicate resource {template.key}: also defined at "
                                  f"{seen[template.key]}")
                continue
            seen[template.key] = template.pos
            out.append(template)
        return out

    def _resolve(self, item: _PendingTemplate, crd_scopes: Mapping[tuple[str, str], bool]) -> Template | None:
        data, report = item.data, item.report
        api_version, kind = data["apiVersion"], data["kind"]
        meta = data.get("metadata")
        if not isinstance(meta, dict):
            report.error(("metadata",) if "metadata" in data else (), "metadata.name is required")
            return None
        name, namespace = meta.get("name"), meta.get("namespace")
        if not isinstance(name, str) or not name:
            hint = " (generateName is not supported: gitfleet must know each object's name)" \
                if "generateName" in meta else ""
            report.error(("metadata", "name") if "name" in meta else ("metadata",),
                         f"metadata.name is required and must be a non-empty string{hint}")
            return None
        if namespace is not None and not isinstance(namespace, str):
            report.error(("metadata", "namespace"), "must be a string")
            return None
        namespaced = is_namespaced(api_version, kind, crd_scopes)
        if namespaced is None:
            if not namespace:
                report.error(("kind",), f"unknown kind {api_version} {kind} without metadata.namespace: "
                             "gitfleet cannot tell whether it is namespaced; add its CustomResourceDefinition "
                             "to the repo or set metadata.namespace")
                return None
            namespaced = True
        bad = _report_errors(report, ("metadata", "name"), f"name for a {kind}", name,
                             names.name_errors(group_of(api_version), kind, name))
        if namespaced and namespace is not None:
            bad |= _report_errors(report, ("metadata", "namespace"), "namespace", namespace,
                                  names.namespace_errors(namespace))
        if bad:
            return None
        check_counts(data, report)
        if report.has_errors:
            return None
        ns = (namespace or build.DEFAULT_NAMESPACE) if namespaced else None
        obj = with_namespace(_copy(data), ns)
        return Template(
            id=ResourceId(api_version, kind, ns, name),
            obj=obj,
            pos=item.pos,
            jinja_source=item.jinja_source,
            doc_index=item.doc_index,
            sops=item.sops,
        )

    # -- cross-document checks ---------------------------------------------

    def _check_duplicate_clusters(self) -> None:
        by_name: dict[str, Cluster] = {}
        for cluster in self.clusters:
            first = by_name.get(cluster.name)
            if first is None:
                by_name[cluster.name] = cluster
                continue
            report = self._reporter(cluster.pos.path)
            report.problems.append(Problem(cluster.pos.path, cluster.pos.line, cluster.pos.col,
                                           f"duplicate cluster name {cluster.name!r}: also defined at {first.pos}"))

    def _check_duplicate_policies(self) -> None:
        seen: dict[str, SourcePos] = {}
        policies: list[PropagationPolicy | OverridePolicy] = [*self.propagation, *self.overrides]
        for policy in policies:
            if policy.ref in seen:
                pos = policy.pos
                self._reporter(pos.path).problems.append(Problem(
                    pos.path, pos.line, pos.col, f"duplicate policy {policy.ref}: also defined at {seen[policy.ref]}"))
                continue
            seen[policy.ref] = policy.pos

    def _check_policies_against_inventory(self) -> None:
        known = {c.name for c in self.clusters}
        if not known:
            return  # policies validated on their own: every name would be reported
        for doc in self.policy_docs:
            for where, name in checks.cluster_name_refs(doc.data, doc.kind):
                if name not in known:
                    doc.report.warning(where, f"cluster {name!r} is not in the inventory")
