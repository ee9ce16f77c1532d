"""Karmada's commandOverrider and argsOverrider (``commandargsoverride.go``).

They only know the containers of Pods and pod-template workloads (the same kinds as
the imageOverrider) and match containers by name. A missing ``command``/``args`` is
created, even by ``remove`` (as ``[]``), which is easy to get wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitfleet.model.policy import CommandArgsOverrider
from gitfleet.override._doc import Cow, OverriderFailure, format_pointer
from gitfleet.override.image import CONTAINER_PATHS


def go_string(value: Any) -> str:
    """What Go's ``fmt.Sprintf("%s", v)`` prints for a JSON value Karmada read from
    the list (it does so for every element, strings or not)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return f"%!s(bool={'true' if value else 'false'})"
    if isinstance(value, int):
        return f"%!s(int64={value})"
    if isinstance(value, float):
        return f"%!s(float64={value!r})"
    return f"%!s({type(value).__name__}={value!r})"


def new_values(current: list[str], overrider: CommandArgsOverrider) -> list[str]:
    """add appends the values; remove drops every occurrence of each value; another
    operator leaves the list as it is (Karmada ignores it)."""
    if overrider.operator == "add":
        return [*current, *overrider.value]
    if overrider.operator == "remove":
        dropped = set(overrider.value)
        return [item for item in current if item not in dropped]
    return list(current)


def _containers(doc: Mapping[str, Any]) -> tuple[tuple[str, ...], list[Any]] | None:
    path = CONTAINER_PATHS.get(str(doc.get("kind", "")))
    if path is None:
        return None
    node: Any = doc
    for depth, key in enumerate(path):
        if node is None:
            return None
        if not isinstance(node, Mapping):
            raise OverriderFailure(f"{format_pointer(path[:depth])} is not an object")
        node = node.get(key)
    if node is None:
        return None
    if not isinstance(node, list):
        raise OverriderFailure(f"{format_pointer(path)} is not a list of containers")
    return path, node


def apply_command_args_overriders(
    doc: Mapping[str, Any], field: str, overriders: tuple[CommandArgsOverrider, ...]
) -> Mapping[str, Any]:
    """Apply commandOverrider (``field="command"``) or argsOverrider (``field="args"``)
    entries in order; returns a new document, or ``doc`` when nothing changed."""
    cow = Cow(doc)
    for number, overrider in enumerate(overriders):
        found = _containers(cow.root)
        if found is None:
            continue
        path, containers = found
        for index, container in enumerate(containers):
            if not isinstance(container, Mapping):
                raise OverriderFailure(f"entry {number}: {format_pointer((*path, index))} is not a container object")
            if container.get("name") != overrider.container_name:
                continue
            current = container.get(field)
            if current is None:
                values = new_values([], overrider)
            elif isinstance(current, list):
                values = new_values([go_string(item) for item in current], overrider)
            else:
                raise OverriderFailure(
                    f"entry {number}: {field} of container {overrider.container_name!r}"
                    f" ({format_pointer((*path, index, field))}) is not a list"
                )
            if values != current:
                cow.set((*path, index, field), cow.adopt(values))
    result: Mapping[str, Any] = cow.root
    return result


def apply_command_overriders(
    doc: Mapping[str, Any], overriders: tuple[CommandArgsOverrider, ...]
) -> Mapping[str, Any]:
    return apply_command_args_overriders(doc, "command", overriders)


def apply_args_overriders(doc: Mapping[str, Any], overriders: tuple[CommandArgsOverrider, ...]) -> Mapping[str, Any]:
    return apply_command_args_overriders(doc, "args", overriders)
