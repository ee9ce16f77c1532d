"""Rendering ``.j2`` resource templates: the public entry points for the plan.

The sandboxed engine itself is ``gitfleet.load.jinja`` (loading a repo renders each
template once, and ``load`` sits below ``template`` in the layer contract); this
module is where the rest of the pipeline imports it from.
"""

from gitfleet.load.jinja import (
    cluster_context,
    fleet_context,
    parse_rendered,
    render_documents,
    render_text,
    template_context,
)

__all__ = ["cluster_context", "fleet_context", "parse_rendered", "render_documents", "render_text", "template_context"]
