"""Where the age key comes from, as sops looks for it (``age/keysource.go``): the
identities in ``SOPS_AGE_KEY`` (the key text itself), in the file ``SOPS_AGE_KEY_FILE``
names, and in sops's default file ``$XDG_CONFIG_HOME/sops/age/keys.txt``
(``~/.config/sops/age/keys.txt``); all that are found count. An explicit key file
(``--age-key-file``) replaces them all. A key file holds ``AGE-SECRET-KEY-1...`` lines;
blank lines and ``#`` comments are skipped. The only I/O of :mod:`gitfleet.sops`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyrage

from gitfleet.sops.format import SopsError

KEY_ENV = "SOPS_AGE_KEY"
KEY_FILE_ENV = "SOPS_AGE_KEY_FILE"
DEFAULT_KEY_FILE = "sops/age/keys.txt"
MAX_KEY_FILE = 1 << 20


def parse_identities(text: str, where: str) -> list[Any]:
    """The identities of a key file's text; ``where`` names it in an error (never the key)."""
    out: list[Any] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for word in line.split():
            try:
                out.append(pyrage.x25519.Identity.from_str(word))
            except pyrage.IdentityError:
                raise SopsError(f"{where}: line {number} is not an age secret key (AGE-SECRET-KEY-1...)") from None
    return out


def _read(path: Path, where: str) -> list[Any]:
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise SopsError(f"{where}: larger than 1 MiB; not an age key file")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SopsError(f"{where}: cannot read the age key file ({type(exc).__name__})") from None
    return parse_identities(text, where)


def default_key_file(env: Mapping[str, str]) -> Path:
    config = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(config) / DEFAULT_KEY_FILE


def load_identities(key_file: str | None = None, env: Mapping[str, str] | None = None) -> list[Any]:
    """Every age identity available (possibly none: offline commands need none)."""
    env = os.environ if env is None else env
    if key_file is not None:
        return _read(Path(key_file), key_file)
    out: list[Any] = []
    if env.get(KEY_ENV):
        out += parse_identities(env[KEY_ENV], KEY_ENV)
    if env.get(KEY_FILE_ENV):
        out += _read(Path(env[KEY_FILE_ENV]), f"{KEY_FILE_ENV} ({env[KEY_FILE_ENV]})")
    default = default_key_file(env)
    if default.is_file():
        out += _read(default, str(default))
    return out
