"""The data model shared by every stage: immutable dataclasses, no I/O.

Everything the pipeline passes between stages is defined here, so a stage can be
read (and tested) knowing only this package.
"""

from gitfleet.model.cluster import Cluster, ResourceSummary, Taint
from gitfleet.model.keys import ResourceId
from gitfleet.model.plan import (
    AppliedOverride,
    ClusterTarget,
    Explanation,
    FilterVerdict,
    Plan,
    PolicyCandidate,
    ResourcePlacement,
    ScheduleResult,
)
from gitfleet.model.policy import (
    ClusterAffinity,
    ClusterAffinityTerm,
    CommandArgsOverrider,
    FieldOverrider,
    FieldSelectorRequirement,
    ImageOverrider,
    LabelSelector,
    LabelSelectorRequirement,
    MetadataOverrider,
    OverridePolicy,
    Overriders,
    OverrideRule,
    PatchOp,
    Placement,
    PropagationPolicy,
    ReplicaScheduling,
    ResourceSelector,
    SpreadConstraint,
    StaticWeight,
    Toleration,
)
from gitfleet.model.resource import ApplySettings, Fleet, FleetSettings, Template
from gitfleet.model.source import SourcePos

__all__ = [
    "AppliedOverride",
    "ApplySettings",
    "Cluster",
    "ClusterAffinity",
    "ClusterAffinityTerm",
    "ClusterTarget",
    "CommandArgsOverrider",
    "Explanation",
    "FieldOverrider",
    "FieldSelectorRequirement",
    "FilterVerdict",
    "Fleet",
    "FleetSettings",
    "ImageOverrider",
    "LabelSelector",
    "LabelSelectorRequirement",
    "MetadataOverrider",
    "OverridePolicy",
    "OverrideRule",
    "Overriders",
    "PatchOp",
    "Placement",
    "Plan",
    "PolicyCandidate",
    "PropagationPolicy",
    "ReplicaScheduling",
    "ResourceId",
    "ResourcePlacement",
    "ResourceSelector",
    "ResourceSummary",
    "ScheduleResult",
    "SourcePos",
    "SpreadConstraint",
    "StaticWeight",
    "Taint",
    "Template",
    "Toleration",
]
