"""Resource templates and the loaded fleet as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitfleet.model.cluster import Cluster
from gitfleet.model.failover import FailoverSettings
from gitfleet.model.keys import ResourceId
from gitfleet.model.policy import OverridePolicy, PropagationPolicy
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.source import UNKNOWN, SourcePos
from gitfleet.sops.format import SopsSource


@dataclass(frozen=True)
class Template:
    """One resource template document.

    ``obj`` is the manifest as loaded (for a Jinja2 file: as rendered for the first
    cluster of the inventory, which fixes its identity). ``namespace`` has been
    defaulted to ``default`` for namespaced kinds. For a ``.j2`` file, ``jinja_source``
    holds the file's text and ``doc_index`` which of its documents this is, so the
    template can be rendered again per target cluster. ``sops`` is set when the file is
    SOPS-encrypted: ``obj`` then holds the encrypted values as their ``ENC[...]`` strings,
    decrypted only where the template is applied (:mod:`gitfleet.sops.apply`).
    """

    id: ResourceId
    obj: Mapping[str, Any]
    pos: SourcePos = UNKNOWN
    jinja_source: str | None = None
    doc_index: int = 0
    sops: SopsSource | None = None

    @property
    def key(self) -> str:
        return self.id.key


@dataclass(frozen=True)
class ApplySettings:
    prune: bool = True
    drift: str = "correct"  # correct | report
    max_prune_fraction: float = 0.3
    # (kind or "apiVersion/Kind", JSON pointer) pairs whose drift is ignored.
    ignore: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FleetSettings:
    """``fleet.yaml``; every field has the documented default when the file is absent."""

    name: str = "fleet"
    status_branch: str = "gitfleet/status"
    exclude: tuple[str, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    apply: ApplySettings = field(default_factory=ApplySettings)
    failover: FailoverSettings = field(default_factory=FailoverSettings)
    pos: SourcePos = UNKNOWN

    @property
    def no_execute_eviction(self) -> bool:
        """``spec.failover.noExecuteEviction``: NoExecute taints evict (KARMADA-RESCHEDULING §5)."""
        return self.failover.no_execute_eviction


@dataclass(frozen=True)
class Fleet:
    """Everything read from one fleet repo at one revision, validated."""

    settings: FleetSettings
    clusters: tuple[Cluster, ...]
    propagation_policies: tuple[PropagationPolicy, ...]
    override_policies: tuple[OverridePolicy, ...]
    templates: tuple[Template, ...]
    # Kinds made known by CustomResourceDefinitions in the repo:
    # (group, kind) -> namespaced?
    crd_scopes: Mapping[tuple[str, str], bool] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # WorkloadRebalancers in the repo (KARMADA-RESCHEDULING §7), by name.
    rebalancers: tuple[Rebalancer, ...] = ()
