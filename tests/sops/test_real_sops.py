"""gitfleet's SOPS format against files the real sops wrote (tests/sops/data/README.md):
values, additional data, types and MAC from sops's own output, the age wrapping from
sops's age test vector, and tampered files refused with a clear error."""

from __future__ import annotations

import pyrage
import pytest

from gitfleet.sops.decrypt import data_key, decrypt_documents, decrypt_text
from gitfleet.sops.format import SopsError, SopsMetadata, read_metadata
from gitfleet.sops.tree import read_documents, split_metadata
from tests.sops.sopsdata import (
    AGE_RECIPIENT,
    DATA_KEYS,
    OTHER_IDENTITY,
    SOPS_ENCRYPTED_KEY,
    identity,
    read,
    with_age,
)


def _decrypt_with_data_key(name: str) -> tuple[dict[str, object], ...]:
    meta, docs = split_metadata(read_documents(read(name)))
    metadata = SopsMetadata(age=(), lastmodified=meta["lastmodified"], mac=meta["mac"],
                            pattern=meta.get("unencrypted_suffix", "_unencrypted"))
    return decrypt_documents(docs, metadata, DATA_KEYS[name]).documents


def test_sops_age_test_vector_unwraps() -> None:
    assert bytes(pyrage.decrypt(SOPS_ENCRYPTED_KEY.encode(), [identity()])) == b"data"


def test_example_yaml_decrypts_with_sops_data_key_and_mac() -> None:
    (doc,) = _decrypt_with_data_key("example.yaml")
    assert doc["myapp1"] == "t00m4nys3cr3tzupdated"
    assert doc["app2"]["db"] == {"user": "eve", "password": "c4r1b0u"}  # type: ignore[index]
    assert doc["number"] == 1234568000.0  # type:float
    assert doc["somebooleans"] == [True, False]  # type:bool
    assert doc["an_array"][0] == "secretuser1"  # type: ignore[index]
    assert doc["this"]["is"]["a"]["nested"]["value"] == "with something secret in it"  # type: ignore[index]
    # Left in clear by the _unencrypted suffix, and still covered by the MAC.
    assert doc["somelist_unencrypted"][0] == "all elements of this list"  # type: ignore[index]


@pytest.mark.parametrize(("name", "expected"), [
    ("format.enc.yaml", {"foo": "bar"}),
    ("comments.enc.yaml", {"lorem": "ipsum", "dolor": "sit"}),
])
def test_other_sops_versions_decrypt(name: str, expected: dict[str, str]) -> None:
    assert _decrypt_with_data_key(name) == (expected,)


def test_real_file_with_age_recipient_decrypts_end_to_end() -> None:
    text = with_age(read("example.yaml"), DATA_KEYS["example.yaml"])
    decrypted = decrypt_text(text, [identity()])
    assert decrypted.documents[0]["app2"]["db"]["password"] == "c4r1b0u"  # type: ignore[index]
    # Each ENC string of the file maps to its clear value.
    assert "c4r1b0u" in decrypted.clear.values()


def _tampered_value(text: str) -> str:
    # Swap two encrypted values: each is valid ciphertext, at the wrong path.
    lines = text.splitlines()
    user = next(i for i, line in enumerate(lines) if line.strip().startswith("user: ENC["))
    pw = next(i for i, line in enumerate(lines) if line.strip().startswith("password: ENC["))
    u, p = lines[user].split(": ", 1)[1], lines[pw].split(": ", 1)[1]
    lines[user] = lines[user].replace(u, p)
    lines[pw] = lines[pw].replace(p, u)
    return "\n".join(lines) + "\n"


def _tampered_clear(text: str) -> str:
    return text.replace("remain in clear text", "remain in clear text!", 1)


def _tampered_mac(text: str) -> str:
    return text.replace("mac: ENC[AES256_GCM,data:GCWO", "mac: ENC[AES256_GCM,data:GCWP", 1)


def _tampered_lastmodified(text: str) -> str:
    return text.replace('lastmodified: "2025-08-06T18:55:05Z"', 'lastmodified: "2025-08-06T18:55:06Z"', 1)


def _no_age(text: str) -> str:
    return text


@pytest.mark.parametrize(("tamper", "identities", "message"), [
    (_tampered_value, None, "fails to decrypt"),
    (_tampered_clear, None, "MAC mismatch"),
    (_tampered_mac, None, "MAC fails to decrypt"),
    (_tampered_lastmodified, None, "MAC fails to decrypt"),
    (lambda t: t, OTHER_IDENTITY, "none of the age keys given opens the file"),
    (lambda t: t, "", "no age key"),
])
def test_tampered_files_are_refused(tamper, identities, message) -> None:  # type: ignore[no-untyped-def]
    text = tamper(with_age(read("example.yaml"), DATA_KEYS["example.yaml"]))
    keys = [identity()] if identities is None else ([identity(identities)] if identities else [])
    with pytest.raises(SopsError, match=message) as caught:
        decrypt_text(text, keys)
    for clear in ("c4r1b0u", "t00m4nys3cr3tzupdated"):
        assert clear not in caught.value.message


def test_a_file_without_age_recipient_is_refused_naming_pgp() -> None:
    meta, _ = split_metadata(read_documents(read("example.yaml")))
    with pytest.raises(SopsError, match=r"no age recipient .*this file has pgp.*only age is supported"):
        read_metadata(meta)


def test_the_data_key_comes_from_any_matching_recipient() -> None:
    text = with_age(read("example.yaml"), DATA_KEYS["example.yaml"])
    meta, _ = split_metadata(read_documents(text))
    metadata = read_metadata(meta)
    assert metadata.age[0].recipient == AGE_RECIPIENT
    assert data_key(metadata, [identity(OTHER_IDENTITY), identity()]) == DATA_KEYS["example.yaml"]
