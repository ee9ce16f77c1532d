"""The application layer: what every entry point does with a fleet repo, written once.

The CLI verbs, ``gitfleet run`` and (later) the Pull-mode agent only parse, call and
format; everything in between is here:

- :mod:`.source`: open REPO and read it at a revision (or its working tree);
- :mod:`.planning`: load and plan it, in full or incrementally from a remembered render;
- :mod:`.memory`: where renders are remembered (on disk for the CLI, in process for ``run``);
- :mod:`.recording`: record renders and apply results on the status branch;
- :mod:`.members`: choose the member clusters and connect to them;
- :mod:`.applying`: apply (or drift-check, or live-diff) and record;
- :mod:`.diffing`: the pull-request diff of two revisions.

Modules are imported where used: this package exports nothing, so ``gitfleet status``
does not pay for the planner and ``gitfleet render`` not for the Kubernetes client.
"""
