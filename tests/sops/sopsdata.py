"""Test data for SOPS: files the real sops encrypted (tests/sops/data/README.md says where
from and how their data keys were obtained), sops's own age test key, and helpers."""

from __future__ import annotations

from pathlib import Path

import pyrage

DATA = Path(__file__).parent / "data"

# Data keys of the real sops files, unwrapped with sops's PGP test key (see README.md).
DATA_KEYS = {
    "example.yaml": bytes.fromhex("8c68886c50b5b72965a3cb99c5172e1d74a8aca27b39ee880b535d6907e59f68"),
    "format.enc.yaml": bytes.fromhex("af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4"),
    "comments.enc.yaml": bytes.fromhex("61bec946f5783fd4cea3d1b1ce407fce2b6e81fc301cc539c422015e27f6d1be"),
}

# sops's age test key pair and a data key it wrapped (getsops/sops age/keysource_test.go).
AGE_IDENTITY = "AGE-SECRET-KEY-1G0Q5K9TV4REQ3ZSQRMTMG8NSWQGYT0T7TZ33RAZEE0GZYVZN0APSU24RK7"
AGE_RECIPIENT = "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun"
OTHER_IDENTITY = "AGE-SECRET-KEY-1432K5YRNSC44GC4986NXMX6GVZ52WTMT9C79CLUVWYY4DKDHD5JSNDP4MC"
SOPS_ENCRYPTED_KEY = """-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBvY2t2NkdLUGRvY3l2OGNy
MVJWcUhCOEZrUG8yeCtnRnhxL0I5NFk4YjJFCmE4SVQ3MEdyZkFqRWpSa2F0NVhF
VDUybzBxdS9nSGpHSVRVMUI0UEVqZkkKLS0tIGJjeGhNQ0Y5L2VZRVVYSm90djFF
bzdnQ3UwTGljMmtrbWNMV1MxYkFzUFUK4xjOZOTGdcbzuwUY/zeBXhcF+Md3e5PQ
EylloI7MNGbadPGb
-----END AGE ENCRYPTED FILE-----"""


def identity(text: str = AGE_IDENTITY) -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.from_str(text)


def read(name: str) -> str:
    return (DATA / name).read_text()


def with_age(text: str, key: bytes, recipient: str = AGE_RECIPIENT) -> str:
    """A real sops file with an age recipient added that wraps its data key ``key``: the
    values and MAC stay sops's own."""
    wrapped = bytes(pyrage.encrypt(key, [pyrage.x25519.Recipient.from_str(recipient)], armored=True)).decode()
    body = "".join(f"              {line}\n" for line in wrapped.strip().splitlines())
    stanza = f"    age:\n        - recipient: {recipient}\n          enc: |\n{body}"
    head, sep, tail = text.partition("\nsops:\n")
    assert sep, "not a sops file"
    return head + sep + stanza + tail
