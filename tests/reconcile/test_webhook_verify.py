"""The checks of ``POST /hooks/git`` as pure functions: each provider's header with a
good, wrong, tampered, malformed or missing proof; the body bound read from the headers
alone; the secret file's contents; and the webhook block of the run config, whose
secret file is read (and refused when empty) at load, at ``path:line:col``."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.reconcile.config import ConfigFileError, load_config
from gitfleet.reconcile.hooks import (
    MAX_BODY,
    MAX_SECRET,
    Headers,
    Verdict,
    admit,
    event,
    secret_problem,
    sign,
    verify,
)

SECRET = b"It's a Secret to Everybody"
BODY = b'{"ref": "refs/heads/main", "after": "0123"}'
GOOD = sign(BODY, SECRET)
OTHER = sign(BODY, b"another secret")


def test_sign_is_githubs_example() -> None:
    # The worked example of GitHub's "Validating webhook deliveries".
    assert sign(b"Hello, World!", SECRET) == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")


@pytest.mark.parametrize(("headers", "body", "result", "status", "header", "reason"), [
    ({"x-hub-signature-256": [GOOD], "x-github-event": ["push"]}, BODY,
     "accepted", 202, "x-hub-signature-256", "good signature"),
    ({"x-hub-signature-256": [GOOD.upper().replace("SHA256=", "sha256=")]}, BODY,
     "accepted", 202, "x-hub-signature-256", "good signature"),
    ({"x-hub-signature-256": [OTHER]}, BODY, "unauthorized", 401, "x-hub-signature-256", "signature does not match"),
    ({"x-hub-signature-256": [GOOD]}, BODY + b" ", "unauthorized", 401, "x-hub-signature-256",
     "signature does not match"),
    ({"x-hub-signature-256": [GOOD]}, b"", "unauthorized", 401, "x-hub-signature-256", "signature does not match"),
    ({"x-hub-signature-256": ["sha1=" + GOOD[7:]]}, BODY, "unauthorized", 401, "x-hub-signature-256",
     "not sha256=<64 hex digits>"),
    ({"x-hub-signature-256": [GOOD[7:]]}, BODY, "unauthorized", 401, "x-hub-signature-256",
     "not sha256=<64 hex digits>"),
    ({"x-hub-signature-256": [GOOD[:-1]]}, BODY, "unauthorized", 401, "x-hub-signature-256",
     "not sha256=<64 hex digits>"),
    ({"x-hub-signature-256": [""]}, BODY, "unauthorized", 401, "x-hub-signature-256", "not sha256=<64 hex digits>"),
    ({"x-hub-signature-256": ["sha256=" + "g" * 64]}, BODY, "unauthorized", 401, "x-hub-signature-256",
     "not sha256=<64 hex digits>"),
    ({"x-hub-signature-256": ["sha256=" + "\u00e9" * 64]}, BODY, "unauthorized", 401, "x-hub-signature-256",
     "not sha256=<64 hex digits>"),
    ({"x-hub-signature-256": [GOOD, GOOD]}, BODY, "unauthorized", 401, "x-hub-signature-256",
     "the header is repeated"),
    ({"x-gitlab-token": [SECRET.decode()], "x-gitlab-event": ["Push Hook"]}, BODY,
     "accepted", 202, "x-gitlab-token", "good signature"),
    ({"x-gitlab-token": [SECRET.decode()]}, b"anything: GitLab signs no body", "accepted", 202, "x-gitlab-token",
     "good signature"),
    ({"x-gitlab-token": [SECRET.decode()[:-1]]}, BODY, "unauthorized", 401, "x-gitlab-token", "wrong token"),
    ({"x-gitlab-token": [SECRET.decode() + " "]}, BODY, "unauthorized", 401, "x-gitlab-token", "wrong token"),
    ({"x-gitlab-token": [""]}, BODY, "unauthorized", 401, "x-gitlab-token", "wrong token"),
    ({"x-gitlab-token": [GOOD]}, BODY, "unauthorized", 401, "x-gitlab-token", "wrong token"),
    ({"x-gitlab-token": ["\u00ff\u0100"]}, BODY, "unauthorized", 401, "x-gitlab-token", "wrong token"),
    ({"x-gitfleet-signature": [GOOD]}, BODY, "accepted", 202, "x-gitfleet-signature", "good signature"),
    ({"x-gitfleet-signature": [OTHER]}, BODY, "unauthorized", 401, "x-gitfleet-signature",
     "signature does not match"),
    ({"x-gitfleet-signature": [SECRET.decode()]}, BODY, "unauthorized", 401, "x-gitfleet-signature",
     "not sha256=<64 hex digits>"),
    # Several proofs: every one must hold.
    ({"x-hub-signature-256": [GOOD], "x-gitlab-token": ["wrong"]}, BODY, "unauthorized", 401, "x-gitlab-token",
     "wrong token"),
    ({"x-hub-signature-256": [OTHER], "x-gitlab-token": [SECRET.decode()]}, BODY, "unauthorized", 401,
     "x-hub-signature-256", "signature does not match"),
    ({"x-hub-signature-256": [GOOD], "x-gitfleet-signature": [GOOD]}, BODY, "accepted", 202,
     "x-hub-signature-256,x-gitfleet-signature", "good signature"),
    # No proof at all, or one under a name that is not checked.
    ({}, BODY, "unauthorized", 401, "x-hub-signature-256 x-gitfleet-signature x-gitlab-token", "no signature header"),
    ({"x-hub-signature": ["sha1=" + hmac.new(SECRET, BODY, hashlib.sha1).hexdigest()]}, BODY, "unauthorized", 401,
     "x-hub-signature-256 x-gitfleet-signature x-gitlab-token", "no signature header"),
    ({"x-github-event": ["push"]}, BODY, "unauthorized", 401,
     "x-hub-signature-256 x-gitfleet-signature x-gitlab-token", "no signature header"),
    # GitHub's ping on creating the hook: answered, no cycle; unsigned, it is refused like any other.
    ({"x-hub-signature-256": [GOOD], "x-github-event": ["ping"]}, BODY, "ignored", 200, "x-hub-signature-256",
     "ping"),
    ({"x-github-event": ["ping"]}, BODY, "unauthorized", 401,
     "x-hub-signature-256 x-gitfleet-signature x-gitlab-token", "no signature header"),
    ({"x-hub-signature-256": [OTHER], "x-github-event": ["ping"]}, BODY, "unauthorized", 401,
     "x-hub-signature-256", "signature does not match"),
], ids=[
    "github-good", "github-upper-hex", "github-other-secret", "github-tampered-body", "github-empty-body",
    "github-sha1-prefix", "github-no-prefix", "github-short-hex", "github-empty-header", "github-not-hex",
    "github-non-ascii", "github-repeated", "gitlab-good", "gitlab-any-body", "gitlab-prefix-of-secret",
    "gitlab-secret-plus-space", "gitlab-empty", "gitlab-signature-as-token", "gitlab-latin1", "generic-good",
    "generic-other-secret", "generic-bare-secret", "good-github-wrong-gitlab", "wrong-github-good-gitlab",
    "github-and-generic", "missing", "github-sha1-only", "event-without-proof", "ping", "ping-unsigned",
    "ping-wrong",
])
def test_verify(headers: Headers, body: bytes, result: str, status: int, header: str, reason: str) -> None:
    assert verify(headers, body, SECRET) == Verdict(result, status, reason, header)


@given(body=st.binary(max_size=2048), secret=st.binary(min_size=1, max_size=64), flip=st.integers(min_value=0))
def test_a_signature_holds_for_its_body_and_secret_only(body: bytes, secret: bytes, flip: int) -> None:
    signature = sign(body, secret)
    assert verify({"x-hub-signature-256": [signature]}, body, secret).result == "accepted"
    assert verify({"x-gitfleet-signature": [signature]}, body, secret).result == "accepted"
    assert verify({"x-hub-signature-256": [signature]}, body, secret + b"x").result == "unauthorized"
    if body:
        at = flip % len(body)
        tampered = body[:at] + bytes([body[at] ^ 1]) + body[at + 1:]
        assert verify({"x-hub-signature-256": [signature]}, tampered, secret).result == "unauthorized"


@given(token=st.text(max_size=80))
def test_only_the_secret_is_a_gitlab_token(token: str) -> None:
    secret = "s3cr3t-token"
    verdict = verify({"x-gitlab-token": [token]}, b"", secret.encode())
    assert verdict.result == ("accepted" if token == secret else "unauthorized")


@pytest.mark.parametrize(("headers", "admitted"), [
    ({"content-length": ["0"]}, 0),
    ({"content-length": ["42"]}, 42),
    ({"content-length": [" 42 "]}, 42),
    ({"content-length": ["0042"]}, 42),
    ({"content-length": [str(MAX_BODY)]}, MAX_BODY),
    ({"content-length": [str(MAX_BODY + 1)]}, Verdict("too_large", 413, f"the body is over {MAX_BODY} bytes",
                                                        "content-length")),
    ({"content-length": ["9" * 4000]}, Verdict("too_large", 413, f"the body is over {MAX_BODY} bytes",
                                               "content-length")),
    ({}, Verdict("bad_request", 411, "no Content-Length", "content-length")),
    ({"content-length": ["-1"]}, Verdict("bad_request", 400, "Content-Length is not one decimal number",
                                         "content-length")),
    ({"content-length": ["1e3"]}, Verdict("bad_request", 400, "Content-Length is not one decimal number",
                                          "content-length")),
    ({"content-length": [""]}, Verdict("bad_request", 400, "Content-Length is not one decimal number",
                                       "content-length")),
    ({"content-length": ["\u0663"]}, Verdict("bad_request", 400, "Content-Length is not one decimal number",
                                             "content-length")),
    ({"content-length": ["4", "4"]}, Verdict("bad_request", 400, "Content-Length is not one decimal number",
                                             "content-length")),
    ({"content-length": ["4"], "transfer-encoding": ["chunked"]},
     Verdict("bad_request", 411, "a chunked body is not accepted: send Content-Length", "transfer-encoding")),
], ids=["zero", "small", "spaces", "leading-zeros", "at-the-bound", "over-the-bound", "thousands-of-digits",
        "missing", "negative", "exponent", "empty", "arabic-indic-digit", "repeated", "chunked"])
def test_admit(headers: Headers, admitted: int | Verdict) -> None:
    assert admit(headers) == admitted


@pytest.mark.parametrize(("raw", "secret", "problem"), [
    (b"s3cret", b"s3cret", None),
    (b"s3cret\n", b"s3cret", None),
    (b"s3cret\r\n\n", b"s3cret", None),
    (b" s3 cret ", b" s3 cret ", None),  # spaces inside a secret are the user's
    (b"", b"", "is empty"),
    (b"\n", b"", "is empty"),
    (b" \t\n", b"", "is empty"),
    (b"x" * (MAX_SECRET + 1), b"", f"is over {MAX_SECRET} bytes"),
], ids=["bare", "newline", "crlf-and-more", "spaces", "empty", "newline-only", "blank", "huge"])
def test_secret_problem(raw: bytes, secret: bytes, problem: str | None) -> None:
    found, why = secret_problem(raw)
    assert found == secret
    assert (why or "").startswith(problem or "") and (why is None) == (problem is None)


@pytest.mark.parametrize(("headers", "kind"), [
    ({"x-github-event": ["push"]}, "push"),
    ({"x-gitlab-event": ["Push Hook"]}, "Push Hook"),
    ({"x-gitfleet-event": ["x" * 500]}, "x" * 64),
    ({}, None),
])
def test_event(headers: Headers, kind: str | None) -> None:
    assert event(headers) == kind


def _config(tmp_path: Path, webhook: str, secret: bytes | None = b"hunter2-hunter2\n") -> Path:
    if secret is not None:
        (tmp_path / "hook-secret").write_bytes(secret)
    config = tmp_path / "run.yaml"
    config.write_text(f"repo: fleet\n# the Git host's hooks\nwebhook:\n{webhook}")
    return config


def test_the_secret_is_read_at_load_relative_to_the_config(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "  secretFile: hook-secret\n  listen: 0.0.0.0:9443\n"))
    assert config.webhook is not None
    assert config.webhook.secret == b"hunter2-hunter2"
    assert config.webhook.secret_file == str(tmp_path / "hook-secret")
    assert config.webhook.listen_address == ("0.0.0.0", 9443)
    assert "hunter2" not in repr(config)  # nor in any log line or traceback made from it
    assert load_config(_config(tmp_path, "  secretFile: hook-secret\n")).webhook.listen_address is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("webhook", "secret", "message"), [
    ("  secretFile: hook-secret\n", b"", ("run.yaml:4:3: at /webhook/secretFile: the secret file {tmp}/hook-secret"
                                         " is empty")),
    ("  secretFile: hook-secret\n", b"\n\n", ("run.yaml:4:3: at /webhook/secretFile: the secret file"
                                             " {tmp}/hook-secret is empty")),
    ("  secretFile: hook-secret\n", None, ("run.yaml:4:3: at /webhook/secretFile: the secret file {tmp}/hook-secret"
                                          " cannot be read: No such file or directory")),
    ("  secretFile: .\n", None, ("run.yaml:4:3: at /webhook/secretFile: the secret file {tmp} cannot be read: Is a"
                                " directory")),
    ("  listen: 0.0.0.0:9443\n", b"x", "run.yaml:3:1: at /webhook: 'secretFile' is a required property"),
    ("  secretFile: hook-secret\n  listen: '9443'\n", b"x", "run.yaml:5:3: at /webhook/listen: '9443' does not match"),
    ("  secretFile: hook-secret\n  listen: 0.0.0.0:99999\n", b"x",
     "run.yaml:5:3: at /webhook/listen: port 99999 is above 65535"),
    ("  secretFile: hook-secret\n  secret: inline\n", b"x",
     "run.yaml:3:1: at /webhook: Additional properties are not allowed ('secret' was unexpected)"),
    ("  secretFile: ''\n", b"x", "run.yaml:4:3: at /webhook/secretFile: '' should be non-empty"),
], ids=["empty", "newlines-only", "missing-file", "a-directory", "no-secret-file", "listen-without-host",
        "port-too-big", "inline-secret", "empty-path"])
def test_a_bad_webhook_block_is_refused_where_it_is(tmp_path: Path, webhook: str, secret: bytes | None,
                                                     message: str) -> None:
    with pytest.raises(ConfigFileError) as err:
        load_config(_config(tmp_path, webhook, secret))
    text = str(err.value)
    assert text.startswith(str(tmp_path / message.format(tmp=tmp_path))), text
    assert "hunter2" not in text
