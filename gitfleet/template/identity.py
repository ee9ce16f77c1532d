"""Rendering one resource template for one target cluster, as the plan needs it.

The loader rendered each ``.j2`` file once, for the first cluster, which fixed the
identity of its documents; here the same document is rendered for another cluster
and checked to have the same identity (``gitfleet.load.identity``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gitfleet.errors import TemplateError
from gitfleet.load.identity import check_identity, with_namespace
from gitfleet.load.jinja import fleet_context, render_documents, template_context
from gitfleet.model.cluster import Cluster
from gitfleet.model.resource import Fleet, Template

__all__ = ["check_identity", "render_for_cluster", "with_namespace"]

# The plan renders every template for every cluster of one fleet in turn: its
# ``fleet`` context is built once (see ``fleet_context``), keyed by the fleet's own
# cluster tuple, which the entry keeps alive so its id cannot be reused.
_last_fleet: tuple[tuple[Cluster, ...], str, Mapping[str, Any]] | None = None


def _fleet_context(fleet: Fleet) -> Mapping[str, Any]:
    global _last_fleet
    last = _last_fleet
    if last is not None and last[0] is fleet.clusters and last[1] == fleet.settings.name:
        return last[2]
    context = fleet_context(fleet.settings.name, (c.name for c in fleet.clusters))
    _last_fleet = (fleet.clusters, fleet.settings.name, context)
    return context


def render_for_cluster(template: Template, cluster: Cluster, fleet: Fleet) -> dict[str, Any]:
    """The manifest of ``template`` for ``cluster``, a fresh object the caller owns:
    rendered again when it comes from a ``.j2`` file (identity checked, namespace set
    like the loader does), otherwise a copy of ``template.obj``. Raises ``TemplateError``.
    """
    if template.jinja_source is None:
        return copy.deepcopy(dict(template.obj))
    context = template_context(fleet.settings.values, fleet.settings.name, (), cluster, fleet=_fleet_context(fleet))
    path = template.pos.path
    docs = render_documents(template.jinja_source, path, context)
    if template.doc_index >= len(docs):
        raise TemplateError(
            path, template.pos.line, template.pos.col,
            f"the number of documents depends on `cluster` ({len(docs)} for cluster {cluster.name!r}, "
            "more for the first cluster); placement must not",
        )
    doc = docs[template.doc_index]
    check_identity(template.obj, doc, path, line=template.pos.line, col=template.pos.col, cluster=cluster.name)
    return with_namespace(doc, template.id.namespace)
