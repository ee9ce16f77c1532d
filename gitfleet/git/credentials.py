"""Credentials for fetching and pushing, taken from the environment or from files the
operator points at, never from the fleet repo, and never printed.

| variable | meaning |
|---|---|
| ``GITFLEET_GIT_TOKEN`` / ``GITFLEET_GIT_TOKEN_FILE`` | HTTP(S) token (password) |
| ``GITFLEET_GIT_USERNAME`` | HTTP(S) user name for the token (default ``x-access-token``) |
| ``GITFLEET_SSH_KEY`` | path of an SSH private key (``<key>.pub`` is used when present) |
| ``GITFLEET_SSH_KEY_PASSPHRASE`` / ``GITFLEET_SSH_KEY_PASSPHRASE_FILE`` | its passphrase |

Without an SSH key, SSH remotes use the running ssh-agent. An SSH remote's host key
must be in ``$HOME/.ssh/known_hosts`` (libgit2 reads no other file, and takes ``$HOME``
when it starts); an unknown or changed host key is refused, as is an HTTPS certificate
that does not verify.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pygit2
from pygit2.enums import CredentialType

from gitfleet.git.errors import GitSourceError

DEFAULT_TOKEN_USER = "x-access-token"
# libgit2 asks again after a refused credential; stop instead of looping forever.
MAX_CREDENTIAL_ASKS = 3

# The user-info of a URL anywhere in a text: from the scheme to the last '@' before the
# path or the end of the word (greedy, so a password holding '@' goes entirely).
_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s]*@")
_SSH_SCHEMES = ("ssh", "git+ssh", "ssh+git")


def redact_url(text: str) -> str:
    """``text`` (a URL, or a message quoting any number of URLs anywhere) with the
    ``user:password@`` part of every URL replaced by ``***@``: the one redaction every
    message about a remote passes through."""
    return _USERINFO.sub(r"\1***@", text)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """``(url without its secret user-info, user name, password)`` of a remote URL.

    The user name of an SSH URL names the login and is no secret, so it stays in the URL
    (only a password goes); for every other scheme the whole user-info goes, since a
    token is often written as the user name (``https://TOKEN@host/...``).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None, None
    if not parts.scheme or "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if parts.scheme in _SSH_SCHEMES:
        netloc = f"{user}@{host}" if user else host
        return urlunsplit(parts._replace(netloc=netloc)), None, None
    return urlunsplit(parts._replace(netloc=host)), unquote(user) or None, unquote(password) if colon else None


@dataclass(frozen=True)
class Credentials:
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    ssh_key: Path | None = None
    ssh_passphrase: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        key = env.get("GITFLEET_SSH_KEY")
        return cls(
            token=_value_or_file(env, "GITFLEET_GIT_TOKEN"),
            username=env.get("GITFLEET_GIT_USERNAME") or None,
            ssh_key=Path(key).expanduser() if key else None,
            ssh_passphrase=_value_or_file(env, "GITFLEET_SSH_KEY_PASSPHRASE"),
        )

    def for_url(self, url: str) -> tuple[str, Credentials]:
        """The URL to record and fetch (no secret in it) and the credentials to hand out
        through the callbacks: those written in ``url`` win over the configured ones, so
        a rotated token given on the command line is the one used."""
        bare, user, password = split_credentials(url)
        if user is None and password is None:
            return bare, self
        # `https://TOKEN@host` is a token in the user name: sent with an empty password.
        token = password if password is not None else (self.token if self.token is not None else "")
        return bare, replace(self, username=user or self.username, token=token)


def _value_or_file(env: Mapping[str, str], name: str) -> str | None:
    if env.get(name):
        return env[name]
    path = env.get(name + "_FILE")
    if not path:
        return None
    try:
        return Path(path).expanduser().read_text().strip() or None
    except OSError as exc:
        raise GitSourceError(f"cannot read {name}_FILE {path}: {exc.strerror}") from None


def known_hosts_file() -> str:
    """Where libgit2 looks up SSH host keys: ``.ssh/known_hosts`` in its home folder
    (``$HOME`` as the process started)."""
    return os.path.join(pygit2.settings.homedir or os.path.expanduser("~"), ".ssh", "known_hosts")


class GitfleetCallbacks(pygit2.RemoteCallbacks):
    """Hands out the configured credentials (bounded) and records push rejections."""

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._creds = credentials
        self._asks = 0
        self.rejected: dict[str, str] = {}

    def credentials(self, url: str, username_from_url: str | None, allowed_types: CredentialType) -> Any:
        self._asks += 1
        if self._asks > MAX_CREDENTIAL_ASKS:
            raise GitSourceError(f"authentication to {redact_url(url)} failed: check the configured credentials")
        creds = self._creds
        if allowed_types & CredentialType.SSH_KEY:
            user = username_from_url or "git"
            if creds.ssh_key is not None:
                pub = creds.ssh_key.with_name(creds.ssh_key.name + ".pub")
                return pygit2.Keypair(
                    user, str(pub) if pub.exists() else None, str(creds.ssh_key), creds.ssh_passphrase or ""
                )
            return pygit2.KeypairFromAgent(user)
        if allowed_types & CredentialType.USERPASS_PLAINTEXT and creds.token is not None:
            return pygit2.UserPass(creds.username or username_from_url or DEFAULT_TOKEN_USER, creds.token)
        raise GitSourceError(
            f"{redact_url(url)} asks for credentials: set GITFLEET_GIT_TOKEN (HTTPS) or GITFLEET_SSH_KEY (SSH)"
        )

    def certificate_check(self, certificate: None, valid: bool, host: bytes) -> bool:
        # pygit2's default hands the decision back to libgit2, which (1.9) lets an SSH
        # host key through that ~/.ssh/known_hosts does not hold, or holds another key
        # for: a man in the middle could serve the fleet repo and take the pushes.
        if not valid:
            name = host.decode(errors="replace")
            raise GitSourceError(
                f"the identity of {name} could not be verified: for SSH, its host key must be in"
                f" {known_hosts_file()} (e.g. `ssh-keyscan -p PORT {name} >> {known_hosts_file()}` after"
                " checking the fingerprint); for HTTPS, its certificate must chain to a trusted CA"
                " (SSL_CERT_FILE)"
            )
        return True

    def push_update_reference(self, refname: str, message: str | None) -> None:
        if message:
            self.rejected[refname] = message
