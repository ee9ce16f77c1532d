"""SOPS's file format, as the real ``sops`` (getsops/sops, ``stores/stores.go``,
``sops.go``, ``aes/cipher.go``) writes it, read without any key.

A YAML file whose first document has a top-level ``sops`` mapping is a SOPS file. Keys
stay in clear; a value selected by the file's rule is replaced by
``ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:str|int|float|bool|bytes|time]``,
encrypted with one 32-byte data key. The data key is wrapped once per recipient; gitfleet
reads the ``age`` recipients only (another key type beside age is ignored; a file with no
age recipient is refused). ``sops.mac`` is the encrypted MAC, with ``sops.lastmodified``
as its additional data.

Which values are encrypted is one rule of the file (at most one may be set, as sops
checks): ``unencrypted_suffix`` (the default, ``_unencrypted``), ``encrypted_suffix``,
``unencrypted_regex`` or ``encrypted_regex``, matched against every mapping key on the
path to the value. The regular expressions are RE2, as in Go: Python's ``re`` would
read some differently and backtrack without bound on a hostile one. The comment rules
(``*_comment_regex``) and Shamir key groups are not supported: such a file is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

METADATA_KEY = "sops"
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"
TYPES = ("str", "int", "float", "bool", "bytes", "time")
# A key path, mapping keys only: sops leaves list indices out of a value's path.
KeyPath = tuple[str, ...]
# Where in a document a problem is: mapping keys and list indices (the loader's JsonPath).
Where = tuple[str | int, ...]

_B64 = r"[A-Za-z0-9+/]*={0,2}"
_ENC = re.compile(rf"ENC\[AES256_GCM,data:({_B64}),iv:({_B64}),tag:({_B64}),type:([a-z]+)\]")
_RULES = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")
_UNSUPPORTED = {
    "unencrypted_comment_regex": "comment rules (unencrypted_comment_regex) are not supported",
    "encrypted_comment_regex": "comment rules (encrypted_comment_regex) are not supported",
    "key_groups": "key groups (Shamir secret sharing) are not supported; list age recipients under sops.age",
    "shamir_threshold": "key groups (Shamir secret sharing) are not supported; list age recipients under sops.age",
}
_OTHER_KEYS = ("pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms")
_LASTMODIFIED = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")
MAX_REGEX = 1024
MAX_META_STRING = 64 * 1024


class SopsError(Exception):
    """A SOPS file that cannot be read or decrypted. ``where`` points into the document
    (``("sops", "mac")``); the message never holds a clear value."""

    def __init__(self, message: str, where: Where = ()) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def is_sops_document(doc: Any) -> bool:
    """``doc`` (a file's first document) marks a SOPS file."""
    return isinstance(doc, Mapping) and isinstance(doc.get(METADATA_KEY), Mapping)


def looks_encrypted(value: Any) -> bool:
    """``value`` is meant as an encrypted value (well-formed or not)."""
    return isinstance(value, str) and value.startswith("ENC[")


@dataclass(frozen=True)
class EncValue:
    data: bytes
    iv: bytes
    tag: bytes
    type: str


def parse_enc(text: str) -> EncValue:
    """One ``ENC[...]`` value; ``SopsError`` when it is not one (without quoting it)."""
    match = _ENC.fullmatch(text)
    if match is None:
        raise SopsError("malformed encrypted value: expected ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]")
    try:
        data, iv, tag = (base64.b64decode(match.group(i), validate=True) for i in (1, 2, 3))
    except (binascii.Error, ValueError):
        raise SopsError("malformed encrypted value: data, iv or tag is not valid base64") from None
    kind = match.group(4)
    if kind not in TYPES:
        raise SopsError(f"encrypted value of unknown type {kind[:20]!r} (sops writes {', '.join(TYPES)})")
    if not data or not iv or len(tag) != 16:
        raise SopsError("malformed encrypted value: empty data or iv, or a tag that is not 16 bytes")
    return EncValue(data, iv, tag, kind)


@dataclass(frozen=True)
class AgeRecipient:
    recipient: str
    enc: str  # the data key, age-encrypted (armored)


@dataclass(frozen=True)
class SopsMetadata:
    """The ``sops`` mapping of a file, checked."""

    age: tuple[AgeRecipient, ...]
    lastmodified: str
    mac: str
    rule: str = "unencrypted_suffix"  # one of _RULES
    pattern: str = DEFAULT_UNENCRYPTED_SUFFIX
    mac_only_encrypted: bool = False
    version: str = ""
    others: tuple[str, ...] = ()  # other key types present (ignored)

    @cached_property
    def _regex(self) -> Any:
        return _compile(self.pattern, ("sops", self.rule)) if self.rule.endswith("regex") else None

    def encrypts(self, path: KeyPath) -> bool:
        """Whether the value at ``path`` is encrypted (sops's ``shouldBeEncrypted``)."""
        if self.rule == "unencrypted_suffix":
            return not any(k.endswith(self.pattern) for k in path)
        if self.rule == "encrypted_suffix":
            return any(k.endswith(self.pattern) for k in path)
        matched = any(self._regex.search(k) is not None for k in path)
        return matched if self.rule == "encrypted_regex" else not matched

    @property
    def mac_additional_data(self) -> str:
        """``lastmodified`` as sops's Go code re-formats it (RFC 3339, whole seconds,
        ``Z`` for UTC): the additional data of the encrypted MAC."""
        match = _LASTMODIFIED.fullmatch(self.lastmodified)
        assert match is not None  # checked by read_metadata
        zone = match.group(3)
        return match.group(1) + ("Z" if zone in ("Z", "+00:00", "-00:00") else zone)


def _compile(pattern: str, where: Where) -> Any:
    import re2  # only files with a regex rule need it

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error:
        raise SopsError(f"{where[-1]} is not a valid RE2 regular expression", where) from None


def _string(meta: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = meta.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise SopsError(f"sops.{key} must be a non-empty string", (METADATA_KEY, key))
    if len(value) > MAX_META_STRING:
        raise SopsError(f"sops.{key} is longer than {MAX_META_STRING} characters", (METADATA_KEY, key))
    return value


def _age(meta: Mapping[str, Any]) -> tuple[AgeRecipient, ...]:
    entries = meta.get("age") or []
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise SopsError("sops.age must be a list of {recipient, enc}", (METADATA_KEY, "age"))
    out: list[AgeRecipient] = []
    for i, entry in enumerate(entries):
        where: Where = (METADATA_KEY, "age", i)
        if not isinstance(entry, Mapping):
            raise SopsError("each sops.age entry must be a mapping with recipient and enc", where)
        recipient, enc = entry.get("recipient"), entry.get("enc")
        if not isinstance(recipient, str) or not recipient.startswith("age1") or len(recipient) > 200:
            raise SopsError("sops.age recipient must be an age public key (age1...)", (*where, "recipient"))
        if not isinstance(enc, str) or "-----BEGIN AGE ENCRYPTED FILE-----" not in enc or len(enc) > 8192:
            raise SopsError("sops.age enc must be an armored age file (-----BEGIN AGE ENCRYPTED FILE-----)",
                            (*where, "enc"))
        out.append(AgeRecipient(recipient, enc))
    return tuple(out)


def read_metadata(meta: Mapping[str, Any]) -> SopsMetadata:
    """The checked metadata of a SOPS file; ``SopsError`` at the offending field."""
    for key, message in _UNSUPPORTED.items():
        if meta.get(key):
            raise SopsError(message, (METADATA_KEY, key))
    others = tuple(k for k in _OTHER_KEYS if meta.get(k))
    age = _age(meta)
    if not age:
        found = f" (this file has {', '.join(others)})" if others else ""
        raise SopsError(f"no age recipient in sops metadata{found}: only age is supported; "
                        "re-encrypt with `sops updatekeys` or `gitfleet secrets encrypt --age ...`",
                        (METADATA_KEY,))
    lastmodified = _string(meta, "lastmodified")
    if _LASTMODIFIED.fullmatch(lastmodified) is None:
        raise SopsError("sops.lastmodified must be an RFC 3339 time (2024-01-31T12:00:00Z)",
                        (METADATA_KEY, "lastmodified"))
    mac = _string(meta, "mac")
    try:
        parse_enc(mac)
    except SopsError as exc:
        raise SopsError(f"sops.mac: {exc.message}", (METADATA_KEY, "mac")) from None
    rules = [r for r in _RULES if meta.get(r) not in (None, "")]
    if len(rules) > 1:
        raise SopsError(f"more than one of {', '.join(_RULES)} is set: sops allows one",
                        (METADATA_KEY, rules[1]))
    rule = rules[0] if rules else "unencrypted_suffix"
    pattern = _string(meta, rule) if rules else DEFAULT_UNENCRYPTED_SUFFIX
    if rule.endswith("regex") and len(pattern) > MAX_REGEX:
        raise SopsError(f"sops.{rule} is longer than {MAX_REGEX} characters", (METADATA_KEY, rule))
    only = meta.get("mac_only_encrypted", False)
    if not isinstance(only, bool):
        raise SopsError("sops.mac_only_encrypted must be a boolean", (METADATA_KEY, "mac_only_encrypted"))
    version = meta.get("version")
    out = SopsMetadata(age=age, lastmodified=lastmodified, mac=mac, rule=rule, pattern=pattern,
                       mac_only_encrypted=only, version=version if isinstance(version, str) else "",
                       others=others)
    out._regex  # noqa: B018 -- compiled now, so a bad pattern is reported at the file
    return out


def encrypted_values(doc: Any, where: Where = ()) -> list[tuple[Where, str]]:
    """Every ``ENC[...]`` string of ``doc`` with where it is (the ``sops`` key of a first
    document excluded by the caller)."""
    out: list[tuple[Where, str]] = []
    stack: list[tuple[Where, Any]] = [(where, doc)]
    while stack:
        at, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend(((*at, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*at, i), v) for i, v in enumerate(value))
        elif looks_encrypted(value):
            out.append((at, value))
    return out


@dataclass(frozen=True)
class SopsSource:
    """Where a resource template came from when its file is a SOPS file: the file's
    path and text (decrypted where it is applied, once per file) and its metadata."""

    path: str
    text: str
    metadata: SopsMetadata
