"""Karmada's OverridePolicy / ClusterOverridePolicy semantics (KARMADA-SEMANTICS §4):
which policies select a resource, in which order, and what each overrider does to
one cluster's manifest. Pure functions over plain JSON-like data."""

from gitfleet.override.apply import apply_overrides, apply_policies
from gitfleet.override.image import ImageParseError, ImageRef, parse_image
from gitfleet.override.select import matching_policies

__all__ = ["ImageParseError", "ImageRef", "apply_overrides", "apply_policies", "matching_policies", "parse_image"]
