"""The command line: kubectl-like verbs over the core and the adapters."""
