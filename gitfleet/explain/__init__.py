"""Words for a plan: why a resource did or did not land on each cluster."""
