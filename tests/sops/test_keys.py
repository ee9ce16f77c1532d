"""The age key is found as sops finds it: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, sops's default
file; an explicit file replaces them; a bad line is named, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitfleet.sops.format import SopsError
from gitfleet.sops.keys import load_identities
from tests.sops.sopsdata import AGE_IDENTITY, AGE_RECIPIENT, OTHER_IDENTITY


def _publics(ids: list[object]) -> list[str]:
    return [str(i.to_public()) for i in ids]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("where", "count"), [("env", 1), ("file", 1), ("default", 1), ("all", 3), ("none", 0)])
def test_identity_sources(tmp_path: Path, where: str, count: int) -> None:
    key_file = tmp_path / "k.txt"
    key_file.write_text(f"# created: today\n\n{AGE_IDENTITY}\n")
    default = tmp_path / "cfg" / "sops" / "age" / "keys.txt"
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path)}
    if where in ("env", "all"):
        env["SOPS_AGE_KEY"] = AGE_IDENTITY
    if where in ("file", "all"):
        env["SOPS_AGE_KEY_FILE"] = str(key_file)
    if where in ("default", "all"):
        default.parent.mkdir(parents=True)
        default.write_text(AGE_IDENTITY + "\n")
    ids = load_identities(env=env)
    assert len(ids) == count and set(_publics(ids)) <= {AGE_RECIPIENT}


def test_explicit_file_replaces_the_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "k.txt"
    key_file.write_text(OTHER_IDENTITY + "\n")
    ids = load_identities(str(key_file), env={"SOPS_AGE_KEY": AGE_IDENTITY})
    assert AGE_RECIPIENT not in _publics(ids) and len(ids) == 1


@pytest.mark.parametrize("text", ["AGE-SECRET-KEY-1NOPE-hunter2\n", "hunter2\n"])
def test_a_bad_key_line_is_named_not_shown(tmp_path: Path, text: str) -> None:
    key_file = tmp_path / "k.txt"
    key_file.write_text(text)
    with pytest.raises(SopsError, match="line 1 is not an age secret key") as caught:
        load_identities(str(key_file))
    assert "hunter2" not in caught.value.message


def test_a_missing_key_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SopsError, match="cannot read"):
        load_identities(env={"SOPS_AGE_KEY_FILE": str(tmp_path / "nope"), "HOME": str(tmp_path)})
