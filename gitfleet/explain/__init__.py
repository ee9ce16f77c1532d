"""Words for a plan: why a resource did or did not land on each cluster."""

from gitfleet.explain.render import explanation_data, explanation_text

__all__ = ["explanation_data", "explanation_text"]
