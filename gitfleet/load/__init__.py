"""Reading and validating the fleet repo: YAML with positions, file discovery, JSON
Schema and Karmada's admission rules, rendering ``.j2`` files once, and building the
model with Karmada's defaults applied."""

from gitfleet.load.loader import load_fleet, validate_files
from gitfleet.load.yamlio import ParsedDocument, dump_all, dump_yaml, load_plain, parse_documents

__all__ = ["ParsedDocument", "dump_all", "dump_yaml", "load_fleet", "load_plain", "parse_documents",
           "validate_files"]
