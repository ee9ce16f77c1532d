"""Decryption where a plan is applied, and nowhere else.

The plan, the status branch, ``render``, ``diff`` and ``explain`` carry a SOPS file's
values as their ``ENC[...]`` strings. Just before a cluster's manifests are applied,
:func:`decrypt_manifests` decrypts each SOPS file they come from, once (MAC checked),
and replaces every ``ENC[...]`` string of those manifests by its clear value, matched by
the exact string: an override cannot make one, and one that was never in the file is
not replaced (the cluster is refused instead, so no ciphertext is applied as a value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gitfleet.sops.decrypt import Decrypted, decrypt_text
from gitfleet.sops.format import SopsError, SopsSource, looks_encrypted


def _replace(value: Any, clear: Mapping[str, Any], missing: list[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: _replace(v, clear, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, clear, missing) for v in value]
    if looks_encrypted(value):
        if value in clear:
            found = clear[value]
            return found.decode("utf-8", "surrogateescape") if isinstance(found, bytes) else found
        missing.append(value)
    return value


class Decryptor:
    """Decrypts the SOPS files of a plan with ``identities``, each file once, and keeps
    every clear value it produced (for the redactor)."""

    def __init__(self, sources: Mapping[str, SopsSource], identities: Sequence[Any]) -> None:
        self.sources = sources
        self.identities = identities
        self._files: dict[str, Decrypted | SopsError] = {}

    def file(self, source: SopsSource) -> Decrypted:
        done = self._files.get(source.path)
        if done is None:
            try:
                done = decrypt_text(source.text, self.identities)
            except SopsError as exc:
                done = SopsError(f"{source.path}: cannot decrypt this SOPS file: {exc.message}", exc.where)
            self._files[source.path] = done
        if isinstance(done, SopsError):
            raise done
        return done

    def manifests(self, manifests: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
        """One cluster's ``key -> manifest`` with the SOPS values in clear; raises
        ``SopsError`` (naming the file) when one of them cannot be decrypted."""
        out: dict[str, Mapping[str, Any]] = {}
        for key, manifest in manifests.items():
            source = self.sources.get(key)
            if source is None:
                out[key] = manifest
                continue
            missing: list[str] = []
            out[key] = _replace(manifest, self.file(source).clear, missing)
            if missing:
                raise SopsError(f"{source.path}: {key} holds an encrypted value that is not one of its file's")
        return out

    def clear_values(self) -> Iterable[str]:
        """Every clear value decrypted so far, as text."""
        for done in self._files.values():
            if isinstance(done, Decrypted):
                for value in done.clear.values():
                    yield value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else str(value)


def decrypt_manifests(manifests: Mapping[str, Mapping[str, Any]], sources: Mapping[str, SopsSource],
                      identities: Sequence[Any]) -> dict[str, Mapping[str, Any]]:
    """One cluster's manifests with the values of SOPS files in clear."""
    return Decryptor(sources, identities).manifests(manifests)
