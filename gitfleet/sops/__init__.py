"""SOPS-encrypted files (YAML, age recipients): the format read without a key, the
decryption and MAC check with one, and encryption for ``gitfleet secrets encrypt``.

Pure apart from reading the age key (:mod:`gitfleet.sops.keys`). Offline commands see a
SOPS file's values as their ``ENC[...]`` strings; only the apply step decrypts
(:mod:`gitfleet.sops.apply`). See docs/secrets.md, "SOPS-encrypted Secrets".

The names below are loaded on first use (PEP 562): every command imports the format
(the model refers to it), few need the cryptography."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.sops.apply import Decryptor, decrypt_manifests
    from gitfleet.sops.decrypt import decrypt_text
    from gitfleet.sops.encrypt import encrypt_text
    from gitfleet.sops.format import SopsError, SopsMetadata, SopsSource
    from gitfleet.sops.keys import load_identities

__all__ = ["Decryptor", "SopsError", "SopsMetadata", "SopsSource", "decrypt_manifests", "decrypt_text",
           "encrypt_text", "load_identities"]
_HOMES = {"Decryptor": "apply", "decrypt_manifests": "apply", "decrypt_text": "decrypt", "encrypt_text": "encrypt",
          "SopsError": "format", "SopsMetadata": "format", "SopsSource": "format", "load_identities": "keys"}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
