"""Secret values are replaced by digests that still change when the value changes."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.status.secrets import DIGEST_PREFIX, digest, mask_manifest, redact, secret_values


def secret(data: dict[str, Any] | None = None, string_data: dict[str, Any] | None = None,
           name: str = "db", namespace: str = "shop") -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}}
    if data is not None:
        obj["data"] = data
    if string_data is not None:
        obj["stringData"] = string_data
    return obj


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("manifest", "field", "key"),
    [
        (secret(data={"password": b64("hunter2")}), "data", "password"),
        (secret(string_data={"token": "s3cr3t-token"}), "stringData", "token"),
        (secret(data={"raw": "not base64!"}), "data", "raw"),
    ],
    ids=["data", "stringData", "data-not-base64"],
)
def test_values_become_digests(manifest: dict[str, Any], field: str, key: str) -> None:
    masked = mask_manifest(manifest)
    value = masked[field][key]
    assert value.startswith(DIGEST_PREFIX) and len(value) == len(DIGEST_PREFIX) + 16
    assert value != manifest[field][key]
    assert manifest[field][key] not in repr(masked)


def test_same_value_in_data_and_string_data_has_one_digest() -> None:
    a = mask_manifest(secret(data={"k": b64("v4lue")}))
    b = mask_manifest(secret(string_data={"k": "v4lue"}))
    assert a["data"]["k"] == b["stringData"]["k"]


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (secret(data={"k": b64("other")}), "value"),
        (secret(data={"k": b64("v4lue")}, name="db2"), "name"),
        (secret(data={"k": b64("v4lue")}, namespace="prod"), "namespace"),
    ],
    ids=["value", "name", "namespace"],
)
def test_digest_changes_with_value_and_object(other: dict[str, Any], why: str) -> None:
    base = mask_manifest(secret(data={"k": b64("v4lue")}))
    assert mask_manifest(other)["data"]["k"] != base["data"]["k"], why


@pytest.mark.parametrize(
    "manifest",
    [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}},
        {"apiVersion": "example.com/v1", "kind": "Secret", "metadata": {"name": "c"}, "data": {"k": "v"}},
    ],
    ids=["configmap", "custom-secret-kind"],
)
def test_other_kinds_untouched(manifest: dict[str, Any]) -> None:
    assert mask_manifest(manifest) is manifest


def test_last_applied_annotation_masked() -> None:
    obj = secret(data={"k": b64("v4lue")})
    obj["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"k":"djR"}}'}
    masked = mask_manifest(obj)
    assert masked["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].startswith(
        DIGEST_PREFIX)
    assert obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].startswith("{")


@given(st.binary(max_size=64), st.binary(max_size=64))
def test_digest_distinguishes_values(a: bytes, b: bytes) -> None:
    assert (digest("ns/n/k", a) == digest("ns/n/k", b)) == (a == b)


def test_redact_scrubs_clear_and_decoded_values() -> None:
    values = secret_values([secret(data={"p": b64("hunter22")}, string_data={"t": "tok-123"})])
    line = f"apply failed: field value hunter22 / {b64('hunter22')} / tok-123 rejected"
    out = redact(line, values)
    assert "hunter22" not in out and "tok-123" not in out and b64("hunter22") not in out
    assert out.startswith("apply failed: field value ***")


@pytest.mark.parametrize(
    "manifest",
    [secret(data={"a": b64("x1"), "b": "???"}), secret(string_data={"t": "tok"})],
    ids=["data", "stringData"],
)
def test_masking_is_idempotent(manifest: dict[str, Any]) -> None:
    once = mask_manifest(manifest)
    assert mask_manifest(once) == once
