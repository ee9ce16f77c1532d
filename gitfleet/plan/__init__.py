"""The planner: from a loaded fleet to placements and per-cluster manifests."""
