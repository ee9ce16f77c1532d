"""gitfleet: a GitOps reconciler for fleets of Kubernetes clusters.

The package is a pipeline. The pure core (no I/O) reads top to bottom:

    load -> template -> schedule -> override -> plan -> diff / status

and the imperative shell wraps it: ``git`` (pygit2), ``kube`` (the Kubernetes
client), ``apply``, ``reconcile`` (the background loop) and ``cli``.
"""

__version__ = "0.1.0"
