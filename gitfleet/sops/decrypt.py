"""Decrypting a SOPS file with age identities, as ``sops decrypt`` does: unwrap the data
key from an age recipient (``pyrage``), decrypt every value selected by the file's rule
with AES-256-GCM (``cryptography``; the 32-byte IV sops uses, the value's key path as
additional data), recompute the MAC over the clear values and compare it with the
decrypted ``sops.mac``. Any failure is a :class:`SopsError` that names no clear value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gitfleet.sops.format import KeyPath, SopsError, SopsMetadata, looks_encrypted, parse_enc, read_metadata
from gitfleet.sops.mac import Mac, additional_data, walk
from gitfleet.sops.tree import read_documents, split_metadata

_GO_INT = re.compile(r"[-+]?[0-9]+")
_GO_FLOAT = re.compile(r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[iI]nf(?:inity)?|NaN)")
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def data_key(metadata: SopsMetadata, identities: Sequence[Any]) -> bytes:
    """The file's data key, from the first age recipient one of ``identities`` opens."""
    if not identities:
        raise SopsError("no age key to decrypt it: set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY")
    for entry in metadata.age:
        try:
            key = bytes(pyrage.decrypt(entry.enc.encode(), list(identities)))
        except pyrage.DecryptError:
            continue
        if len(key) != 32:
            raise SopsError("the data key is not 32 bytes", ("sops", "age"))
        return key
    recipients = ", ".join(e.recipient for e in metadata.age)
    raise SopsError(f"none of the age keys given opens the file (its recipients: {recipients})", ("sops", "age"))


def decrypt_value(text: str, key: bytes, aad: bytes) -> Any:
    """One ``ENC[...]`` value, typed as sops types it (``aes/cipher.go``)."""
    if text == "":
        return ""  # sops does not encrypt an empty string
    enc = parse_enc(text)
    try:
        clear = AESGCM(key).decrypt(enc.iv, enc.data + enc.tag, aad)
    except InvalidTag:
        raise SopsError("a value fails to decrypt: wrong key, or the value was changed or moved") from None
    if enc.type == "bytes":
        return clear
    try:
        word = clear.decode("utf-8")
    except UnicodeDecodeError:
        raise SopsError(f"a value of type {enc.type} is not UTF-8") from None
    if enc.type in ("str", "time"):
        return word
    if enc.type == "int" and _GO_INT.fullmatch(word) and -(2**63) <= int(word) < 2**63:
        return int(word)
    if enc.type == "float" and _GO_FLOAT.fullmatch(word):
        return float(word)
    if enc.type == "bool" and word in _GO_TRUE | _GO_FALSE:
        return word in _GO_TRUE
    raise SopsError(f"a value of type {enc.type} does not hold one")


@dataclass(frozen=True)
class Decrypted:
    """A file decrypted: its documents in clear (without ``sops``), and each encrypted
    string of the file with its clear value."""

    documents: tuple[dict[str, Any], ...]
    clear: dict[str, Any]


def decrypt_documents(documents: Sequence[dict[str, Any]], metadata: SopsMetadata, key: bytes) -> Decrypted:
    """``documents`` (sops-typed, without ``sops``) decrypted and their MAC checked."""
    mac = Mac(metadata.mac_only_encrypted)
    clear: dict[str, Any] = {}

    def leaf(path: KeyPath, value: Any) -> Any:
        encrypted = metadata.encrypts(path)
        if encrypted:
            if not isinstance(value, str) or (value and not looks_encrypted(value)):
                raise SopsError(f"a value at {'.'.join(path)} should be encrypted under the file's rule "
                                f"({metadata.rule}) but is not")
            out = decrypt_value(value, key, additional_data(path))
            clear[value] = out
            value = out
        mac.add(value, encrypted)
        return value

    out = tuple(walk(doc, leaf) for doc in documents)
    try:
        stored = decrypt_value(metadata.mac, key, metadata.mac_additional_data.encode())
    except SopsError:
        raise SopsError("the MAC fails to decrypt: sops.mac or sops.lastmodified was changed",
                        ("sops", "mac")) from None
    if stored != mac.hex():
        raise SopsError("MAC mismatch: the file was changed after it was encrypted (a value, its order, "
                        "or a value moved in or out of encryption)", ("sops", "mac"))
    return Decrypted(out, clear)


def decrypt_text(text: str, identities: Sequence[Any]) -> Decrypted:
    """A whole SOPS file, from its text."""
    meta, documents = split_metadata(read_documents(text))
    if not isinstance(meta, dict):
        raise SopsError("not a SOPS file: the first document has no sops mapping")
    metadata = read_metadata(meta)
    return decrypt_documents(documents, metadata, data_key(metadata, identities))
