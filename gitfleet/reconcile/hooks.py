"""Who may make ``gitfleet run`` reconcile at once: the checks of ``POST /hooks/git``,
as pure functions of the request's headers and body, so every rule is a table test.

A Git host proves it knows the shared secret in one of three ways:

- GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``;
- GitLab: ``X-Gitlab-Token: <the secret itself>``;
- anything else (a CI job, a script): ``X-Gitfleet-Signature: sha256=<hex>``, the same
  HMAC as GitHub's.

A request that carries several of these headers must pass every one: a valid token
never excuses a forged signature beside it. Every comparison is constant-time
(:func:`hmac.compare_digest`), and the GitLab token is compared through its digest so
that not even its length shows in the timing. The body is bounded *before* it is
read (:func:`admit`), from its ``Content-Length`` alone."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MAX_BODY = 1 << 20  # GitHub's and GitLab's push payloads list at most 20 commits
MAX_SECRET = 64 << 10
RESULTS = ("accepted", "unauthorized", "too_large", "ignored", "bad_request")

GITHUB = "x-hub-signature-256"
GITLAB = "x-gitlab-token"
GENERIC = "x-gitfleet-signature"
SIGNATURE_HEADERS = (GITHUB, GENERIC, GITLAB)  # the order the checks report in
EVENT_HEADERS = ("x-github-event", "x-gitlab-event", "x-gitfleet-event")
_HMAC = re.compile(r"sha256=([0-9a-fA-F]{64})")
_LENGTH = re.compile(r"[0-9]+")

Headers = Mapping[str, Sequence[str]]
"""Request headers by lower-case name, every value a repeated header had."""


@dataclass(frozen=True)
class WebhookSettings:
    """``webhook`` of the run config: the shared secret (never printed: it stays out of
    ``repr``, so out of every log and traceback), the file it was read from, and the
    address of a listener of its own (None: the one of ``/healthz`` and ``/metrics``)."""

    secret: bytes = field(repr=False)
    secret_file: str
    listen: str | None = None

    @property
    def listen_address(self) -> tuple[str, int] | None:
        if self.listen is None:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


@dataclass(frozen=True)
class Verdict:
    """What to do with a request: ``result`` is one of :data:`RESULTS` (and the metric's
    label), ``status`` the HTTP answer; ``header`` names the header that decided (or was
    missing) and ``reason`` says why in words safe to log: neither quotes the request."""

    result: str
    status: int
    reason: str
    header: str | None = None


def secret_problem(raw: bytes) -> tuple[bytes, str | None]:
    """The secret in a secret file's bytes (a trailing newline, as ``echo`` and editors
    leave it, is not part of it) and what is wrong with it, if anything."""
    if len(raw) > MAX_SECRET:
        return b"", f"is over {MAX_SECRET} bytes: a webhook secret is a short random string"
    secret = raw.rstrip(b"\r\n")
    if not secret.strip():
        return b"", "is empty: the webhook needs a secret (for example: openssl rand -hex 32 > FILE)"
    return secret, None


def admit(headers: Headers, max_body: int = MAX_BODY) -> int | Verdict:
    """How many bytes of body to read, or why not to read it: the body must state its
    length (no chunked encoding, which the standard library's server does not decode)
    and stay within ``max_body``."""
    if headers.get("transfer-encoding"):
        return Verdict("bad_request", 411, "a chunked body is not accepted: send Content-Length",
                       "transfer-encoding")
    lengths = headers.get("content-length") or ()
    if not lengths:
        return Verdict("bad_request", 411, "no Content-Length", "content-length")
    if len(lengths) > 1 or not _LENGTH.fullmatch(lengths[0].strip()):
        return Verdict("bad_request", 400, "Content-Length is not one decimal number", "content-length")
    digits = lengths[0].strip().lstrip("0") or "0"
    # Compared as text first: int() of thousands of digits is slow, then refused.
    if len(digits) > len(str(max_body)) or int(digits) > max_body:
        return Verdict("too_large", 413, f"the body is over {max_body} bytes", "content-length")
    return int(digits)


def verify(headers: Headers, body: bytes, secret: bytes) -> Verdict:
    """Whether the request proves it knows ``secret``; an authentic GitHub ``ping`` (sent
    when the hook is created) is answered without a cycle."""
    present = [name for name in SIGNATURE_HEADERS if name in headers]
    if not present:
        return Verdict("unauthorized", 401, "no signature header", " ".join(SIGNATURE_HEADERS))
    for name in present:
        values = headers[name]
        if len(values) != 1:
            return Verdict("unauthorized", 401, "the header is repeated", name)
        reason = _check(name, values[0], body, secret)
        if reason is not None:
            return Verdict("unauthorized", 401, reason, name)
    checked = ",".join(present)
    if event(headers) == "ping":
        return Verdict("ignored", 200, "ping", checked)
    return Verdict("accepted", 202, "good signature", checked)


def event(headers: Headers) -> str | None:
    """The event type the host names (push, ping, Push Hook...): for the log, bounded."""
    for name in EVENT_HEADERS:
        values = headers.get(name)
        if values:
            return values[0].strip()[:64]
    return None


def sign(body: bytes, secret: bytes) -> str:
    """The value of ``X-Hub-Signature-256`` (or ``X-Gitfleet-Signature``) for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _check(name: str, value: str, body: bytes, secret: bytes) -> str | None:
    if name == GITLAB:
        # Digests of equal length: the comparison's time says nothing of the token's length.
        given = hashlib.sha256(value.encode("latin-1", "replace")).digest()
        return None if hmac.compare_digest(given, hashlib.sha256(secret).digest()) else "wrong token"
    match = _HMAC.fullmatch(value.strip())
    if match is None:
        return "not sha256=<64 hex digits>"
    expected = hmac.new(secret, body, hashlib.sha256).digest()
    return None if hmac.compare_digest(bytes.fromhex(match.group(1)), expected) else "signature does not match"
