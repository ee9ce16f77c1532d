"""Writing a SOPS file that the real ``sops`` decrypts (``gitfleet secrets encrypt``).

The file is rewritten with ruamel.yaml's round-trip mode, so key order, comments and
layout stay as written: sops's MAC depends on the order. The values are read the way
sops reads them (:mod:`gitfleet.sops.tree`), encrypted under the chosen rule with a
fresh data key and a fresh 32-byte IV each, and the data key is wrapped for every age
recipient. The ``sops`` mapping lists its keys in name order, as sops writes them.
Comments stay in clear (sops would encrypt the ones inside an encrypted part; its
decryption keeps a clear comment as it is).
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyrage
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from gitfleet.sops.format import DEFAULT_UNENCRYPTED_SUFFIX, METADATA_KEY, KeyPath, SopsError, SopsMetadata
from gitfleet.sops.mac import Mac, additional_data, to_bytes, walk
from gitfleet.sops.tree import read_documents

SOPS_VERSION = "3.9.0"  # the file format written: what sops of this version writes
_IV_BYTES = 32


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, bytes):
        return "bytes"
    return "str"


def encrypt_value(value: Any, key: bytes, aad: bytes, iv: bytes | None = None) -> str:
    """``value`` as an ``ENC[...]`` string (``aes/cipher.go`` ``Encrypt``)."""
    if value == "" or value == b"":
        return ""
    iv = iv if iv is not None else os.urandom(_IV_BYTES)
    sealed = AESGCM(key).encrypt(iv, to_bytes(value), aad)
    data, tag = sealed[:-16], sealed[-16:]
    b64 = base64.b64encode
    return (f"ENC[AES256_GCM,data:{b64(data).decode()},iv:{b64(iv).decode()},"
            f"tag:{b64(tag).decode()},type:{_type_of(value)}]")


def recipients_of(text: str) -> list[Any]:
    """``age1...`` public keys, comma-separated, parsed; ``SopsError`` for a bad one."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(pyrage.x25519.Recipient.from_str(part))
        except pyrage.RecipientError:
            raise SopsError(f"not an age recipient: {part[:80]!r} (expected age1...)") from None
    if not out:
        raise SopsError("no age recipient given")
    return out


def _replace(target: Any, source: Any) -> Any:
    """Copy the encrypted leaves of ``source`` (the sops tree) into ruamel's ``target``."""
    if isinstance(target, CommentedMap) and isinstance(source, dict):
        for (k, v), new in zip(list(target.items()), source.values()):
            target[k] = _replace(v, new)
        return target
    if isinstance(target, CommentedSeq) and isinstance(source, list):
        for i, new in enumerate(source):
            target[i] = _replace(target[i], new)
        return target
    return source if isinstance(source, str) and source != target else target


def encrypt_text(text: str, recipients: Sequence[str], *, rule: str = "unencrypted_suffix",
                 pattern: str = DEFAULT_UNENCRYPTED_SUFFIX, now: datetime | None = None) -> str:
    """``text`` (a YAML file in clear) as a SOPS file for ``recipients`` (age1...)."""
    parsed = recipients_of(",".join(recipients))
    documents = read_documents(text)
    if any(METADATA_KEY in d for d in documents):
        raise SopsError("the file has a top-level sops key already: is it encrypted?")
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    metadata = SopsMetadata(age=(), lastmodified=stamp, mac="", rule=rule, pattern=pattern)
    metadata._regex  # noqa: B018 -- a bad pattern fails here, before anything is written
    key = os.urandom(32)
    mac = Mac(only_encrypted=False)

    def leaf(path: KeyPath, value: Any) -> Any:
        encrypted = metadata.encrypts(path)
        mac.add(value, encrypted)
        return encrypt_value(value, key, additional_data(path)) if encrypted else value

    encrypted_docs = [walk(doc, leaf) for doc in documents]
    sops: dict[str, Any] = {
        "age": [{"recipient": str(r), "enc": LiteralScalarString(bytes(pyrage.encrypt(key, [r], armored=True))
                                                                  .decode())} for r in parsed],
        "lastmodified": stamp,
        "mac": encrypt_value(mac.hex(), key, stamp.encode()),
        rule: pattern,
        "version": SOPS_VERSION,
    }
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    loaded = [d for d in yaml.load_all(text) if d is not None]
    if len(loaded) != len(encrypted_docs):
        raise SopsError("the file's documents could not be matched (an empty document?)")
    out = io.StringIO()
    docs = [_replace(target, source) for target, source in zip(loaded, encrypted_docs)]
    for doc in docs:  # sops writes its metadata into every document
        doc[METADATA_KEY] = CommentedMap((k, sops[k]) for k in sorted(sops))
    yaml.dump_all(docs, out)
    return out.getvalue()
