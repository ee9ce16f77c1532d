"""Jinja2 resource templates for the plan: sandboxed rendering per target cluster,
and the rule that what decides placement must not depend on the cluster."""

from gitfleet.template.identity import check_identity, render_for_cluster, with_namespace
from gitfleet.template.render import (
    cluster_context,
    fleet_context,
    parse_rendered,
    render_documents,
    render_text,
    template_context,
)

__all__ = [
    "check_identity", "cluster_context", "fleet_context", "parse_rendered", "render_documents", "render_for_cluster",
    "render_text", "template_context", "with_namespace",
]
