"""The pieces of the SOPS format: go-yaml v3 scalars, Go's float printing, the
encryption rules, ENC parsing, and encrypt -> decrypt round trips (property-tested)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitfleet.sops.decrypt import decrypt_text, decrypt_value
from gitfleet.sops.encrypt import encrypt_text, encrypt_value
from gitfleet.sops.format import SopsError, SopsMetadata, parse_enc
from gitfleet.sops.mac import go_float, to_bytes
from gitfleet.sops.tree import plain_scalar
from tests.sops.sopsdata import AGE_RECIPIENT, identity


@pytest.mark.parametrize(("text", "value"), [
    ("yes", "yes"), ("on", "on"), ("true", True), ("False", False), ("~", None), ("null", None),
    ("0644", 420), ("0x1F", 31), ("0o17", 15), ("0b101", 5), ("1_000", 1000), ("-3", -3),
    ("08", 8.0), ("1.5", 1.5), ("1e3", 1000.0), (".inf", math.inf), ("2024-01-01", "2024-01-01"),
    ("12:30", "12:30"), ("v1", "v1"), ("-", "-"),
])
def test_plain_scalars_as_go_yaml_v3_reads_them(text: str, value: Any) -> None:
    got = plain_scalar(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1"), (0.1, "0.1"), (1234568000.0, "1234568000"), (1e22, "10000000000000000000000"),
    (1.5e-7, "0.00000015"), (-0.0, "-0"), (math.inf, "+Inf"), (math.nan, "NaN"),
])
def test_floats_print_as_go_formatfloat_f_minus_1(value: float, text: str) -> None:
    assert go_float(value) == text


@pytest.mark.parametrize(("value", "raw"), [(True, b"True"), (False, b"False"), (7, b"7"), ("é", "é".encode())])
def test_mac_bytes(value: Any, raw: bytes) -> None:
    assert to_bytes(value) == raw


@pytest.mark.parametrize(("rule", "pattern", "path", "encrypted"), [
    ("unencrypted_suffix", "_unencrypted", ("a", "b"), True),
    ("unencrypted_suffix", "_unencrypted", ("a_unencrypted", "b"), False),
    ("encrypted_suffix", "_enc", ("a", "b_enc"), True),
    ("encrypted_suffix", "_enc", ("a",), False),
    ("encrypted_regex", "^(data|stringData)$", ("data", "x"), True),
    ("encrypted_regex", "^(data|stringData)$", ("metadata", "name"), False),
    ("encrypted_regex", "^(data|stringData)$", ("metadata", "labels", "data"), True),  # any key on the path
    ("unencrypted_regex", "^meta", ("metadata", "name"), False),
    ("unencrypted_regex", "^meta", ("spec", "x"), True),
])
def test_rules_follow_should_be_encrypted(rule: str, pattern: str, path: tuple[str, ...], encrypted: bool) -> None:
    meta = SopsMetadata(age=(), lastmodified="2024-01-01T00:00:00Z", mac="", rule=rule, pattern=pattern)
    assert meta.encrypts(path) is encrypted


@pytest.mark.parametrize(("lastmodified", "aad"), [
    ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
    ("2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00Z"),
    ("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00Z"),
    ("2024-01-01T02:00:00+02:00", "2024-01-01T02:00:00+02:00"),
])
def test_mac_additional_data_is_go_rfc3339(lastmodified: str, aad: str) -> None:
    assert SopsMetadata(age=(), lastmodified=lastmodified, mac="").mac_additional_data == aad


@pytest.mark.parametrize("text", [
    "ENC[AES256_GCM,data:!!,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]",
    "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]",
    "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:pickle]",
    "ENC[AES256_CBC,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]",
    "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]trailing",
])
def test_malformed_enc_values_are_refused(text: str) -> None:
    with pytest.raises(SopsError):
        parse_enc(text)


_VALUES = st.one_of(st.text(max_size=40), st.integers(-(2**63), 2**63 - 1), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=200, deadline=None)
@given(value=_VALUES, path=st.lists(st.text(min_size=1, max_size=10), max_size=4))
def test_value_round_trip(value: Any, path: list[str]) -> None:
    key = bytes(range(32))
    aad = (":".join(path) + ":").encode()
    back = decrypt_value(encrypt_value(value, key, aad), key, aad)
    assert back == value and type(back) is type(value)


SECRET = """# the database
apiVersion: v1
kind: Secret
metadata:
  name: db  # in clear
  namespace: shop
type: Opaque
stringData:
  password: "p4ss: w0rd"
  port: "5432"
data:
  token: dG9rZW4=
"""


@pytest.mark.parametrize(("rule", "pattern", "clear_fields"), [
    ("encrypted_regex", "^(data|stringData)$", {"apiVersion", "kind", "metadata", "type"}),
    ("unencrypted_suffix", "_unencrypted", set()),
])
def test_file_round_trip_keeps_order_and_comments(rule: str, pattern: str, clear_fields: set[str]) -> None:
    out = encrypt_text(SECRET, [AGE_RECIPIENT], rule=rule, pattern=pattern)
    assert out.startswith("# the database\n") and "# in clear" in out
    assert "p4ss: w0rd" not in out and "dG9rZW4=" not in out
    decrypted = decrypt_text(out, [identity()])
    (doc,) = decrypted.documents
    assert list(doc) == ["apiVersion", "kind", "metadata", "type", "stringData", "data"]
    assert doc["stringData"] == {"password": "p4ss: w0rd", "port": "5432"}
    assert {k for k in doc if "ENC[" not in str(doc[k])} >= clear_fields


@settings(max_examples=40, deadline=None)
@given(values=st.dictionaries(st.from_regex(r"[a-zA-Z0-9_.-]{1,12}", fullmatch=True), _VALUES, max_size=6))
def test_whole_file_round_trip(values: dict[str, Any]) -> None:
    import io

    from ruamel.yaml import YAML

    buf = io.StringIO()
    YAML(typ="rt").dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": values}, buf)
    out = encrypt_text(buf.getvalue(), [AGE_RECIPIENT], rule="encrypted_regex", pattern="^data$")
    (doc,) = decrypt_text(out, [identity()]).documents
    assert set(doc["data"] or {}) == set(values)
