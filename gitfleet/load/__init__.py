"""Reading and validating the fleet repo: YAML with positions, file discovery, JSON
Schema and Karmada's admission rules, rendering ``.j2`` files once, and building the
model with Karmada's defaults applied.

The names below are loaded on first use (PEP 562): modules that only need
:mod:`gitfleet.load.yamlio` (the status branch reader, ``gitfleet status``) do not pay
for the loader and its schema checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.load.loader import load_fleet, validate_files
    from gitfleet.load.yamlio import ParsedDocument, dump_all, dump_yaml, load_plain, parse_documents

__all__ = ["ParsedDocument", "dump_all", "dump_yaml", "load_fleet", "load_plain", "parse_documents",
           "validate_files"]
_HOMES = {"load_fleet": "loader", "validate_files": "loader", "ParsedDocument": "yamlio", "dump_all": "yamlio",
          "dump_yaml": "yamlio", "load_plain": "yamlio", "parse_documents": "yamlio"}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
