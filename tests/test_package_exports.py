"""One export style for every package: a docstring, ``__all__`` naming the package's
public API, and each of those names importable from the package, the same object as in
its module. Packages that resolve names lazily (``gitfleet._exports``) list exactly
``__all__`` in their table of homes."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import gitfleet

ROOT = Path(gitfleet.__file__).resolve().parents[1]
# The lead's application layer and the CLI are being reshaped; they join this list when done.
LATER = {"gitfleet.cli", "gitfleet.service"}
PACKAGES = sorted(
    ["gitfleet"] + [f"gitfleet.{m.name}" for m in pkgutil.iter_modules(gitfleet.__path__) if m.ispkg
                    and f"gitfleet.{m.name}" not in LATER]
)


@pytest.mark.parametrize("name", PACKAGES)
def test_a_package_exports_its_api(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__doc__ and package.__doc__.strip()
    exported = package.__all__
    assert exported and len(set(exported)) == len(exported)
    homes = getattr(package, "_HOMES", None)
    if homes is not None:
        assert set(homes) == set(exported)
    for attr in exported:
        value = getattr(package, attr)
        if homes is not None:
            assert getattr(importlib.import_module(f"{name}.{homes[attr]}"), attr) is value


LAZY = [name for name in PACKAGES if hasattr(importlib.import_module(name), "_HOMES")]


@pytest.mark.parametrize("name", LAZY)
def test_a_lazy_package_imports_none_of_its_modules(name: str) -> None:
    code = (f"import sys, {name}; print(sorted(m for m in sys.modules if m.startswith('{name}.')"
            f" and m != 'gitfleet._exports'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                          timeout=60)
    assert done.stdout.strip() == "[]"
