"""Making member clusters match the plan: server-side apply in a safe order, pruning
what gitfleet no longer wants (and only what it owns), drift detection and
correction, readiness, and the per-cluster results recorded on the status branch.
Pure planning parts (order, digests, drift comparison, reports) sit beside the engine
that talks to clusters through :mod:`gitfleet.kube`."""
