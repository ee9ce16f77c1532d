"""The one redactor: Secret values become digests that still change when the value
changes, and clear values never survive in text, data or log records."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitfleet.redaction import DIGEST_PREFIX, MIN_LENGTH, Redactor, digest, mask_at, mask_manifest


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
        {"apiVersion": "v1", "kind": "SecretList", "items": [{"kind": "ConfigMap", "data": {"k": "v"}}]},
        {"apiVersion": "example.com/v1", "kind": "SealedSecret", "metadata": {"name": "c"}, "data": {"k": "v"}},
    ],
    ids=["configmap", "list-without-secret", "other-kind"],
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
    redactor = Redactor.from_manifests([secret(data={"p": b64("hunter22")}, string_data={"t": "tok-123"})])
    line = f"apply failed: field value hunter22 / {b64('hunter22')} / tok-123 rejected"
    out = redactor.text(line)
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


# -- what counts as a Secret, masked by structure ------------------------------------

CLEAR = "Sup3rS3cret"


@pytest.mark.parametrize(
    "manifest",
    [
        secret(data={"k": CLEAR}),
        secret(data=[CLEAR, "x"]),  # type: ignore[arg-type]
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": CLEAR},
        secret(string_data=[{"k": CLEAR}]),  # type: ignore[arg-type]
        secret(string_data={"k": {"nested": [CLEAR]}}),
        secret(string_data={"k": 12345678}),
        {"apiVersion": "v1", "kind": "secret", "stringData": {"k": CLEAR}},
        {"apiVersion": "example.com/v1", "kind": "Secret", "stringData": {"k": CLEAR}},
        {"kind": "Secret", "stringData": {"k": CLEAR}},
        {"apiVersion": "v1", "kind": "List", "items": [secret(string_data={"k": CLEAR})]},
        {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "SecretList", "items": [secret(data={"k": b64(CLEAR)})]}]},
    ],
    ids=["data-map", "data-list", "data-string", "stringData-list", "nested", "number", "lower-case-kind",
         "other-group", "no-apiVersion", "v1-List", "nested-lists"],
)
def test_every_scalar_below_data_is_masked(manifest: dict[str, Any]) -> None:
    masked = mask_manifest(manifest)
    assert CLEAR not in repr(masked) and b64(CLEAR) not in repr(masked) and "12345678" not in repr(masked)
    assert DIGEST_PREFIX in repr(masked)
    redacted = Redactor.from_manifests([manifest]).text(f"x {CLEAR} y 12345678")
    for clear in (CLEAR, "12345678"):
        if clear in repr(manifest) or b64(clear) in repr(manifest):
            assert clear not in redacted


@pytest.mark.parametrize(
    ("pointer", "value", "masked"),
    [
        ("/data/k", b64(CLEAR), True),
        ("/data", {"k": b64(CLEAR)}, True),
        ("/stringData/k/0", CLEAR, True),
        ("", secret(string_data={"k": CLEAR}), True),
        ("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration", CLEAR, True),
        ("/metadata/labels/app", "web", False),
        ("/type", "Opaque", False),
    ],
)
def test_mask_at_masks_one_field_as_the_manifest_would(pointer: str, value: Any, masked: bool) -> None:
    out = mask_at(secret(string_data={"k": "x"}), pointer, value)
    assert (out != value) == masked
    assert CLEAR not in repr(out)
    if pointer == "/data/k":
        assert out == mask_manifest(secret(data={"k": b64(CLEAR)}))["data"]["k"]


def test_mask_at_leaves_other_kinds() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": CLEAR}}
    assert mask_at(cm, "/data/k", CLEAR) == CLEAR


# -- text, problems, data, exceptions -------------------------------------------------


@pytest.mark.parametrize(
    ("values", "text", "expected"),
    [
        ({"hunter22"}, "password hunter22 rejected", "password *** rejected"),
        ({"abc", "abcdef"}, "abcdef abc", "*** ***"),  # longest first: scrubbed whole
        ({"ab"}, "ab is too short to redact", "ab is too short to redact"),
        ({"***"}, "mask-only values are not values", "mask-only values are not values"),
        ({"line-one\nline-two"}, "got 'line-one\\nline-two' and line-two", "got '***' and ***"),
        ({'q"uote'}, '{"v": "q\\"uote"}', '{"v": "***"}'),
        ({"xy12", "ab**"}, "abxy12", "****"),  # a value formed around the mask goes too
        (set(), "nothing registered", "nothing registered"),
    ],
    ids=["plain", "longest-first", "too-short", "mask-only", "multi-line", "json-escaped", "across-mask", "empty"],
)
def test_text(values: set[str], text: str, expected: str) -> None:
    assert Redactor(values).text(text) == expected


def test_problem_exception_and_data() -> None:
    from gitfleet.errors import InputError, Problem

    redactor = Redactor.from_manifests([secret(string_data={"k": CLEAR})])
    problem = Problem("a.yaml", 3, 4, f"bad value {CLEAR}")
    assert redactor.problem(problem) == Problem("a.yaml", 3, 4, "bad value ***")
    assert redactor.exception(InputError([problem])) == "a.yaml:3:4: bad value ***"
    result = {"warnings": [f"w {CLEAR}"], "clusters": {"m1": [secret(string_data={"k": CLEAR})]}, "n": 1}
    out = redactor.data(result)
    assert CLEAR not in repr(out) and out["n"] == 1 and out["warnings"] == ["w ***"]


def test_redactors_combine() -> None:
    both = Redactor({"first-value"}) | Redactor({"second-value"})
    assert both.text("first-value second-value") == "*** ***"


@settings(max_examples=300)
@given(st.lists(st.text(min_size=1, max_size=8), max_size=6), st.text(max_size=60), st.data())
def test_redacted_text_never_holds_a_registered_value(values: list[str], text: str, data: st.DataObject) -> None:
    # Plant some values in the text, then check none of those long enough survives.
    for value in values:
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + value + text[at:]
    redactor = Redactor(values)
    out = redactor.text(text)
    for value in redactor.values:
        assert value not in out
    for value in values:
        if len(value) >= MIN_LENGTH and value.strip("*"):
            assert value not in out


# -- lenient reading of raw files ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clear"),
    [
        ("apiVersion: v1\nkind: Secret\nstringData:\n  password: !Sup3rS3cret\n", "Sup3rS3cret"),
        ("apiVersion: v1\nkind: Secret\ndata:\n  p: " + b64(CLEAR) + "\n", CLEAR),
        ("kind: Secret\nstringData: {p: [unclosed, " + CLEAR + "\n", CLEAR),
        ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  stringData: {p: " + CLEAR + "}\n",
         CLEAR),
        ("kind: ConfigMap\ndata: {a: b}\n---\nkind: Secret\nstringData:\n  p: " + CLEAR + "\n", CLEAR),
    ],
    ids=["tag", "data", "unparseable", "list", "second-document"],
)
def test_from_files_reads_secrets_of_a_repo_that_does_not_load(text: str, clear: str) -> None:
    redactor = Redactor.from_files({"templates/s.yaml": text.encode()})
    assert clear not in redactor.text(f"error about {clear} and !{clear}")


def test_from_files_template_text() -> None:
    files = {"templates/s.yaml.j2": b"kind: Secret\nstringData:\n  p: \"lit3ral-pw\"\n  q: {{ values.x }}\n"}
    assert Redactor.from_files(files).text("x lit3ral-pw") == "x ***"


# -- log records -------------------------------------------------------------------


def test_logging_filter_scrubs_message_args_and_traceback() -> None:
    import io
    import logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("gitfleet.test-redaction")
    logger.addHandler(handler)
    logger.propagate = False
    log_filter = Redactor().filter()
    log_filter.install(logger)
    try:
        log_filter.update(Redactor.from_manifests([secret(string_data={"k": CLEAR})]))
        try:
            raise ValueError(f"boom {CLEAR}")
        except ValueError:
            logger.exception("failed with %s", CLEAR)
        logger.warning(f"plain {CLEAR}")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert CLEAR not in out
    assert "failed with ***" in out and "ValueError: boom ***" in out and "plain ***" in out


def test_reconciler_logging_goes_through_the_one_filter(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from gitfleet.reconcile import logfmt

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logfmt.configure(0)
        logfmt.REDACTION.update(Redactor.from_manifests([secret(string_data={"k": CLEAR})]))
        logfmt.log(logging.getLogger("gitfleet.reconcile.cycle"), logging.WARNING, "object", message=f"x {CLEAR}")
    finally:
        logfmt.REDACTION.update(Redactor())
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "event=object" in err and CLEAR not in err and "***" in err
