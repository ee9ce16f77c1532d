"""SOPS-encrypted files in a fleet repo, read without the key (DESIGN.md §4).

A ``.yaml``/``.yml`` file whose first document has a top-level ``sops`` mapping is a SOPS
file. Its documents are loaded like any other with the ``sops`` key dropped and the
encrypted values left as their ``ENC[...]`` strings, so identity, placement and the
status branch's digests come from the encrypted file (a re-encrypted value is a
change). The template remembers the file (:class:`gitfleet.sops.format.SopsSource`)
for the one place that decrypts it, the apply.

What decides placement must be in clear: ``apiVersion``, ``kind`` and everything under
``metadata`` (name, namespace, the labels policies select on). A SOPS file may hold
resource templates only (no inventory or policies), and may not be a ``.j2`` template,
since the MAC covers the text as encrypted. With the key, :func:`decrypted_problems`
decrypts every SOPS file and validates the clear content too (``gitfleet validate``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitfleet.errors import PositionedError, Problem
from gitfleet.load.discover import is_jinja
from gitfleet.load.report import Reporter
from gitfleet.load.secrets import check_secret
from gitfleet.load.yamlio import JsonPath, ParsedDocument, parse_documents
from gitfleet.sops.decrypt import decrypt_text
from gitfleet.sops.format import (
    METADATA_KEY,
    SopsError,
    SopsSource,
    encrypted_values,
    is_sops_document,
    parse_enc,
    read_metadata,
)

HINT = "keep identity in clear: encrypt with `encrypted_regex: ^(data|stringData)$`"


def _at(report: Reporter, where: JsonPath, message: str) -> None:
    # Not Reporter.error: its dotted prefix would print a Secret's keys.
    line, col = report.position(where)
    report.problems.append(Problem(report.path, line, col, message))


def read_sops_file(path: str, content: bytes | str, docs: tuple[ParsedDocument, ...],
                   report: Reporter) -> tuple[SopsSource | None, tuple[ParsedDocument, ...]]:
    """``(source, documents without their sops key)`` when ``docs`` are a SOPS file's,
    ``(None, docs)`` otherwise. A broken SOPS file is reported and gives no document."""
    if not docs or not is_sops_document(docs[0].data):
        return None, docs
    report.locator = docs[0].locator
    if is_jinja(path):
        _at(report, (METADATA_KEY,), "a .j2 file cannot be SOPS-encrypted: sops's MAC covers the text as "
            "encrypted, which Jinja2 would change")
        return None, ()
    try:
        metadata = read_metadata(docs[0].data[METADATA_KEY])
    except SopsError as exc:
        _at(report, exc.where, f"SOPS file: {exc.message}")
        return None, ()
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    stripped = tuple(
        ParsedDocument({k: v for k, v in d.data.items() if k != METADATA_KEY}, d.locator, d.index)
        if isinstance(d.data, dict) else d for d in docs)
    return SopsSource(path, text, metadata), stripped


def check_encrypted(doc: Mapping[str, Any], report: Reporter) -> None:
    """Errors of one document of a SOPS file: identity encrypted, or an ``ENC[...]``
    value that is not one sops could have written."""
    for where, value in encrypted_values(doc):
        head = where[0] if where else ""
        if head in ("apiVersion", "kind", "metadata"):
            _at(report, where, f"SOPS file: {'.'.join(str(w) for w in where[:2])} is encrypted, but "
                f"what identifies and places a resource must be in clear; {HINT}")
            continue
        try:
            parse_enc(value)
        except SopsError as exc:
            _at(report, where, f"SOPS file: {exc.message}")


def decrypted_problems(files: Mapping[str, bytes], identities: Sequence[Any]) -> list[Problem]:
    """With the age key: every SOPS file of ``files`` decrypted (MAC checked) and its
    Secrets validated in clear. Without a key there is nothing to add."""
    problems: list[Problem] = []
    if not identities:
        return problems
    for path in sorted(files):
        if not path.endswith((".yaml", ".yml")) or b"sops" not in files[path]:
            continue
        try:
            docs = parse_documents(files[path], path)
        except PositionedError:
            continue  # the loader reports it
        if not docs or not is_sops_document(docs[0].data):
            continue
        try:
            decrypted = decrypt_text(files[path].decode("utf-8-sig"), identities)
        except (SopsError, UnicodeDecodeError) as exc:
            where = exc.where if isinstance(exc, SopsError) else ()
            message = exc.message if isinstance(exc, SopsError) else "not UTF-8"
            line, col = docs[0].locator.locate(where)
            problems.append(Problem(path, line, col, f"SOPS file cannot be decrypted: {message}"))
            continue
        for doc, clear in zip(docs, decrypted.documents):
            report = Reporter(path, doc.locator)
            check_secret(clear, report)
            problems.extend(report.problems)
    return sorted(problems)
