"""Lazy re-exports for package ``__init__`` modules (PEP 562).

Every package of gitfleet names its public API in ``__all__`` and re-exports it. A
package whose modules are costly to import (Git, Kubernetes, the loader and its schema
checks) resolves those names on first use instead, through :func:`export`, so that
``import gitfleet`` and every CLI verb pay only for what they use
(``tests/cli/test_startup.py`` pins this). Type checkers see the same names through
the package's ``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def export(package: str, homes: Mapping[str, str], name: str) -> Any:
    """The value of ``name`` for ``package.__getattr__``: imported from the module
    ``homes[name]`` (relative to ``package``) on first use."""
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{package}.{home}"), name)
